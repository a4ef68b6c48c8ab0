import Foundation
import XCTest
import ModelIO
import TestSupport

/// `ModelFiles` and the `lorasb info` summary on the two real models.
final class ModelFilesTests: XCTestCase {
    func testSmolLM2Summary() throws {
        let model = try ModelFiles(url: TestPaths.require(TestPaths.smolLM2GGUF))
        let s = ModelSummary(model)
        XCTAssertEqual(s.format, "gguf")
        XCTAssertEqual(s.architecture, "llama")
        XCTAssertEqual(s.layers, 30)
        XCTAssertEqual(s.hiddenSize, 576)
        XCTAssertEqual(s.heads, 9)
        XCTAssertEqual(s.kvHeads, 3)
        XCTAssertEqual(s.intermediateSize, 1536)
        XCTAssertEqual(s.vocabularySize, 49152)
        XCTAssertEqual(s.parameterCount, 134_515_008)
        XCTAssertEqual(s.tensorsPerType, ["Q4_1": 210, "F32": 61, "Q8_0": 1])
        XCTAssertEqual(model.tokenizerKind, .bytePairEncoding)
        XCTAssertEqual(s.fileSize, 98_362_432)
        XCTAssertTrue(s.text.contains("134,515,008"))
        XCTAssertTrue(s.text.contains("llama"))

        let embedding = try model.descriptor(named: "token_embd.weight")
        XCTAssertEqual(embedding.shape, [49152, 576])
        XCTAssertEqual(embedding.dataType, "Q8_0")
        let norm = try model.tensor(named: "blk.0.attn_norm.weight")
        XCTAssertEqual(norm.shape, [576])
        let q = try model.tensor(named: "blk.0.attn_q.weight")
        XCTAssertEqual(q.shape, [576, 576])
        XCTAssertEqual(try model.tensor(named: "blk.0.attn_k.weight").shape, [192, 576])
        XCTAssertThrowsError(try model.tensor(named: "output.weight"))
    }

    func testMiniLMSummary() throws {
        let model = try ModelFiles(url: TestPaths.require(TestPaths.miniLM))
        let s = ModelSummary(model)
        XCTAssertEqual(s.format, "safetensors")
        XCTAssertEqual(s.architecture, "bert")
        XCTAssertEqual(s.layers, 6)
        XCTAssertEqual(s.hiddenSize, 384)
        XCTAssertEqual(s.heads, 12)
        XCTAssertEqual(s.parameterCount, 22_713_216, "position_ids (I64) is not a parameter")
        XCTAssertEqual(s.tensorsPerType, ["F32": 103, "I64": 1])
        XCTAssertEqual(model.tokenizerKind, .wordPiece)
        XCTAssertEqual(model.tokenizerFile?.lastPathComponent, "tokenizer.json")
        XCTAssertEqual(s.fileSize, 90_868_376)
        let json = try JSONSerialization.jsonObject(with: Data(try s.json().utf8)) as? [String: Any]
        XCTAssertEqual(json?["parameters"] as? Int, 22_713_216)
        XCTAssertEqual(json?["layers"] as? Int, 6)
        XCTAssertEqual(try model.descriptor(named: "embeddings.position_ids").isParameter, false)
        XCTAssertEqual(try model.tensor(named: "encoder.layer.0.attention.self.query.weight").shape, [384, 384])
    }

    /// The Hugging Face cache links snapshot files to blobs: links must open like files.
    func testSymbolicLinksAreFollowed() throws {
        let folder = try temporaryFolder(self)
        let link = folder.appendingPathComponent("model.gguf")
        try FileManager.default.createSymbolicLink(at: link, withDestinationURL: TestPaths.require(TestPaths.smolLM2GGUF))
        XCTAssertEqual(try ModelFiles(url: link).parameterCount, 134_515_008)
        let hf = folder.appendingPathComponent("minilm")
        try FileManager.default.createDirectory(at: hf, withIntermediateDirectories: true)
        for name in ["config.json", "model.safetensors", "tokenizer.json"] {
            try FileManager.default.createSymbolicLink(at: hf.appendingPathComponent(name),
                                                       withDestinationURL: TestPaths.miniLM.appendingPathComponent(name))
        }
        XCTAssertEqual(try ModelFiles(url: hf).parameterCount, 22_713_216)
    }

    func testOpeningSomethingElseFailsClearly() throws {
        let folder = try temporaryFolder(self)
        XCTAssertThrowsError(try ModelFiles(url: folder)) { XCTAssertTrue("\($0)".contains("no config.json"), "\($0)") }
        let text = folder.appendingPathComponent("notes.txt")
        try "hello".write(to: text, atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try ModelFiles(url: text)) { XCTAssertTrue("\($0)".contains("not a GGUF file"), "\($0)") }
        XCTAssertThrowsError(try ModelFiles(url: URL(fileURLWithPath: "/dev/zero"))) {
            XCTAssertTrue("\($0)".contains("/dev/zero: is not a regular file"), "\($0)")
        }
        XCTAssertThrowsError(try ModelFiles(url: folder.appendingPathComponent("missing.gguf"))) {
            XCTAssertTrue("\($0)".contains("no such file"), "\($0)")
        }
    }

    /// Runs the built `lorasb` executable, which sits beside the test bundle in the build folder.
    func testInfoCommandBinary() throws {
        // On Linux the bundle URL is the build folder itself; on macOS, the .xctest's parent.
        let bundle = Bundle(for: ModelFilesTests.self).bundleURL
        let folders = [bundle, bundle.deletingLastPathComponent(),
                       URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()]
        guard let binary = folders.map({ $0.appendingPathComponent("lorasb") })
            .first(where: { FileManager.default.isExecutableFile(atPath: $0.path) })
        else {
            throw XCTSkip("lorasb is not built beside the tests in \(folders.map(\.path))")
        }
        func run(_ arguments: [String]) throws -> (status: Int32, out: String, err: String) {
            let process = Process()
            process.executableURL = binary
            process.arguments = arguments
            let out = Pipe(), err = Pipe()
            process.standardOutput = out
            process.standardError = err
            try process.run()
            let o = out.fileHandleForReading.readDataToEndOfFile()
            let e = err.fileHandleForReading.readDataToEndOfFile()
            process.waitUntilExit()
            return (process.terminationStatus, String(decoding: o, as: UTF8.self), String(decoding: e, as: UTF8.self))
        }
        let gguf = try run(["info", "--model", TestPaths.require(TestPaths.smolLM2GGUF).path])
        XCTAssertEqual(gguf.status, 0, gguf.err)
        XCTAssertTrue(gguf.out.contains("134,515,008"), gguf.out)
        XCTAssertTrue(gguf.out.contains("9 (key/value heads: 3)"), gguf.out)
        let bert = try run(["info", "--json", "--model", TestPaths.require(TestPaths.miniLM).path])
        XCTAssertEqual(bert.status, 0, bert.err)
        let json = try JSONSerialization.jsonObject(with: Data(bert.out.utf8)) as? [String: Any]
        XCTAssertEqual(json?["parameters"] as? Int, 22_713_216)
        XCTAssertEqual(json?["architecture"] as? String, "bert")
        let missing = try run(["info", "--model", "/nonexistent/model.gguf"])
        XCTAssertEqual(missing.status, 1)
        XCTAssertTrue(missing.err.contains("/nonexistent/model.gguf: no such file"), missing.err)
        let usage = try run(["info"])
        XCTAssertEqual(usage.status, 2)
        XCTAssertTrue(usage.err.contains("--model is required"), usage.err)
    }
}
