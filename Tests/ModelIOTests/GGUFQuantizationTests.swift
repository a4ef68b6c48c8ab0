import Foundation
import XCTest
import ModelIO
import Tensor
import TestSupport

/// Every block type against `gguf.quants.dequantize` (fixtures by
/// scripts/fixtures/make_quant_fixtures.py): a synthetic file with random blocks of each type,
/// and one tensor of each type in the real Qwen2.5-Coder files.
final class GGUFQuantizationTests: XCTestCase {
    static let quantisedTypes: Set<String> = ["Q4_0", "Q4_1", "Q5_0", "Q5_1", "Q8_0",
                                              "Q2_K", "Q3_K", "Q4_K", "Q5_K", "Q6_K"]

    func testSyntheticTensorOfEveryBlockTypeIsBitExact() throws {
        let gguf = try GGUFFile(url: ModelIOFixture.url("quant_synthetic.gguf"))
        let references = try ModelIOFixture.object("quant_synthetic.json").objects("tensors")
        XCTAssertEqual(Set(try references.map { try $0.string("type") }), Self.quantisedTypes)
        for ref in references {
            let name = try ref.string("name")
            XCTAssertEqual(try gguf.info(named: name).type.description, try ref.string("type"))
            let tensor = try gguf.tensor(named: name)
            XCTAssertEqual(tensor.shape, try ref.ints("shape"), name)
            assertBitEqual(tensor.array, try ref.floats("values"), name)
        }
    }

    /// Row ranges decoded serially, also from inside a parallel loop, equal the whole tensor.
    func testRowRangesMatchTheWholeTensor() throws {
        let gguf = try GGUFFile(url: ModelIOFixture.url("quant_synthetic.gguf"))
        for info in gguf.tensorInfos {
            let whole = try gguf.tensor(named: info.name).array
            let matrix = try gguf.quantizedMatrix(named: info.name)
            XCTAssertEqual([matrix.rows, matrix.columns], info.shape, info.name)
            let n = matrix.columns
            for range in [0 ..< 1, 1 ..< matrix.rows, 0 ..< matrix.rows, 1 ..< 1] {
                var part = [Float](repeating: .nan, count: range.count * n)
                part.withUnsafeMutableBufferPointer { matrix.decodeRows(range, into: $0.baseAddress!) }
                assertBitEqual(part, Array(whole[range.lowerBound * n ..< range.upperBound * n]), "\(info.name) rows \(range)")
            }
            var rowByRow = [Float](repeating: .nan, count: whole.count)
            rowByRow.withUnsafeMutableBufferPointer { buffer in
                let out = UncheckedBox(buffer.baseAddress!)
                Parallel.forEachChunk(matrix.rows, minChunk: 1) { rows in
                    for r in rows { matrix.decodeRows(r ..< r + 1, into: out.value + r * n) }
                }
            }
            assertBitEqual(rowByRow, whole, "\(info.name) row by row in parallel")
        }
    }

    func testQwen05BTensorOfEachTypeIsBitExact() throws {
        try checkRealFile(TestPaths.qwenCoderGGUF("0.5B"), types: ["Q5_0", "Q8_0", "Q4_K", "Q6_K"])
    }

    func testQwen15BTensorOfEachTypeIsBitExact() throws {
        try checkRealFile(TestPaths.qwenCoderGGUF("1.5B"), types: ["Q4_K", "Q6_K"])
    }

    func checkRealFile(_ url: URL, types: Set<String>) throws {
        guard FileManager.default.fileExists(atPath: url.path) else {
            throw XCTSkip("\(url.path) is absent (scripts/fetch-qwen.sh fetches it)")
        }
        let files = try ModelIOFixture.object("quant_qwen.json").objects("files")
        guard let entry = try files.first(where: { try $0.string("file") == url.lastPathComponent }) else {
            return XCTFail("quant_qwen.json has no entry for \(url.lastPathComponent)")
        }
        let gguf = try GGUFFile(url: url)
        let references = try entry.objects("tensors")
        XCTAssertEqual(Set(try references.map { try $0.string("type") }), types)
        for ref in references {
            let name = try ref.string("name")
            XCTAssertEqual(try gguf.info(named: name).type.description, try ref.string("type"), name)
            let tensor = try gguf.tensor(named: name)
            XCTAssertEqual(tensor.shape, try ref.ints("shape"), name)
            let values = UnsafeBufferPointer(tensor.buffer)
            let head = try ref.floats("head"), tail = try ref.floats("tail")
            assertBitEqual(Array(values.prefix(head.count)), head, "\(name) head")
            assertBitEqual(Array(values.suffix(tail.count)), tail, "\(name) tail")
            guard let rowHeads = ref["rowHeads"] as? [String: Any] else { return XCTFail("\(name): no rowHeads") }
            let n = tensor.shape[1]
            for (key, _) in rowHeads {
                guard let row = Int(key) else { return XCTFail("\(name): row \(key)") }
                let expected = try (rowHeads as [String: Any]).floats(key)
                assertBitEqual(Array(values[row * n ..< row * n + expected.count]), expected, "\(name) row \(row)")
            }
            XCTAssertEqual(String(bitChecksum(values)), try ref.string("bitChecksum"), "\(name) bit checksum")
        }
    }

    /// The fixture script's checksum: Σ bits(v[i]) · (2 · i · 2654435761 + 1), wrapping.
    func bitChecksum(_ values: UnsafeBufferPointer<Float>) -> UInt64 {
        var sum: UInt64 = 0
        for (i, v) in values.enumerated() {
            sum &+= UInt64(v.bitPattern) &* (UInt64(i) &* (2 * 2_654_435_761) &+ 1)
        }
        return sum
    }
}
