import Foundation
import TestSupport
import Tokenizers
import XCTest

/// The committed reference fixtures (made by scripts/fixtures/make_tokenizer_fixtures.py from
/// the Python `tokenizers` / `transformers` packages) and the inputs they were made from.
enum TokenizerFixtures {
    static var folder: URL { TestPaths.fixtures.appendingPathComponent("tokenizers") }

    static func json(_ name: String) throws -> Any {
        let data = try Data(contentsOf: folder.appendingPathComponent(name))
        return try JSONSerialization.jsonObject(with: data)
    }

    static func object(_ name: String) throws -> [String: Any] {
        try XCTUnwrap(json(name) as? [String: Any], "\(name) is not an object")
    }

    static func stress() throws -> [String] {
        try XCTUnwrap(json("stress.json") as? [String], "stress.json is not a list of strings")
    }

    /// Every question and answer of GSM8K test, in file order (question, answer, question, …).
    static func gsm8kTest() throws -> [String] {
        try jsonlFields(TestPaths.sharedData.appendingPathComponent("gsm8k/test.jsonl"), "question", "answer")
    }

    /// The string fields `a` and `b` of every line of a JSONL file, interleaved.
    private static func jsonlFields(_ file: URL, _ a: String, _ b: String) throws -> [String] {
        let text = try String(contentsOf: TestPaths.require(file), encoding: .utf8)
        var out: [String] = []
        for line in text.split(separator: "\n") where !line.isEmpty {
            let row = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
            out.append(try XCTUnwrap(row[a] as? String, "\(file.lastPathComponent): no \(a)"))
            out.append(try XCTUnwrap(row[b] as? String, "\(file.lastPathComponent): no \(b)"))
        }
        return out
    }

    /// The pairs the fixture script encodes (same construction).
    static func pairs(gsm: [String], stress: [String]) -> [(String, String)] {
        var out = (0..<40).map { (gsm[2 * $0], gsm[2 * $0 + 1]) }
        for i in 0..<(stress.count - 1) { out.append((stress[i], stress[stress.count - 1 - i])) }
        return out
    }

    static func ids(_ v: Any?) throws -> [[Int]] {
        try XCTUnwrap(v as? [[Int]], "expected a list of id lists")
    }

    /// SmolLM2-135M-Instruct's tokenizer, read from the real GGUF file.
    static func smolLM2() throws -> Tokenizer {
        try Tokenizer.load(model: TestPaths.require(TestPaths.smolLM2GGUF))
    }

    /// Qwen2.5-Coder-Instruct's tokenizer from its GGUF file; the test is skipped when the file
    /// was not downloaded (it is optional: `scripts/install.sh --qwen`).
    static func qwen(_ size: String) throws -> Tokenizer {
        let url = TestPaths.qwenCoderGGUF(size)
        guard FileManager.default.fileExists(atPath: url.path) else {
            throw XCTSkip("\(url.path) is absent: scripts/fetch-qwen.sh downloads it")
        }
        return try Tokenizer.load(model: url)
    }

    /// The problems and solutions of MATH500, in file order (problem, solution, problem, …).
    static func math500() throws -> [String] {
        try jsonlFields(TestPaths.sharedData.appendingPathComponent("math/math500_test.jsonl"), "question", "answer")
    }

    static func miniLM() throws -> Tokenizer {
        try Tokenizer.load(tokenizerJSON: TestPaths.require(TestPaths.miniLM.appendingPathComponent("tokenizer.json")))
    }
}

/// Compares ids input by input; fails listing the first disagreements and the agreement rate.
func assertSameIds(_ got: [[Int]], _ want: [[Int]], inputs: [String], _ what: String,
                   file: StaticString = #filePath, line: UInt = #line) {
    XCTAssertEqual(got.count, want.count, "\(what): input count", file: file, line: line)
    var bad: [Int] = []
    for i in 0..<min(got.count, want.count) where got[i] != want[i] { bad.append(i) }
    for i in bad.prefix(3) {
        XCTFail("\(what) #\(i) \(inputs[i].debugDescription.prefix(200)):\n got  \(got[i].prefix(60))\n want \(want[i].prefix(60))", file: file, line: line)
    }
    if !bad.isEmpty {
        XCTFail("\(what): \(want.count - bad.count)/\(want.count) inputs agree", file: file, line: line)
    }
}
