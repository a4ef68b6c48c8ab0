import Foundation
@testable import ModelIO
import QuantDot
import Tensor
import TestSupport
import XCTest

/// The dot products on quantised blocks: the SIMD kernels equal the plain C ones up to the
/// order of the float sums, the activation quantisers equal ggml's reference bit for bit, and
/// the multi-row product equals the fp32 product of the dequantised weight and the dequantised
/// 8-bit activations. Weight rows come from the real files where they hold the type
/// (SmolLM2 Q4_1; Qwen2.5-Coder-0.5B Q4_K_M: Q4_K, Q5_0, Q6_K, Q8_0), else are synthetic.
final class QuantDotTests: XCTestCase {
    static let types: [GGMLType] = [.q4_0, .q4_1, .q5_0, .q5_1, .q8_0, .q4_K, .q5_K, .q6_K]

    /// Up to 16 rows of `type` and their row length: from the first 2-D tensor of that type in
    /// the files, else synthetic.
    static func rows(of type: GGMLType) throws -> (bytes: [UInt8], columns: Int, source: String) {
        for url in [TestPaths.smolLM2GGUF, TestPaths.qwenCoderGGUF("0.5B")] {
            let file = try GGUFFile(url: TestPaths.require(url))
            if let info = file.tensorInfos.first(where: { $0.type == type && $0.dimensions.count == 2 }) {
                let columns = info.dimensions[0], rows = min(16, info.dimensions[1])
                let bytes = try file.withRawBytes(named: info.name) { Array($0.prefix(rows * type.byteCount(ofValues: columns))) }
                return (bytes, columns, "\(url.lastPathComponent) \(info.name)")
            }
        }
        return (try synthetic(type, rows: 16, columns: 512), 512, "synthetic")
    }

    /// `rows(of:)` with what the product tests take from it: the activation format, bytes per
    /// row, the row count and the decoded weights.
    static func product(of type: GGMLType) throws
        -> (bytes: [UInt8], columns: Int, source: String, format: Int32, rowBytes: Int, rows: Int, weights: [Float]) {
        let (bytes, columns, source) = try rows(of: type)
        let rowBytes = type.byteCount(ofValues: columns), count = bytes.count / rowBytes
        return (bytes, columns, source, lorasb_qdot_activation_format(type.rawValue), rowBytes, count,
                decode(bytes, type: type, count: count * columns))
    }

    /// Types the encoders write come from random values through them; the rest are random bytes
    /// with every fp16 scale a moderate normal number.
    static func synthetic(_ type: GGMLType, rows: Int, columns: Int) throws -> [UInt8] {
        var rng = SeededGenerator(seed: UInt64(type.rawValue))
        let values = (0 ..< rows * columns).map { _ in Float(rng.next() >> 40) / Float(1 << 24) - 0.5 }
        if GGMLEncoder.supports(type) { return try GGMLEncoder.encode(values, as: type, name: "\(type)") }
        var bytes = (0 ..< type.byteCount(ofValues: rows * columns)).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
        let scaleOffsets: [Int] = type == .q6_K ? [208] : [0, 2]   // d (and dmin) of Q4_K/Q5_K, d of Q6_K
        for block in 0 ..< bytes.count / type.blockBytes {
            for at in scaleOffsets {
                let h = Float16(0.001 + Float(rng.next() >> 40) / Float(1 << 24) / 100).bitPattern
                bytes[block * type.blockBytes + at] = UInt8(h & 0xff)
                bytes[block * type.blockBytes + at + 1] = UInt8(h >> 8)
            }
        }
        return bytes
    }

    /// `count` activations with a spread of magnitudes, seeded.
    static func activations(_ count: Int, seed: UInt64) -> [Float] {
        var rng = SeededGenerator(seed: seed)
        return (0 ..< count).map { i in (Float(rng.next() >> 40) / Float(1 << 24) - 0.5) * (i % 7 == 0 ? 8 : 1) }
    }

    static func quantize(_ x: [Float], format: Int32) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: lorasb_q8_row_bytes(format, Int32(x.count)))
        out.withUnsafeMutableBytes { lorasb_q8_quantize_row(format, x, $0.baseAddress, Int32(x.count)) }
        return out
    }

    /// 8-bit activation blocks back to fp32: d·q per value (fp16 d for Q8_0 / Q8_1, fp32 for Q8_K).
    static func dequantize(_ blocks: [UInt8], format: Int32, count: Int) -> [Float] {
        func half(_ at: Int) -> Float { Float(Float16(bitPattern: UInt16(blocks[at]) | UInt16(blocks[at + 1]) << 8)) }
        func int8(_ at: Int) -> Float { Float(Int8(bitPattern: blocks[at])) }
        switch format {
        case Int32(LORASB_Q8_K.rawValue):
            return (0 ..< count).map { i in
                let b = i / 256 * 292
                let d = Float(bitPattern: UInt32(blocks[b]) | UInt32(blocks[b + 1]) << 8 | UInt32(blocks[b + 2]) << 16 | UInt32(blocks[b + 3]) << 24)
                return d * int8(b + 4 + i % 256)
            }
        default:
            let bytes = format == Int32(LORASB_Q8_1.rawValue) ? 36 : 34, header = bytes - 32
            return (0 ..< count).map { i in half(i / 32 * bytes) * int8(i / 32 * bytes + header + i % 32) }
        }
    }

    static func decode(_ bytes: [UInt8], type: GGMLType, count: Int) -> [Float] {
        var out = [Float](repeating: 0, count: count)
        bytes.withUnsafeBytes { raw in out.withUnsafeMutableBufferPointer {
            GGUFDequantizer.dequantize(raw, type: type, count: count, into: $0.baseAddress!)
        } }
        return out
    }

    func testSIMDDotProductsEqualTheReferenceOnEveryType() throws {
        XCTAssertEqual(lorasb_qdot_simd(), 1, "this machine has AVX2: the SIMD kernels should run")
        for type in Self.types {
            let (bytes, columns, source) = try Self.rows(of: type)
            let format = lorasb_qdot_activation_format(type.rawValue)
            XCTAssertNotEqual(format, Int32(LORASB_Q8_NONE.rawValue), "\(type)")
            let a = Self.quantize(Self.activations(columns, seed: 7), format: format)
            let weights = Self.decode(bytes, type: type, count: bytes.count / type.blockBytes * type.blockSize)
            let ax = Self.dequantize(a, format: format, count: columns).map(abs)
            let rowBytes = type.byteCount(ofValues: columns)
            for r in 0 ..< bytes.count / rowBytes {
                let (simd, reference) = bytes.withUnsafeBytes { w in
                    (lorasb_qdot_row(type.rawValue, Int32(columns), w.baseAddress! + r * rowBytes, a),
                     lorasb_qdot_row_reference(type.rawValue, Int32(columns), w.baseAddress! + r * rowBytes, a))
                }
                // the float sums' order: a few ulps of the sum of the terms' magnitudes
                let magnitude = (0 ..< columns).reduce(Float(0)) { $0 + abs(weights[r * columns + $1]) * ax[$1] }
                XCTAssertEqual(simd, reference, accuracy: 1e-5 * magnitude + 1e-30, "\(type) row \(r) of \(source)")
            }
        }
    }

    /// The batch kernels, which unpack each weight block once for every activation row: for
    /// 1…8 activation rows (and 11, taken 8 then 3), each result equals the one-row SIMD dot
    /// product and the plain C one up to the order of the float sums.
    func testBatchKernelsEqualTheOneRowKernelsForEveryRowCount() throws {
        for type in Self.types {
            let (bytes, columns, source, format, rowBytes, rows, weights) = try Self.product(of: type)
            let activations = (0 ..< 11).map { Self.quantize(Self.activations(columns, seed: 200 + UInt64($0)), format: format) }
            let magnitudes = activations.map { Self.dequantize($0, format: format, count: columns).map(abs) }
            for pass in Array(1 ... 8) + [11] {
                let a = activations.prefix(pass).flatMap { $0 }
                var y = [Float](repeating: .nan, count: pass * rows)
                bytes.withUnsafeBytes { w in
                    lorasb_qdot_gemv(type.rawValue, Int32(columns), w.baseAddress, rowBytes, nil, 0, Int32(rows),
                                     a, Int32(pass), &y, Int32(rows))
                }
                for j in 0 ..< pass {
                    for r in 0 ..< rows {
                        let (one, reference) = bytes.withUnsafeBytes { w in
                            (lorasb_qdot_row(type.rawValue, Int32(columns), w.baseAddress! + r * rowBytes, activations[j]),
                             lorasb_qdot_row_reference(type.rawValue, Int32(columns), w.baseAddress! + r * rowBytes, activations[j]))
                        }
                        let got = y[j * rows + r]
                        let magnitude = (0 ..< columns).reduce(Float(0)) { $0 + abs(weights[r * columns + $1]) * magnitudes[j][$1] }
                        let tolerance = 1e-5 * magnitude + 1e-30
                        XCTAssertEqual(got, one, accuracy: tolerance, "\(type) row \(r) activation \(j) of \(pass) against one row, \(source)")
                        XCTAssertEqual(got, reference, accuracy: tolerance, "\(type) row \(r) activation \(j) of \(pass), \(source)")
                    }
                }
            }
        }
    }

    /// The q8 product of up to 8 rows (and a row order) against fp32 products of the decoded
    /// weight and the decoded 8-bit activations. Q8_1's s = d·Σq is stored as fp16, so types
    /// with a minimum (Q4_1, Q5_1) also carry that rounding: |m·s|·2⁻¹¹ per block.
    func testMultiRowProductEqualsTheDequantisedProduct() throws {
        for type in Self.types {
            let (bytes, columns, source, format, rowBytes, rows, weights) = try Self.product(of: type)
            let order: [Int64] = (0 ..< rows).reversed().map(Int64.init)
            for batch in [1, 3, 8] {
                let a = (0 ..< batch).flatMap { Self.quantize(Self.activations(columns, seed: 100 + UInt64($0)), format: format) }
                var y = [Float](repeating: .nan, count: batch * rows)
                bytes.withUnsafeBytes { w in
                    lorasb_qdot_gemv(type.rawValue, Int32(columns), w.baseAddress, rowBytes, order, 0, Int32(rows),
                                     a, Int32(batch), &y, Int32(rows))
                }
                let activationBytes = a.count / batch
                for j in 0 ..< batch {
                    let block = Array(a[j * activationBytes ..< (j + 1) * activationBytes])
                    let x = Self.dequantize(block, format: format, count: columns)
                    for r in 0 ..< rows {
                        let stored = Int(order[r])
                        var expected: Double = 0, magnitude: Float = 0
                        for c in 0 ..< columns {
                            expected += Double(weights[stored * columns + c]) * Double(x[c])
                            magnitude += abs(weights[stored * columns + c] * x[c])
                        }
                        var tolerance = 2e-5 * magnitude + 1e-30
                        if format == Int32(LORASB_Q8_1.rawValue) {
                            for b in 0 ..< columns / 32 {
                                let m = Float(Float16(bitPattern: UInt16(bytes[stored * rowBytes + b * type.blockBytes + 2])
                                    | UInt16(bytes[stored * rowBytes + b * type.blockBytes + 3]) << 8))
                                let s = Float(Float16(bitPattern: UInt16(block[b * 36 + 2]) | UInt16(block[b * 36 + 3]) << 8))
                                tolerance += abs(m * s) / 2048
                            }
                        }
                        XCTAssertEqual(Double(y[j * rows + r]), expected, accuracy: Double(tolerance),
                                       "\(type) row \(r) activation \(j) of \(batch), \(source)")
                    }
                }
            }
        }
    }
}

/// Rows interleaved by 8 (llama.cpp's repacking) for every type that has them: every row
/// unpacks to its own bytes, and the interleaved product equals the one-row kernels on the
/// rows, for 1…8 and 11 activation rows, rows taken in reverse order. Real rows where the files
/// hold the type (SmolLM2 Q4_1; Qwen 0.5B Q4_K, Q5_0, Q8_0), else synthetic.
final class InterleavedRowsTests: XCTestCase {
    static let types: [GGMLType] = [.q4_K, .q4_0, .q4_1, .q5_0, .q5_1, .q8_0]

    func testInterleavedRowsUnpackToTheRowsAndMultiplyAsThem() throws {
        XCTAssertEqual(QuantDotTests.types.filter { lorasb_x8_supports($0.rawValue) != 0 }.count, Self.types.count)
        for type in Self.types {
            try check(type)
        }
    }

    func check(_ type: GGMLType) throws {
        let (bytes, columns, source, format, rowBytes, rows, weights) = try QuantDotTests.product(of: type)
        XCTAssertEqual(rows % 8, 0, source)
        let order: [Int64] = (0 ..< rows).reversed().map(Int64.init)
        var packed = [UInt8](repeating: 0, count: bytes.count)
        bytes.withUnsafeBytes { w in packed.withUnsafeMutableBytes { out in
            lorasb_x8_pack(type.rawValue, w.baseAddress, rowBytes, order, Int32(columns), 0, Int32(rows / 8), out.baseAddress)
        } }
        XCTAssertNotEqual(packed, bytes, "\(type): the rows are interleaved")
        for r in 0 ..< rows {
            var row = [UInt8](repeating: 0, count: rowBytes)
            packed.withUnsafeBytes { p in row.withUnsafeMutableBytes {
                lorasb_x8_unpack_row(type.rawValue, p.baseAddress, Int32(columns), Int32(r), $0.baseAddress)
            } }
            let stored = Int(order[r])
            XCTAssertEqual(row, Array(bytes[stored * rowBytes ..< (stored + 1) * rowBytes]), "\(type) row \(r) of \(source)")
        }
        let activations = (0 ..< 11).map { QuantDotTests.quantize(QuantDotTests.activations(columns, seed: 300 + UInt64($0)), format: format) }
        for pass in Array(1 ... 8) + [11] {
            let a = activations.prefix(pass).flatMap { $0 }
            var y = [Float](repeating: .nan, count: pass * rows), yReference = y
            packed.withUnsafeBytes { p in
                // the second group alone first, then the first: groups are independent
                lorasb_x8_gemv(type.rawValue, Int32(columns), p.baseAddress, 1, Int32(rows / 8), a, Int32(pass), &y, Int32(rows))
                lorasb_x8_gemv(type.rawValue, Int32(columns), p.baseAddress, 0, 1, a, Int32(pass), &y, Int32(rows))
                lorasb_x8_gemv_reference(type.rawValue, Int32(columns), p.baseAddress, 0, Int32(rows / 8), a, Int32(pass),
                                         &yReference, Int32(rows))
            }
            for j in 0 ..< pass {
                let ax = QuantDotTests.dequantize(activations[j], format: format, count: columns).map(abs)
                for r in 0 ..< rows {
                    let stored = Int(order[r])
                    let reference = bytes.withUnsafeBytes { w in
                        lorasb_qdot_row_reference(type.rawValue, Int32(columns), w.baseAddress! + stored * rowBytes, activations[j])
                    }
                    let magnitude = (0 ..< columns).reduce(Float(0)) { $0 + abs(weights[stored * columns + $1]) * ax[$1] }
                    XCTAssertEqual(y[j * rows + r], reference, accuracy: 1e-5 * magnitude + 1e-30,
                                   "\(type) row \(r) activation \(j) of \(pass), \(source)")
                    XCTAssertEqual(yReference[j * rows + r], reference, "\(type) row \(r) activation \(j) of \(pass): the plain C path is the row kernel")
                }
            }
        }
    }
}
