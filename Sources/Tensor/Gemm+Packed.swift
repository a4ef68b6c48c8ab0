import BF16GEMM

/// What a product with a packed weight decodes the weight into and multiplies in.
public enum ProductPrecision: Sendable {
    /// fp32 panels through OpenBLAS sgemm.
    case fp32
    /// bf16 panels through the AVX-512 BF16 kernel, activations rounded to bf16, sums in fp32.
    case bf16
    /// Activations quantised to ggml's 8-bit blocks and integer dot products on the weight's
    /// own quantised blocks (`Gemm.q8Product`), as llama.cpp computes; fp32 for weights
    /// without such a product.
    case q8
}

extension Gemm {
    /// Bytes of one decoded panel of a packed weight. A panel is decoded into a reused buffer,
    /// then multiplied; it stays in the L3 cache (32 MB) between the two. Larger panels mean
    /// fewer, wider sgemm calls; smaller ones a smaller buffer. (Measured in BENCHMARKS.md.)
    nonisolated(unsafe) public static var packedPanelBytes = 8 << 20

    /// `c[m×n] = beta·c + a[m×k] · op(b)` with a packed `b`: `transposeB` for a linear layer's
    /// forward `x·Wᵀ` (`b` is `[n, k]`), otherwise its input gradient `dy·W` (`b` is `[k, n]`).
    /// `b` is decoded panel by panel of its rows into a reused buffer (no copy of the whole
    /// matrix); each panel's decode is split over the cores, then multiplied. A forward panel
    /// fills a block of `c`'s columns; a backward panel adds its part of the sum over `k`.
    public static func packedProduct(transposeB: Bool, m: Int, n: Int, k: Int,
                                     a: UnsafePointer<Float>, lda: Int, b: PackedMatrix,
                                     precision: ProductPrecision,
                                     beta: Float = 0, c: UnsafeMutablePointer<Float>, ldc: Int,
                                     panelBytes: Int = packedPanelBytes) {
        precondition(transposeB ? (b.rows == n && b.columns == k) : (b.rows == k && b.columns == n),
                     "packed product: weight \(b.rows)×\(b.columns) for \(m)×\(k) · \(transposeB ? "\(n)×\(k)ᵀ" : "\(k)×\(n)")")
        if m == 0 || n == 0 { return }
        if b.rows == 0 || b.columns == 0 {   // k = 0: only beta acts
            sgemm(transposeA: false, transposeB: false, m: m, n: n, k: 0, a: a, lda: lda, b: a, ldb: 1,
                  beta: beta, c: c, ldc: ldc)
            return
        }
        switch precision {
        case .fp32: packedFloatProduct(transposeB: transposeB, m: m, a: a, lda: lda, b: b, beta: beta, c: c, ldc: ldc,
                                      panelBytes: panelBytes)
        case .bf16: packedBF16Product(transposeB: transposeB, m: m, a: a, lda: lda, b: b, beta: beta, c: c, ldc: ldc,
                                      panelBytes: panelBytes)
        case .q8:
            if transposeB && beta == 0, let rows = b.quantizedRows, rows.activationFormat != nil {
                q8Product(m: m, a: a, lda: lda, b: b, rows: rows, c: c, ldc: ldc)
            } else {
                packedFloatProduct(transposeB: transposeB, m: m, a: a, lda: lda, b: b, beta: beta, c: c, ldc: ldc,
                                   panelBytes: panelBytes)
            }
        }
    }

    /// Rows of `b` per panel of `panelBytes` for `bytesPerValue`-byte values.
    static func panelRows(_ b: PackedMatrix, bytesPerValue: Int, panelBytes: Int) -> Int {
        max(1, min(b.rows, panelBytes / (bytesPerValue * b.columns)))
    }

    /// The row panels of `b`, in order.
    static func panels(_ b: PackedMatrix, rowsPerPanel: Int) -> [Range<Int>] {
        stride(from: 0, to: b.rows, by: rowsPerPanel).map { $0..<min(b.rows, $0 + rowsPerPanel) }
    }

    private static func packedFloatProduct(transposeB: Bool, m: Int, a: UnsafePointer<Float>, lda: Int,
                                           b: PackedMatrix, beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int,
                                           panelBytes: Int) {
        let width = b.columns
        if let w = b.floatRows {
            sgemm(transposeA: false, transposeB: transposeB, m: m, n: transposeB ? b.rows : width,
                  k: transposeB ? width : b.rows, a: a, lda: lda, b: w, ldb: width, beta: beta, c: c, ldc: ldc)
            return
        }
        let perPanel = panelRows(b, bytesPerValue: 4, panelBytes: panelBytes)
        ScratchBuffers.floatPanel.withBuffer(count: perPanel * width) { panel in
            let out = UncheckedBox(panel)
            for rows in panels(b, rowsPerPanel: perPanel) {
                Parallel.forEachRowRange(rows.count, rowCost: width) { part in
                    b.decodeRows((rows.lowerBound + part.lowerBound)..<(rows.lowerBound + part.upperBound),
                                 into: out.value + part.lowerBound * width)
                }
                if transposeB {   // columns `rows` of c
                    sgemm(transposeA: false, transposeB: true, m: m, n: rows.count, k: width, a: a, lda: lda,
                          b: panel, ldb: width, beta: beta, c: c + rows.lowerBound, ldc: ldc)
                } else {          // the part of the sum over k that `rows` hold
                    sgemm(transposeA: false, transposeB: false, m: m, n: width, k: rows.count,
                          a: a + rows.lowerBound, lda: lda, b: panel, ldb: width,
                          beta: rows.lowerBound == 0 ? beta : 1, c: c, ldc: ldc)
                }
            }
        }
    }

    private static func packedBF16Product(transposeB: Bool, m: Int, a: UnsafePointer<Float>, lda: Int,
                                          b: PackedMatrix, beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int,
                                           panelBytes: Int) {
        let width = b.columns
        let perPanel = b.bf16Rows != nil ? b.rows : panelRows(b, bytesPerValue: 2, panelBytes: panelBytes)
        // The activations a panel multiplies, rounded to bf16 in rows of even length (the
        // kernel reads pairs along k as 32-bit words), zero padded.
        func pack(columns: Range<Int>, into packed: UnsafeMutablePointer<UInt16>) -> Int {
            let k = columns.count, stride = (k + 1) & ~1
            Parallel.forEachRow(m, rowCost: k) { row in
                lorasb_bf16_from_f32(a + row * lda + columns.lowerBound, packed + row * stride, k)
                if stride != k { packed[row * stride + k] = 0 }
            }
            return stride
        }
        func withPanel(_ rows: Range<Int>, _ body: (UnsafePointer<UInt16>) -> Void) {
            if let whole = b.bf16Rows { body(whole + rows.lowerBound * width); return }
            ScratchBuffers.bf16Panel.withBuffer(count: rows.count * width) { panel in
                let out = UncheckedBox(panel)
                Parallel.forEachRowRange(rows.count, rowCost: width) { part in
                    b.decodeRowsBF16((rows.lowerBound + part.lowerBound)..<(rows.lowerBound + part.upperBound),
                                     into: out.value + part.lowerBound * width, stride: width)
                }
                body(UnsafePointer(panel))
            }
        }
        let k = transposeB ? width : b.rows
        ScratchBuffers.bf16Activations.withBuffer(count: m * ((transposeB ? k : perPanel) + 1)) { packedA in
            if transposeB {
                let stride = pack(columns: 0..<k, into: packedA)
                for rows in panels(b, rowsPerPanel: perPanel) {
                    withPanel(rows) { panel in
                        bf16Kernel(transposeB: true, m: m, n: rows.count, k: k, packedA: packedA, stride: stride,
                                   b: panel, ldb: width, beta: beta, c: c + rows.lowerBound, ldc: ldc)
                    }
                }
            } else {
                for rows in panels(b, rowsPerPanel: perPanel) {
                    let stride = pack(columns: rows, into: packedA)
                    withPanel(rows) { panel in
                        bf16Kernel(transposeB: false, m: m, n: width, k: rows.count, packedA: packedA, stride: stride,
                                   b: panel, ldb: width, beta: rows.lowerBound == 0 ? beta : 1, c: c, ldc: ldc)
                    }
                }
            }
        }
    }
}
