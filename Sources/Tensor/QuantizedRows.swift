import QuantDot

/// A packed matrix's rows as ggml quantised blocks in memory, for products that read the
/// blocks directly (`Gemm.q8Product`) instead of decoding them.
public struct QuantizedRows: @unchecked Sendable {
    /// ggml's type id (`GGMLType.rawValue`).
    public let type: UInt32
    /// Stored row 0; stored row `s` starts `s · rowBytes` after it. Kept alive by the matrix.
    public let base: UnsafeRawPointer
    public let rowBytes: Int
    /// The stored row of each row of the matrix, or nil when they are the same.
    public let rowOrder: [Int64]?
    /// Rows interleaved by 8 in matrix order (`lorasb_x8_pack`), not one after another.
    public let interleaved: Bool

    public init(type: UInt32, base: UnsafeRawPointer, rowBytes: Int, rowOrder: [Int64]?) {
        self.type = type
        self.base = base
        self.rowBytes = rowBytes
        self.rowOrder = rowOrder
        interleaved = false
    }

    /// Rows of ggml type `type` interleaved by 8 at `base`, `rowBytes` per row.
    public init(interleaved type: UInt32, base: UnsafeRawPointer, rowBytes: Int) {
        self.type = type
        self.base = base
        self.rowBytes = rowBytes
        rowOrder = nil
        interleaved = true
    }

    /// The 8-bit activation blocks the type's dot product reads, or nil when it has none.
    public var activationFormat: Int32? {
        let format = lorasb_qdot_activation_format(type)
        return format == Int32(LORASB_Q8_NONE.rawValue) ? nil : format
    }
}
