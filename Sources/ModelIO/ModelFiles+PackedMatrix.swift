extension ModelFiles {
    /// The 2-D tensor `name` left in the file as a packed matrix (rows in `rowOrder` when given:
    /// matrix row `i` is stored row `rowOrder[i]`), or nil when its storage type cannot be
    /// decoded that way (then `tensor(named:)` converts it, or says why it cannot).
    public func packedMatrix(named name: String, rowOrder: [Int]? = nil) throws -> FileBackedMatrix? {
        switch storage {
        case .gguf(let f):
            let info = try f.info(named: name)
            guard info.shape.count == 2, GGUFDequantizer.supports(info.type), info.type != .f64 else { return nil }
            return try f.quantizedMatrix(named: name, rowOrder: rowOrder)   // refuses NaN / infinite block scales
        case .safeTensors(let c):
            let shard = try c.file(holding: name)
            let info = try shard.info(named: name)
            // Little-endian f32, f16 and bf16 are laid out as ggml's types of the same name.
            let types: [SafeTensorsDType: GGMLType] = [.f32: .f32, .f16: .f16, .bf16: .bf16]
            guard info.shape.count == 2, let type = types[info.dtype] else { return nil }
            return try FileBackedMatrix(file: shard.file, offset: info.byteRange.lowerBound, rows: info.shape[0],
                                        columns: info.shape[1], type: type, rowOrder: rowOrder, name: name)
        }
    }
}
