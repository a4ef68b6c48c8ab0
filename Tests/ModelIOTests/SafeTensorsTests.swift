import Foundation
import XCTest
import ModelIO
import Tensor
import TestSupport

/// The safetensors reader against the `safetensors` Python package, and the writer by round trip.
final class SafeTensorsTests: XCTestCase {
    func testMiniLMMatchesReference() throws {
        let url = try TestPaths.require(TestPaths.miniLM.appendingPathComponent("model.safetensors"))
        let file = try SafeTensorsFile(url: url)
        let fixture = try ModelIOFixture.object("safetensors_minilm.json")
        XCTAssertEqual(file.names.count, try fixture.int("count"))
        XCTAssertEqual(file.names.count, 104)
        XCTAssertEqual(file.metadata, fixture["metadata"] as? [String: String])
        XCTAssertEqual(file.metadata, ["format": "pt"])
        let references = try fixture.objects("tensors")
        XCTAssertEqual(Set(file.names), Set(try references.map { try $0.string("name") }))
        for ref in references {
            let name = try ref.string("name")
            let info = try file.info(named: name)
            XCTAssertEqual(info.shape, try ref.ints("shape"), name)
            if try ref.string("dtype") == "float32" {
                XCTAssertEqual(info.dtype, .f32, name)
                let t = try file.tensor(named: name)
                XCTAssertEqual(t.shape, info.shape)
                let head = try ref.floats("head")
                assertBitEqual(Array(t.buffer.prefix(head.count)), head, name)
                let (sum, squares) = checksums(UnsafeBufferPointer(t.buffer))
                assertRelativelyClose(sum, try ref.double("sum"), 1e-6, "\(name) sum")
                assertRelativelyClose(squares, try ref.double("sumSquares"), 1e-6, "\(name) sum of squares")
            } else {
                XCTAssertEqual(info.dtype, .i64, name)
                let ints = try file.integers(named: name)
                XCTAssertEqual(Array(ints.prefix(16)), try ref.ints("head"), name)
                XCTAssertEqual(ints.reduce(0, +), try ref.int("integerSum"), name)
                XCTAssertThrowsError(try file.tensor(named: name), "integer buffers are not fp32 tensors")
            }
        }
        XCTAssertEqual(try file.info(named: "embeddings.word_embeddings.weight").shape, [30522, 384])
        XCTAssertEqual(try file.integers(named: "embeddings.position_ids"), Array(0 ..< 512))
    }

    func testSyntheticFileEveryDType() throws {
        let file = try SafeTensorsFile(url: ModelIOFixture.url("synthetic.safetensors"))
        let fixture = try ModelIOFixture.object("synthetic_safetensors.json")
        XCTAssertEqual(file.metadata, fixture["metadata"] as? [String: String])
        for ref in try fixture.objects("tensors") {
            let name = try ref.string("name")
            let info = try file.info(named: name)
            XCTAssertEqual(info.dtype.rawValue, try ref.string("dtype"), name)
            XCTAssertEqual(info.shape, try ref.ints("shape"), name)
            if ref["values"] != nil {
                assertBitEqual(try file.tensor(named: name).array, try ref.floats("values"), name)
            } else {
                XCTAssertEqual(try file.integers(named: name), try ref.ints("integers"), name)
            }
        }
        // The f16 fixture holds a subnormal, a negative zero and the largest finite value.
        let f16 = try file.tensor(named: "weight.f16").array
        XCTAssertEqual(f16[0], 0x1p-24)
        XCTAssertEqual(f16[1].bitPattern, (-Float(0)).bitPattern)
        XCTAssertEqual(f16[2], 65504)
    }

    func testHalfPrecisionAgreesWithFloat16ForEveryBitPattern() {
        for bits in 0 ... UInt16.max {
            let ours = HalfPrecision.float(fromFloat16Bits: bits)
            let reference = Float(Float16(bitPattern: bits))
            if reference.isNaN {
                XCTAssertTrue(ours.isNaN, "\(bits)")
            } else {
                XCTAssertEqual(ours.bitPattern, reference.bitPattern, "\(bits)")
            }
        }
    }

    func testWriterRoundTrip() throws {
        let folder = try temporaryFolder(self)
        let url = folder.appendingPathComponent("adapter.safetensors")
        let a = Tensor(shape: [2, 3], values: [1, -2, 3.5, .pi, -0, 1e-30])
        let b = Tensor(shape: [5], values: [9, 8, 7, 6, 5])
        let scalar = Tensor(shape: [], values: [42])
        let empty = Tensor(zeros: [0, 4])
        var writer = SafeTensorsWriter(metadata: ["format": "pt", "rank": "8"])
        writer.add("layers.0.b", b)
        writer.add("layers.0.a", a)
        writer.add("scalar", scalar)
        writer.add("empty", empty)
        try writer.write(to: url)

        let file = try SafeTensorsFile(url: url)
        XCTAssertEqual(file.metadata, ["format": "pt", "rank": "8"])
        XCTAssertEqual(Set(file.names), ["layers.0.a", "layers.0.b", "scalar", "empty"])
        for (name, t) in [("layers.0.a", a), ("layers.0.b", b), ("scalar", scalar), ("empty", empty)] {
            let back = try file.tensor(named: name)
            XCTAssertEqual(back.shape, t.shape, name)
            assertBitEqual(back.array, t.array, name)
        }
        // The data section starts 8-byte aligned, and no temporary file is left behind.
        XCTAssertEqual(file.dataStart % 8, 0)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: folder.path), ["adapter.safetensors"])

        // Rewriting replaces the file in place.
        var second = SafeTensorsWriter()
        second.add("only", b)
        try second.write(to: url)
        XCTAssertEqual(try SafeTensorsFile(url: url).names, ["only"])
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: folder.path), ["adapter.safetensors"])
    }

    func testWriterHeaderIsPaddedForEveryLength() throws {
        let folder = try temporaryFolder(self)
        // Names of growing length move the header length through every remainder mod 8.
        for n in 1 ... 9 {
            var writer = SafeTensorsWriter()
            writer.add(String(repeating: "x", count: n), Tensor(shape: [1], values: [Float(n)]))
            let url = folder.appendingPathComponent("t\(n).safetensors")
            try writer.write(to: url)
            let data = try Data(contentsOf: url)
            let headerLength = data.prefix(8).enumerated().reduce(0) { $0 | Int($1.element) << (8 * $1.offset) }
            XCTAssertEqual(headerLength % 8, 0)
            XCTAssertEqual(data.count, 8 + headerLength + 4)
            XCTAssertEqual(try SafeTensorsFile(url: url).tensor(named: String(repeating: "x", count: n)).array, [Float(n)])
        }
    }

    func testWriterFailsCleanlyIntoMissingFolder() {
        let url = URL(fileURLWithPath: "/nonexistent-\(UUID().uuidString)/x.safetensors")
        var writer = SafeTensorsWriter()
        writer.add("a", Tensor(shape: [1], values: [1]))
        XCTAssertThrowsError(try writer.write(to: url)) { error in
            XCTAssertTrue("\(error)".contains("x.safetensors"), "\(error)")
        }
    }

    func testShardedCheckpointFindsEachTensorInItsShard() throws {
        let folder = try temporaryFolder(self)
        var first = SafeTensorsWriter(metadata: ["format": "pt"])
        first.add("model.embed.weight", Tensor(shape: [2, 2], values: [1, 2, 3, 4]))
        first.add("model.layers.0.w", Tensor(shape: [3], values: [5, 6, 7]))
        try first.write(to: folder.appendingPathComponent("model-00001-of-00002.safetensors"))
        var second = SafeTensorsWriter()
        second.add("model.layers.1.w", Tensor(shape: [1, 2], values: [8, 9]))
        try second.write(to: folder.appendingPathComponent("model-00002-of-00002.safetensors"))
        let index = """
        {"metadata": {"total_size": 44}, "weight_map": {
          "model.embed.weight": "model-00001-of-00002.safetensors",
          "model.layers.0.w": "model-00001-of-00002.safetensors",
          "model.layers.1.w": "model-00002-of-00002.safetensors"}}
        """
        try index.write(to: folder.appendingPathComponent("model.safetensors.index.json"), atomically: true, encoding: .utf8)

        let checkpoint = try SafeTensorsCheckpoint(url: folder)
        XCTAssertEqual(checkpoint.files.count, 2)
        XCTAssertEqual(checkpoint.names, ["model.embed.weight", "model.layers.0.w", "model.layers.1.w"])
        XCTAssertEqual(try checkpoint.tensor(named: "model.layers.1.w").array, [8, 9])
        XCTAssertEqual(try checkpoint.tensor(named: "model.embed.weight").shape, [2, 2])
        XCTAssertEqual(try checkpoint.file(holding: "model.layers.1.w").url.lastPathComponent,
                       "model-00002-of-00002.safetensors")
        XCTAssertEqual(checkpoint.metadata, ["format": "pt"])
        XCTAssertThrowsError(try checkpoint.tensor(named: "missing"))
    }

    func testShardedCheckpointRejectsIndexDisagreeingWithShards() throws {
        let folder = try temporaryFolder(self)
        var shard = SafeTensorsWriter()
        shard.add("a", Tensor(shape: [1], values: [1]))
        try shard.write(to: folder.appendingPathComponent("s1.safetensors"))
        let indexURL = folder.appendingPathComponent("model.safetensors.index.json")
        let cases: [(String, String)] = [
            (#"{"weight_map": {"b": "s1.safetensors"}}"#, "no such tensor"),
            (#"{"weight_map": {"a": "../s1.safetensors"}}"#, "not a file in the folder"),
            (#"{"weight_map": {"a": "s2.safetensors"}}"#, "no such file"),
            (#"{"weight_map": {"a": 3}}"#, "should be a string"),
            (#"{"metadata": {}}"#, "weight_map\" is missing"),
            (#"[1, 2]"#, "JSON object"),
            (#"{"weight_map": "#, "not valid JSON"),
        ]
        for (text, expected) in cases {
            try text.write(to: indexURL, atomically: true, encoding: .utf8)
            XCTAssertThrowsError(try SafeTensorsCheckpoint(url: folder), text) { error in
                XCTAssertTrue("\(error)".contains(expected), "\(text): \(error)")
            }
        }
    }

    func testCheckpointWithoutIndexNeedsOneFile() throws {
        let folder = try temporaryFolder(self)
        XCTAssertThrowsError(try SafeTensorsCheckpoint(url: folder)) { XCTAssertTrue("\($0)".contains("no .safetensors")) }
        var w = SafeTensorsWriter()
        w.add("a", Tensor(shape: [1], values: [1]))
        try w.write(to: folder.appendingPathComponent("one.safetensors"))
        XCTAssertEqual(try SafeTensorsCheckpoint(url: folder).names, ["a"])
        try w.write(to: folder.appendingPathComponent("two.safetensors"))
        XCTAssertThrowsError(try SafeTensorsCheckpoint(url: folder)) { XCTAssertTrue("\($0)".contains("several")) }
    }
}
