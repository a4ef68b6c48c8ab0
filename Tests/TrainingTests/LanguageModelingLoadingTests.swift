import Foundation
import Tensor
import TestSupport
import XCTest
@testable import Training

final class LanguageModelingLoadingTests: XCTestCase {
    func testAutomaticFormats() throws {
        let tmp = try TemporaryFolder()
        let text = try tmp.write("text.jsonl", "{\"text\": \"hello world\"}\n\n{\"text\": \"b\", \"extra\": 3}\n")
        let t = try LanguageModelingDataset.load(text)
        XCTAssertEqual(t.format, .text(field: "text"))
        XCTAssertEqual(t.examples, [.text("hello world"), .text("b")])
        XCTAssertEqual(t.lines, [1, 3])

        let pc = try tmp.write("pc.jsonl", #"{"prompt": "2+2=", "completion": "4", "text": "ignored"}"#)
        XCTAssertEqual(try LanguageModelingDataset.load(pc).examples,
                       [.promptCompletion(prompt: "2+2=", completion: "4")])

        let chat = try tmp.write("chat.jsonl", """
            {"messages": [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Hi \\u00e9"}, {"role": "assistant", "content": "Hello."}]}
            """)
        XCTAssertEqual(try LanguageModelingDataset.load(chat).examples, [.chat([
            ChatTurn(role: "system", content: "Be brief."),
            ChatTurn(role: "user", content: "Hi é"),
            ChatTurn(role: "assistant", content: "Hello."),
        ])])
    }

    func testGSM8KWithNamedFields() throws {
        let url = try TestPaths.require(TestPaths.sharedData.appendingPathComponent("gsm8k/test.jsonl"))
        let ds = try LanguageModelingDataset.load(
            url, format: .promptCompletion(promptField: "question", completionField: "answer"))
        XCTAssertEqual(ds.count, 1_319)
        guard case .promptCompletion(let q, let a) = ds.examples[0] else { return XCTFail("wrong case") }
        XCTAssertTrue(q.hasPrefix("Janet\u{2019}s ducks lay 16 eggs per day."), q)
        XCTAssertTrue(a.hasSuffix("#### 18"), a)
        let train = try LanguageModelingDataset.load(
            url.deletingLastPathComponent().appendingPathComponent("train.jsonl"),
            format: .promptCompletion(promptField: "question", completionField: "answer"))
        XCTAssertEqual(train.count, 7_473)
        // Automatic detection cannot guess GSM8K's field names: the error says what it found.
        XCTAssertThrowsError(try LanguageModelingDataset.load(url)) { error in
            XCTAssertEqual((error as? DataError)?.line, 1)
            XCTAssertTrue("\(error)".contains("\"answer\", \"question\""), "\(error)")
        }
    }

    func testMalformedRecordsNameFileLineAndProblem() throws {
        let tmp = try TemporaryFolder()
        func expect(_ content: String, line: Int, _ problem: String,
                    format: LanguageModelingFormat = .automatic, file: StaticString = #filePath, at: UInt = #line) throws {
            let url = try tmp.write("f.jsonl", content)
            XCTAssertThrowsError(try LanguageModelingDataset.load(url, format: format), file: file, line: at) { error in
                XCTAssertEqual(error as? DataError, DataError(url, line: line, problem), file: file, line: at)
            }
        }
        try expect("{\"text\": \"a\"}\n\n{\"text\": \"b\"\n", line: 3, "not valid JSON")
        try expect("{\"text\": \"a\"}\n[1, 2]\n", line: 2, "expected a JSON object, found an array")
        try expect("{\"text\": \"a\"}\n\"just a string\"\n", line: 2, "expected a JSON object, found a string")
        try expect("{\"text\": \"a\"}\n{\"txt\": \"b\"}\n", line: 2, "missing field \"text\" (the record has \"txt\")")
        try expect("{\"text\": \"a\"}\n{\"text\": 5}\n", line: 2, "field \"text\" should be a string, found a number")
        try expect("{\"text\": \"a\"}\r\n{\"text\": null}\r\n", line: 2, "field \"text\" should be a string, found null")
        try expect("{}\n", line: 1, "missing field \"q\" (the record has no fields)",
                   format: .promptCompletion(promptField: "q", completionField: "a"))
        try expect("{\"messages\": []}", line: 1, "field \"messages\" holds no messages")
        try expect("{\"messages\": [{\"role\": \"user\"}]}", line: 1, "message 0 of \"messages\" needs a string \"content\"")
        try expect("{\"messages\": [{\"role\": \"user\", \"content\": \"x\"}, 3]}", line: 1,
                   "message 1 of \"messages\" should be an object, found a number")
        try expect("{\"messages\": {\"role\": \"user\"}}", line: 1,
                   "field \"messages\" should be an array of messages, found an object")
        let empty = try tmp.write("empty.jsonl", "\n  \n")
        XCTAssertThrowsError(try LanguageModelingDataset.load(empty)) { error in
            XCTAssertEqual(error as? DataError, DataError(empty, "the file holds no records"))
        }
        let missing = tmp.url.appendingPathComponent("nope.jsonl")
        XCTAssertThrowsError(try LanguageModelingDataset.load(missing)) { error in
            XCTAssertEqual((error as? DataError)?.path, missing.path)
        }
    }

    func testByteOrderMarkIsSkipped() throws {
        let tmp = try TemporaryFolder()
        let url = try tmp.write("bom.jsonl", Data([0xEF, 0xBB, 0xBF]) + Data("{\"text\": \"x\"}\n".utf8))
        XCTAssertEqual(try LanguageModelingDataset.load(url).examples, [.text("x")])
    }

    func testDataFolderConvention() throws {
        let tmp = try TemporaryFolder()
        try tmp.write("train.jsonl", "{\"text\": \"a\"}")
        try tmp.write("valid.jsonl", "{\"text\": \"b\"}")
        try tmp.write("dev.jsonl", "{\"text\": \"c\"}")
        var files = try DataSplitFiles.locate(tmp.url)
        XCTAssertEqual(files.train?.lastPathComponent, "train.jsonl")
        XCTAssertEqual(files.validation?.lastPathComponent, "valid.jsonl", "valid is preferred over dev")
        XCTAssertNil(files.test)

        let other = try TemporaryFolder()
        try other.write("train.jsonl", "{\"text\": \"a\"}")
        try other.write("validation.jsonl", "{\"text\": \"b\"}")
        try other.write("test.jsonl", "{\"text\": \"c\"}")
        files = try DataSplitFiles.locate(other.url)
        XCTAssertEqual(files.validation?.lastPathComponent, "validation.jsonl")
        XCTAssertEqual(files.test?.lastPathComponent, "test.jsonl")

        let single = try tmp.write("single.jsonl", "{\"text\": \"a\"}")
        XCTAssertEqual(try DataSplitFiles.locate(single), DataSplitFiles(train: single, validation: nil, test: nil))

        let empty = try TemporaryFolder()
        try empty.write("notes.txt", "x")
        XCTAssertThrowsError(try DataSplitFiles.locate(empty.url)) { error in
            XCTAssertTrue("\(error)".contains("train.jsonl"), "\(error)")
        }
        XCTAssertThrowsError(try DataSplitFiles.locate(tmp.url.appendingPathComponent("missing")))
    }
}

final class HostileDataTests: XCTestCase {
    func testDeepNestingIsAnErrorNotACrash() throws {
        let tmp = try TemporaryFolder()
        let deep = String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000)
        let url = try tmp.write("deep.jsonl", "{\"text\": \"a\"}\n" + deep + "\n")
        XCTAssertThrowsError(try LanguageModelingDataset.load(url)) { error in
            XCTAssertEqual((error as? DataError)?.line, 2)
        }
        let deepField = try tmp.write("deepfield.jsonl", "{\"text\": " + deep + "}\n")
        XCTAssertThrowsError(try LanguageModelingDataset.load(deepField)) { error in
            XCTAssertEqual((error as? DataError)?.line, 1)
        }
    }

    func testBinaryGarbageIsAnError() throws {
        let tmp = try TemporaryFolder()
        var g = SeededGenerator(seed: 1)
        let bytes = Data((0..<4096).map { _ in UInt8(truncatingIfNeeded: g.next()) })
        let url = try tmp.write("garbage.jsonl", bytes)
        XCTAssertThrowsError(try LanguageModelingDataset.load(url)) { error in
            XCTAssertNotNil(error as? DataError)
        }
        XCTAssertThrowsError(try ClassificationDataset.loadTSV(url, format: GLUETask.cola.tableFormat)) { error in
            XCTAssertNotNil(error as? DataError)
        }
    }

    func testReadingIsFastEnoughForLargeSets() throws {
        let url = try TestPaths.require(TestPaths.sharedData.appendingPathComponent("gsm8k/train.jsonl"))
        let start = Date()
        let ds = try LanguageModelingDataset.load(url, format: .promptCompletion(promptField: "question", completionField: "answer"))
        let seconds = Date().timeIntervalSince(start)
        XCTAssertEqual(ds.count, 7_473)
        print("GSM8K train (\(ds.count) records) read in \(String(format: "%.3f", seconds)) s")
    }
}

final class JSONValueTests: XCTestCase {
    func testTypesAreKeptApart() {
        func parse(_ s: String) -> JSONValue? { JSONValue(parsing: Data(s.utf8)) }
        XCTAssertEqual(parse("true"), .bool(true))
        XCTAssertEqual(parse("false"), .bool(false))
        XCTAssertEqual(parse("1"), .integer(1))
        XCTAssertEqual(parse("0"), .integer(0))
        XCTAssertEqual(parse("-7"), .integer(-7))
        XCTAssertEqual(parse("9223372036854775807"), .integer(Int.max))
        XCTAssertEqual(parse("1.5"), .number(1.5))
        XCTAssertEqual(parse("null"), .null)
        XCTAssertEqual(parse("\"é\\n\""), .string("é\n"))
        XCTAssertEqual(parse("[1, true, \"x\", null, {\"k\": 2.5}]"),
                       .array([.integer(1), .bool(true), .string("x"), .null, .object(["k": .number(2.5)])]))
        XCTAssertNil(parse("{\"a\": }"))
        XCTAssertNil(parse(""))
        XCTAssertNil(parse("tru"))
    }
}
