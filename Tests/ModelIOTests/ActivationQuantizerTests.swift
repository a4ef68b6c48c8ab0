import Foundation
@testable import ModelIO
import QuantDot
import Tensor
import XCTest

/// The activation quantisers equal ggml's reference ones (quantize_row_q8_0_ref, q8_1_ref,
/// q8_K_ref) bit for bit. Q8_0 is held to our Q8_0 encoder, which is itself bit-exact with
/// `gguf.quants.quantize` (quant_encode.json); Q8_1 to that plus s = fp16(d·Σq); Q8_K (which
/// the `gguf` package does not write) to a port of ggml's reference below.
final class ActivationQuantizerTests: XCTestCase {
    /// Rows of 256 with the edge cases: zeros, halves that round differently half-away
    /// (roundf) and half-even (nearest_int), a negative extreme, tiny and huge values.
    static var rows: [[Float]] {
        var rng = SeededGenerator(seed: 3)
        let random = (0 ..< 256).map { i in (Float(rng.next() >> 40) / Float(1 << 24) - 0.5) * (i % 5 == 0 ? 30 : 1) }
        let halves = (0 ..< 256).map { i in Float(i % 64) + 0.5 - 32 }   // amax 31.5: not exact halves after scaling
        var ties = [Float](repeating: 0, count: 256)
        for i in 0 ..< 256 { ties[i] = Float(i % 32) - 15.5 }
        ties[0] = -127; ties[40] = 127   // scale 1: the other values are exact halves
        let tiny = (0 ..< 256).map { Float($0 % 3) * 1e-30 }
        let huge = (0 ..< 256).map { i in Float(i % 2 == 0 ? 1 : -1) * 6e4 * Float(i % 11) / 10 }
        return [random, [Float](repeating: 0, count: 256), halves, ties, tiny, huge]
    }

    static func quantize(_ x: [Float], _ format: lorasb_q8_format) -> [UInt8] {
        let f = Int32(format.rawValue)
        var out = [UInt8](repeating: 0, count: lorasb_q8_row_bytes(f, Int32(x.count)))
        out.withUnsafeMutableBytes { lorasb_q8_quantize_row(f, x, $0.baseAddress, Int32(x.count)) }
        return out
    }

    func testQ8_0EqualsTheEncoder() throws {
        for (i, x) in Self.rows.enumerated() {
            XCTAssertEqual(Self.quantize(x, LORASB_Q8_0), try GGMLEncoder.encode(x, as: .q8_0, name: "row \(i)"), "row \(i)")
        }
    }

    func testQ8_1IsQ8_0WithTheScaledSum() throws {
        for (i, x) in Self.rows.enumerated() {
            let q8_0 = try GGMLEncoder.encode(x, as: .q8_0, name: "row \(i)"), q8_1 = Self.quantize(x, LORASB_Q8_1)
            for b in 0 ..< x.count / 32 {
                let block = Array(q8_1[b * 36 ..< b * 36 + 36]), reference = Array(q8_0[b * 34 ..< b * 34 + 34])
                XCTAssertEqual(Array(block[0 ..< 2]) + Array(block[4...]), reference, "row \(i) block \(b)")
                let d = x[b * 32 ..< b * 32 + 32].reduce(Float(0)) { max($0, abs($1)) } / 127   // fp32, before its fp16 rounding
                let sum = block[4...].reduce(0) { $0 + Int(Int8(bitPattern: $1)) }
                XCTAssertEqual(UInt16(block[2]) | UInt16(block[3]) << 8, Float16(Float(sum) * d).bitPattern, "row \(i) block \(b) s")
            }
        }
    }

    /// ggml's quantize_row_q8_K_ref, one block of 256: the scale from the signed value of largest
    /// magnitude, values rounded half to even through the mantissa and capped at 127, then sums
    /// of 16. Little-endian bytes: fp32 d, 256 int8, 16 int16.
    static func referenceQ8_K(_ x: [Float]) -> [UInt8] {
        var maxValue: Float = 0, amax: Float = 0
        for v in x where abs(v) > amax { amax = abs(v); maxValue = v }
        if amax == 0 { return [UInt8](repeating: 0, count: 292) }
        let iscale = -127 / maxValue
        let q: [Int8] = x.map { v in
            let shifted = (iscale * v + 12582912).bitPattern
            return Int8(min(127, Int(shifted & 0x007fffff) - 0x00400000))
        }
        let sums: [Int16] = (0 ..< 16).map { g in Int16(q[g * 16 ..< g * 16 + 16].reduce(0) { $0 + Int($1) }) }
        var bytes = withUnsafeBytes(of: (1 / iscale).bitPattern.littleEndian, Array.init)
        bytes += q.map { UInt8(bitPattern: $0) }
        for s in sums { bytes += withUnsafeBytes(of: s.littleEndian, Array.init) }
        return bytes
    }

    func testQ8_KEqualsTheReference() {
        for (i, x) in Self.rows.enumerated() {
            XCTAssertEqual(Self.quantize(x, LORASB_Q8_K), Self.referenceQ8_K(x), "row \(i)")
        }
    }
}
