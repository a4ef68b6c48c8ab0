import Foundation
@testable import ModelIO
import Tensor
import XCTest

/// Products with weights left in their file encoding equal products with the same weights
/// dequantised to fp32 (to fp32 rounding), forward and backward, with panels smaller than the
/// matrix, odd shapes and a row order (the GGUF Llama Q/K permutation).
final class FileBackedMatrixTests: XCTestCase {
    static let types: [GGMLType] = [.q8_0, .q4_0, .q4_1, .f16, .bf16, .f32]

    /// Random bytes of `rows × columns` values of `type` at byte `offset` of a file, with every
    /// block's fp16 scale (and Q4_1 minimum) a normal number of moderate size.
    static func file(_ type: GGMLType, rows: Int, columns: Int, offset: Int, seed: UInt64) -> MappedFile {
        var rng = SeededGenerator(seed: seed)
        let count = rows * columns
        var bytes = [UInt8](repeating: 0, count: offset + count / type.blockSize * type.blockBytes)
        func half(_ x: Float) -> [UInt8] { let b = Float16(x).bitPattern; return [UInt8(b & 0xff), UInt8(b >> 8)] }
        func uniform() -> Float { Float(rng.next() >> 40) / Float(1 << 24) - 0.5 }
        for block in 0 ..< count / type.blockSize {
            let at = offset + block * type.blockBytes
            var payload: [UInt8]
            switch type {
            case .q8_0: payload = half(0.01 + abs(uniform()) / 10) + (0..<32).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
            case .q4_0: payload = half(0.02 + abs(uniform()) / 10) + (0..<16).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
            case .q4_1: payload = half(0.02 + abs(uniform()) / 10) + half(uniform()) + (0..<16).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
            case .f16: payload = half(uniform())
            case .bf16: payload = withUnsafeBytes(of: (uniform().bitPattern >> 16).littleEndian) { Array($0.prefix(2)) }
            default: payload = withUnsafeBytes(of: uniform().bitPattern.littleEndian) { Array($0) }
            }
            bytes.replaceSubrange(at ..< at + payload.count, with: payload)
        }
        return MappedFile(data: Data(bytes), url: URL(fileURLWithPath: "/test/\(type).bin"))
    }

    /// The matrix and its reference: every stored row dequantised, then put in `order`.
    static func matrix(_ type: GGMLType, rows: Int, columns: Int, order: [Int]?, offset: Int = 8,
                       seed: UInt64 = 1) throws -> (FileBackedMatrix, Tensor) {
        let f = file(type, rows: rows, columns: columns, offset: offset, seed: seed)
        let stored = Tensor(zeros: [rows, columns])
        try f.withBytes(offset: offset, length: f.count - offset) { raw in
            GGUFDequantizer.dequantize(raw, type: type, count: rows * columns, into: stored.pointer)
        }
        let reference = Tensor(zeros: [rows, columns])
        for r in 0..<rows {
            (reference.pointer + r * columns).update(from: stored.pointer + (order?[r] ?? r) * columns, count: columns)
        }
        let m = try FileBackedMatrix(file: f, offset: offset, rows: rows, columns: columns, type: type,
                                     rowOrder: order, name: "w")
        return (m, reference)
    }

    static func random(_ shape: [Int], seed: UInt64) -> Tensor {
        var rng = SeededGenerator(seed: seed)
        let t = Tensor(zeros: shape)
        for i in 0..<t.count { t.pointer[i] = Float(rng.next() >> 40) / Float(1 << 24) - 0.5 }
        return t
    }

    static func relativeError(_ a: Tensor, _ b: Tensor) -> Float {
        var num: Float = 0, den: Float = 0
        for i in 0..<a.count { num = max(num, abs(a.pointer[i] - b.pointer[i])); den = max(den, abs(b.pointer[i])) }
        return num / max(den, 1e-30)
    }

    func testDecodedRowsAreTheDequantisedRowsInOrder() throws {
        for type in Self.types {
            let columns = type.blockSize == 32 ? 96 : 45, rows = 38
            let order = try GGUFLlamaLayout.storedRows(rows, heads: 19)
            for o in [nil, order] {
                let (m, reference) = try Self.matrix(type, rows: rows, columns: columns, order: o)
                let out = Tensor(zeros: [17, columns])
                m.decodeRows(3..<20, into: out.pointer)
                XCTAssertEqual(out.array, reference.rows(3..<20).array, "\(type) order \(o != nil)")
                XCTAssertEqual(m.floatTensor().array, reference.array, "\(type)")
                XCTAssertEqual(m.byteCount, rows * columns / type.blockSize * type.blockBytes)
            }
        }
    }

    /// Forward `x Wᵀ` and backward `dy W` (accumulating into `dx`), fp32 and bf16, against the
    /// same products of the dequantised matrix; panels of 5 rows, so several panels run.
    func testPanelProductsEqualDenseProducts() throws {
        let precisions: [ProductPrecision] = Gemm.bf16Supported ? [.fp32, .bf16] : [.fp32]
        for type in Self.types {
            let columns = type.blockSize == 32 ? 96 : 45, rows = 37, m = 19
            var order = Array(0..<rows)
            order.swapAt(0, 36); order.swapAt(5, 17)
            for (o, offset) in [(nil, 8), (order, 8), (nil, 2)] as [([Int]?, Int)] {
                let (packed, w) = try Self.matrix(type, rows: rows, columns: columns, order: o, offset: offset)
                let x = Self.random([m, columns], seed: 2), dy = Self.random([m, rows], seed: 3)
                let start = Self.random([m, columns], seed: 4)
                for precision in precisions {
                    let what = "\(type) \(precision) order \(o != nil) offset \(offset)"
                    let y = Tensor(zeros: [m, rows]), expectedY = Tensor(zeros: [m, rows])
                    Gemm.packedProduct(transposeB: true, m: m, n: rows, k: columns, a: x.pointer, lda: columns,
                                       b: packed, precision: precision, c: y.pointer, ldc: rows,
                                       panelBytes: 5 * columns * 4)
                    let dx = start.copy(), expectedDX = start.copy()
                    Gemm.packedProduct(transposeB: false, m: m, n: columns, k: rows, a: dy.pointer, lda: rows,
                                       b: packed, precision: precision, beta: 1, c: dx.pointer, ldc: columns,
                                       panelBytes: 5 * columns * 4)
                    if precision == .fp32 {
                        Gemm.sgemm(transposeA: false, transposeB: true, m: m, n: rows, k: columns, a: x.pointer,
                                   lda: columns, b: w.pointer, ldb: columns, c: expectedY.pointer, ldc: rows)
                        Gemm.sgemm(transposeA: false, transposeB: false, m: m, n: columns, k: rows, a: dy.pointer,
                                   lda: rows, b: w.pointer, ldb: columns, beta: 1, c: expectedDX.pointer, ldc: columns)
                    } else {
                        let w16 = BF16Matrix(w)
                        Gemm.bf16Product(transposeB: true, m: m, n: rows, k: columns, a: x.pointer, lda: columns,
                                         b: w16, c: expectedY.pointer, ldc: rows)
                        Gemm.bf16Product(transposeB: false, m: m, n: columns, k: rows, a: dy.pointer, lda: rows,
                                         b: w16, beta: 1, c: expectedDX.pointer, ldc: columns)
                    }
                    XCTAssertLessThan(Self.relativeError(y, expectedY), 1e-6, "forward " + what)
                    XCTAssertLessThan(Self.relativeError(dx, expectedDX), 1e-6, "backward " + what)
                    // The product did multiply: it is not the starting value.
                    XCTAssertGreaterThan(Self.relativeError(dx, start), 1e-3, what)
                }
            }
        }
    }

    func testFP32RowsAreReadInPlaceOnlyWhenAlignedAndInOrder() throws {
        XCTAssertNotNil(try Self.matrix(.f32, rows: 4, columns: 6, order: nil, offset: 8).0.floatRows)
        XCTAssertNil(try Self.matrix(.f32, rows: 4, columns: 6, order: nil, offset: 2).0.floatRows)
        XCTAssertNil(try Self.matrix(.f32, rows: 4, columns: 6, order: [1, 0, 2, 3], offset: 8).0.floatRows)
        XCTAssertNil(try Self.matrix(.q8_0, rows: 4, columns: 32, order: nil).0.floatRows)
    }

    func testABlockSplitAcrossRowsOrBytesBeyondTheFileAreRefused() throws {
        let f = Self.file(.q8_0, rows: 2, columns: 64, offset: 0, seed: 1)
        XCTAssertThrowsError(try FileBackedMatrix(file: f, offset: 0, rows: 4, columns: 48, type: .q8_0, name: "w"))
        XCTAssertThrowsError(try FileBackedMatrix(file: f, offset: 4, rows: 2, columns: 64, type: .q8_0, name: "w"))
    }
}
