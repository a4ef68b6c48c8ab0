import Foundation
import XCTest
import ModelIO
import TestSupport

/// Every type lorasb writes against `gguf.quants.quantize` (fixtures by
/// scripts/fixtures/make_encode_fixtures.py): rows of edge cases, byte for byte.
final class GGUFEncodingTests: XCTestCase {
    func testEveryTypeEncodesEveryCaseLikeGGUF() throws {
        let fixture = try ModelIOFixture.object("quant_encode.json")
        let names = try XCTUnwrap(fixture["types"] as? [String])
        let types: [GGMLType] = try names.map { name in
            guard let t = GGMLType.allCases.first(where: { $0.description == name }) else { throw FixtureError("unknown type \(name)") }
            return t
        }
        XCTAssertEqual(Set(types), Set(GGMLEncoder.supportedTypes))
        for c in try fixture.objects("cases") {
            let name = try c.string("name")
            let values = try c.floats("values")
            let encoded = try XCTUnwrap(c["encoded"] as? [String: String], name)
            for type in types {
                let ours = try GGMLEncoder.encode(values, as: type, name: name)
                let reference = try Self.bytes(hex: try XCTUnwrap(encoded[type.description]))
                XCTAssertEqual(ours.count, reference.count, "\(name) \(type)")
                if let i = zip(ours, reference).enumerated().first(where: { $1.0 != $1.1 })?.offset {
                    XCTFail("\(name) as \(type): byte \(i) (block \(i / type.blockBytes)) is \(ours[i]), gguf wrote \(reference[i])")
                }
            }
        }
    }

    /// Encoding then decoding with our own reader gives the values back within one step of each
    /// type (values within ±0.05: Q4_0's step is 0.05/8, Q4_1's 0.1/15, Q5's half those).
    func testDecodingOurEncodingRecoversTheValues() throws {
        let values = (0 ..< 256).map { Float(sin(Double($0) * 0.37)) * 0.05 }
        for (type, tolerance) in [(GGMLType.f32, Float(0)), (.f16, 3e-5), (.bf16, 2.5e-4), (.q8_0, 4e-4),
                                  (.q5_0, 3.2e-3), (.q5_1, 3.3e-3), (.q4_0, 6.3e-3), (.q4_1, 6.7e-3)] {
            let bytes = try GGMLEncoder.encode(values, as: type, name: "row")
            var decoded = [Float](repeating: .nan, count: values.count)
            bytes.withUnsafeBytes { raw in
                decoded.withUnsafeMutableBufferPointer {
                    GGUFDequantizer.dequantize(raw, type: type, count: values.count, into: $0.baseAddress!)
                }
            }
            let worst = zip(values, decoded).map { abs($0 - $1) }.max() ?? .nan
            XCTAssertLessThanOrEqual(worst, tolerance, "\(type)")
        }
    }

    func testNonFiniteValuesAndPartialBlocksAreRefusedWithTheName() throws {
        var row = [Float](repeating: 0.5, count: 32)
        row[7] = .nan
        XCTAssertThrowsError(try GGMLEncoder.encode(row, as: .q8_0, name: "blk.0.attn_q.weight")) { error in
            XCTAssertTrue("\(error)".contains("blk.0.attn_q.weight") && "\(error)".contains("value 7"), "\(error)")
        }
        row[7] = .infinity
        XCTAssertThrowsError(try GGMLEncoder.encode(row, as: .f16, name: "t"))
        XCTAssertThrowsError(try GGMLEncoder.encode([Float](repeating: 1, count: 48), as: .q4_0, name: "short")) { error in
            XCTAssertTrue("\(error)".contains("short"), "\(error)")
        }
        XCTAssertThrowsError(try GGMLEncoder.encode([Float](repeating: 1, count: 256), as: .q4_K, name: "k")) { error in
            XCTAssertTrue("\(error)".contains("Q4_K"), "\(error)")
        }
    }

    static func bytes(hex: String) throws -> [UInt8] {
        let chars = Array(hex.utf8)
        guard chars.count % 2 == 0 else { throw FixtureError("odd hex length") }
        return try stride(from: 0, to: chars.count, by: 2).map { i in
            guard let b = UInt8(String(decoding: chars[i ..< i + 2], as: UTF8.self), radix: 16) else { throw FixtureError("bad hex") }
            return b
        }
    }
}
