import Foundation
import Tensor

/// A weight matrix left in its file, in the file's own encoding (quantised ggml blocks, f16,
/// bf16 or fp32, in a mapped GGUF or safetensors file), decoded row by row on demand.
///
/// A row of a 2-D tensor is a contiguous run of whole blocks, so rows are byte ranges. The
/// matrix may present its stored rows in another order (`rowOrder`): GGUF Llama files store the
/// query and key rows permuted (see `GGUFLlamaLayout`), and this keeps them where they are.
public final class FileBackedMatrix: PackedMatrix, @unchecked Sendable {
    public let rows: Int
    public let columns: Int
    public let type: GGMLType
    /// The stored row of each row of the matrix, or nil when they are the same.
    public let rowOrder: [Int]?
    /// `rowOrder` as the quantised products' kernels take it.
    let storedRowOrder: [Int64]?
    /// Keeps the mapping (and so `base`) alive.
    let file: MappedFile
    /// Where the tensor starts in the file.
    let offset: Int
    let base: UnsafeRawPointer
    let rowBytes: Int

    /// The `[rows, columns]` tensor of `type` at byte `offset` of `file`.
    public init(file: MappedFile, offset: Int, rows: Int, columns: Int, type: GGMLType,
                rowOrder: [Int]? = nil, name: String) throws {
        guard GGUFDequantizer.supports(type) else {
            throw ModelIOError(file.url, "tensor \"\(name)\" has type \(type), which cannot be decoded")
        }
        guard columns % type.blockSize == 0 else {
            throw ModelIOError(file.url, "tensor \"\(name)\": rows of \(columns) are not whole \(type) blocks")
        }
        let rowBytes = columns / type.blockSize * type.blockBytes
        guard file.contains(offset: offset, length: rows * rowBytes) else {
            throw ModelIOError(file.url, "tensor \"\(name)\" lies outside the file")
        }
        if let order = rowOrder {
            precondition(order.count == rows && order.allSatisfy { (0..<rows).contains($0) }, "row order of \(name)")
        }
        self.rows = rows
        self.columns = columns
        self.type = type
        self.rowOrder = rowOrder
        storedRowOrder = rowOrder.map { $0.map(Int64.init) }
        self.file = file
        self.offset = offset
        self.rowBytes = rowBytes
        // The bytes of a mapped `Data` stay where they are for as long as it lives, and
        // `file` keeps it alive and unmodified.
        base = file.data.withUnsafeBytes { UnsafeRawPointer($0.baseAddress!) } + offset
    }

    public var byteCount: Int { rows * rowBytes }

    private func storedRow(_ r: Int) -> UnsafeRawPointer { base + (rowOrder?[r] ?? r) * rowBytes }

    /// Decodes on the calling thread only: products call it from inside their own parallel loops.
    public func decodeRows(_ range: Range<Int>, into out: UnsafeMutablePointer<Float>) {
        let format = GGUFDequantizer.format(type), blocksPerRow = columns / type.blockSize
        if rowOrder == nil {
            format.decodeBlocks(storedRow(range.lowerBound), count: range.count * blocksPerRow, into: out)
            return
        }
        for (i, r) in range.enumerated() {
            format.decodeBlocks(storedRow(r), count: blocksPerRow, into: out + i * columns)
        }
    }

    public func decodeRowsBF16(_ range: Range<Int>, into out: UnsafeMutablePointer<UInt16>, stride: Int) {
        switch type {
        case .bf16:
            for (i, r) in range.enumerated() {
                UnsafeMutableRawPointer(out + i * stride).copyMemory(from: storedRow(r), byteCount: rowBytes)
            }
        case .f32:
            for (i, r) in range.enumerated() {
                BF16Rounding.round(storedRow(r).assumingMemoryBound(to: Float.self), into: out + i * stride, count: columns)
            }
        default:
            decodeRowsBF16ThroughFloat(range, into: out, stride: stride)
        }
    }

    /// The same matrix with its rows interleaved by 8 (`InterleavedMatrix`), for faster q8
    /// products, or nil when its type or row count has no interleaved form.
    public func interleavedForQ8() -> PackedMatrix? {
        InterleavedMatrix.applies(to: type, rows: rows, columns: columns) ? InterleavedMatrix(self) : nil
    }

    /// Quantised rows in the mapping: products with a dot product for the type read them there.
    public var quantizedRows: QuantizedRows? {
        QuantizedRows(type: type.rawValue, base: base, rowBytes: rowBytes, rowOrder: storedRowOrder)
    }


    /// fp32 rows in file order, 4-byte aligned: products read the mapping directly.
    public var floatRows: UnsafePointer<Float>? {
        type == .f32 && rowOrder == nil && Int(bitPattern: base) % 4 == 0
            ? base.assumingMemoryBound(to: Float.self) : nil
    }
}
