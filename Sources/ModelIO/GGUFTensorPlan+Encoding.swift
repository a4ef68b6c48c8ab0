import Tensor

extension GGUFTensorPlan {
    /// Values per panel: rows are produced and encoded about a million values at a time, so a
    /// large matrix never exists as fp32 in full.
    static let panelValues = 1 << 20

    /// A tensor of fp32 values encoded as `type` panel by panel. `shape` is row-major (ggml's
    /// `ne` reversed); `fill(rows, out)` writes rows `rows` (each `shape.last` values) to `out`.
    /// A NaN or infinite value is refused, naming the tensor.
    public static func encoding(name: String, shape: [Int], as type: GGMLType,
                                fill: @escaping (Range<Int>, UnsafeMutablePointer<Float>) throws -> Void) -> GGUFTensorPlan {
        let rowLength = shape.last ?? 1
        let rows = rowLength == 0 ? 0 : shape.reduce(1, *) / rowLength
        return GGUFTensorPlan(name: name, dimensions: shape.reversed(), type: type) { sink in
            let panel = max(1, panelValues / max(rowLength, 1))
            let values = UnsafeMutablePointer<Float>.allocate(capacity: panel * rowLength)
            let bytes = UnsafeMutableRawPointer.allocate(byteCount: type.byteCount(ofValues: panel * rowLength), alignment: 16)
            defer {
                values.deallocate()
                bytes.deallocate()
            }
            for start in stride(from: 0, to: rows, by: panel) {
                let range = start ..< min(rows, start + panel)
                let count = range.count * rowLength
                try fill(range, values)
                try GGMLEncoder.encode(values, count: count, as: type, into: bytes, name: name)
                try sink.write(UnsafeRawBufferPointer(start: bytes, count: type.byteCount(ofValues: count)))
            }
        }
    }

    /// `tensor` encoded as `type` under `name` (read when the data section reaches it).
    public static func encoding(name: String, _ tensor: Tensor, as type: GGMLType) -> GGUFTensorPlan {
        let rowLength = tensor.shape.last ?? 1
        return encoding(name: name, shape: tensor.shape, as: type) { rows, out in
            out.update(from: tensor.pointer + rows.lowerBound * rowLength, count: rows.count * rowLength)
        }
    }

    /// Tensor `name` of `file` copied byte for byte, under the same name, shape and type.
    public static func copying(_ name: String, of file: GGUFFile) throws -> GGUFTensorPlan {
        let info = try file.info(named: name)
        return GGUFTensorPlan(name: name, dimensions: info.dimensions, type: info.type) { sink in
            try file.withRawBytes(named: name) { try sink.write($0) }
        }
    }
}

extension GGUFTensorPlan {
    /// The fp32 tensor `value()` computes when the data section reaches it (so only one such
    /// tensor exists at a time), encoded as `type`; it must hold `shape`'s element count.
    public static func encoding(name: String, shape: [Int], as type: GGMLType,
                                computing value: @escaping () throws -> Tensor) -> GGUFTensorPlan {
        GGUFTensorPlan(name: name, dimensions: shape.reversed(), type: type) { sink in
            let t = try value()
            guard t.count == Tensor.elementCount(shape) else {
                throw ModelIOError(name, "computed \(t.shape), expected \(shape)")
            }
            try encoding(name: name, t.reshaped(shape), as: type).produce(sink)
        }
    }
}
