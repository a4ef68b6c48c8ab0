import Foundation
import XCTest
import ModelIO
import TestSupport

/// Our GGUF reader against the `gguf` Python package on the real SmolLM2 file and on a small
/// synthetic file with every metadata type and every supported tensor type.
final class GGUFReferenceTests: XCTestCase {
    func openSmolLM2() throws -> GGUFFile {
        try GGUFFile(url: TestPaths.require(TestPaths.smolLM2GGUF))
    }

    func testSmolLM2HeaderAndTensorInfosMatchReference() throws {
        let gguf = try openSmolLM2()
        let fixture = try ModelIOFixture.object("gguf_smollm2.json")
        XCTAssertEqual(gguf.version, try fixture.int("version"))
        XCTAssertEqual(gguf.tensorInfos.count, try fixture.int("tensorCount"))
        XCTAssertEqual(gguf.alignment, try fixture.int("alignment"))
        XCTAssertEqual(gguf.dataOffset, try fixture.int("dataOffset"))
        let all = try fixture.objects("allTensors")
        XCTAssertEqual(all.count, 272)
        for (ours, ref) in zip(gguf.tensorInfos, all) {
            XCTAssertEqual(ours.name, try ref.string("name"))
            XCTAssertEqual(ours.type.description, try ref.string("type"), ours.name)
            XCTAssertEqual(ours.dimensions, try ref.ints("dimensions"), ours.name)
            XCTAssertEqual(ours.byteRange.lowerBound, try ref.int("offset"), ours.name)
        }
        let embedding = try gguf.info(named: "token_embd.weight")
        XCTAssertEqual(embedding.dimensions, [576, 49152])
        XCTAssertEqual(embedding.shape, [49152, 576])
        XCTAssertEqual(embedding.type, .q8_0)
    }

    func testSmolLM2MetadataMatchesReference() throws {
        let gguf = try openSmolLM2()
        let entries = try ModelIOFixture.object("gguf_smollm2.json").objects("metadata")
        XCTAssertEqual(gguf.metadataKeys, try entries.map { try $0.string("key") })
        for entry in entries {
            let key = try entry.string("key")
            guard let ours = gguf.metadata[key] else { XCTFail("missing \(key)"); continue }
            XCTAssertEqual(Int(ours.type.rawValue), try entry.int("type"), key)
            if ours.type == .array {
                guard let array = ours.array else { XCTFail(key); continue }
                let values = array.values
                XCTAssertEqual(Int(array.elementType.rawValue), try entry.int("elementType"), key)
                XCTAssertEqual(values.count, try entry.int("count"), key)
                let head = entry["head"] as? [Any] ?? []
                let tail = entry["tail"] as? [Any] ?? []
                for (v, r) in zip(values.prefix(head.count), head) { try assertSame(v, r, key) }
                for (v, r) in zip(values.suffix(tail.count), tail) { try assertSame(v, r, key) }
            } else {
                try assertSame(ours, entry["value"] as Any, key)
            }
        }
        XCTAssertEqual(gguf.metadata["general.architecture"], .string("llama"))
        XCTAssertEqual(gguf.metadata["llama.rope.freq_base"], .float32(100_000))
        XCTAssertEqual(gguf.metadata["tokenizer.ggml.tokens"]?.stringArray?.count, 49152)
        XCTAssertEqual(gguf.metadata["tokenizer.ggml.token_type"]?.intArray?.count, 49152)
        XCTAssertEqual(gguf.metadata["tokenizer.ggml.merges"]?.array?.count, 48900)
    }

    /// Compares one of our values with a fixture JSON value.
    func assertSame(_ ours: GGUFValue, _ reference: Any, _ key: String,
                    file: StaticString = #filePath, line: UInt = #line) throws {
        switch ours {
        case .string(let s):
            XCTAssertEqual(s, reference as? String, key, file: file, line: line)
        case .bool(let b):
            XCTAssertEqual(b, reference as? Bool, key, file: file, line: line)
        case .float32(let f):  // the fixture holds the exact decimal text
            XCTAssertEqual(f, (reference as? String).flatMap(Float.init), key, file: file, line: line)
        case .float64(let d):
            XCTAssertEqual(d, (reference as? String).flatMap(Double.init), key, file: file, line: line)
        case .uint64(let u):
            XCTAssertEqual(u, (reference as? NSNumber)?.uint64Value, key, file: file, line: line)
            XCTAssertEqual("\(u)", (reference as? NSNumber)?.stringValue, key, file: file, line: line)
        case .array(let array):
            let elementType = array.elementType, values = array.values
            guard let object = reference as? [String: Any], let refValues = object["values"] as? [Any] else {
                XCTFail("\(key): fixture holds no array", file: file, line: line); return
            }
            XCTAssertEqual(Int(elementType.rawValue), object["elementType"] as? Int, key, file: file, line: line)
            XCTAssertEqual(values.count, refValues.count, key, file: file, line: line)
            for (v, r) in zip(values, refValues) { try assertSame(v, r, key, file: file, line: line) }
        default:
            XCTAssertEqual(ours.intValue, reference as? Int, key, file: file, line: line)
        }
    }

    /// Dequantised values of F32, Q4_1 and Q8_0 tensors of the real file equal gguf.quants.dequantize's
    /// bit for bit at the head and tail, and their float64 sums agree over the whole tensor.
    func testSmolLM2DequantisationIsBitExact() throws {
        let gguf = try openSmolLM2()
        let references = try ModelIOFixture.object("gguf_smollm2.json").objects("tensors")
        XCTAssertEqual(Set(try references.map { try $0.string("type") }), ["F32", "Q4_1", "Q8_0"])
        for ref in references {
            let name = try ref.string("name")
            let tensor = try gguf.tensor(named: name)
            XCTAssertEqual(tensor.shape, try ref.ints("shape"), name)
            let head = try ref.floats("head"), tail = try ref.floats("tail")
            let values = tensor.buffer
            assertBitEqual(Array(values.prefix(head.count)), head, "\(name) head")
            assertBitEqual(Array(values.suffix(tail.count)), tail, "\(name) tail")
            let (sum, squares) = checksums(UnsafeBufferPointer(values))
            assertRelativelyClose(sum, try ref.double("sum"), 1e-6, "\(name) sum")
            assertRelativelyClose(squares, try ref.double("sumSquares"), 1e-6, "\(name) sum of squares")
        }
    }

    func testSyntheticFileEveryValueTypeAndTensorType() throws {
        let gguf = try GGUFFile(url: ModelIOFixture.url("synthetic.gguf"))
        let fixture = try ModelIOFixture.object("synthetic_gguf.json")
        let metadata = try fixture.objects("metadata")
        XCTAssertEqual(gguf.metadataKeys, try metadata.map { try $0.string("key") })
        var typesSeen = Set<GGUFValueType>()
        for entry in metadata {
            let key = try entry.string("key")
            guard let ours = gguf.metadata[key] else { XCTFail("missing \(key)"); continue }
            XCTAssertEqual(Int(ours.type.rawValue), try entry.int("type"), key)
            try assertSame(ours, entry["value"] as Any, key)
            typesSeen.insert(ours.type)
        }
        XCTAssertEqual(typesSeen, Set(GGUFValueType.allCases), "every value type is exercised")
        XCTAssertEqual(gguf.metadata["test.string"], .string("héllo ✓"))
        XCTAssertEqual(gguf.metadata["test.i8"], .int8(-100))
        XCTAssertEqual(gguf.metadata["test.i64"], .int64(-9_000_000_000_000_000_000))

        let tensors = try fixture.objects("tensors")
        XCTAssertEqual(Set(try tensors.map { try $0.string("type") }), ["F32", "F16", "BF16", "Q8_0", "Q4_0", "Q4_1"])
        for ref in tensors {
            let name = try ref.string("name")
            let t = try gguf.tensor(named: name)
            XCTAssertEqual(t.shape, try ref.ints("shape"), name)
            XCTAssertEqual(try gguf.info(named: name).type.description, try ref.string("type"))
            assertBitEqual(t.array, try ref.floats("values"), name)
        }
    }
}
