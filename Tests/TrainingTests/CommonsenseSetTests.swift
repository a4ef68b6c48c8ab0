import Foundation
import TestSupport
@testable import Training
import XCTest

/// The commonsense sets in the LLM-Adapters format: every file present is read, its keywords come
/// from the instructions alone, and each example's own output is scored correct.
final class CommonsenseSetTests: XCTestCase {
    /// What the data's README lists: examples per file and the keywords of each set.
    private let expected: [String: (train: Int?, test: Int, keywords: [String])] = [
        "boolq": (9_427, 3_270, ["true", "false"]),
        "piqa": (nil, 1_838, ["solution1", "solution2"]),
        "winogrande": (nil, 1_267, ["option1", "option2"]),
        "ARC-Easy": (2_251, 2_376, ["answer1", "answer2", "answer3", "answer4", "answer5"]),
        "ARC-Challenge": (1_119, 1_172, ["answer1", "answer2", "answer3", "answer4", "answer5"]),
        "openbookqa": (4_957, 500, ["answer1", "answer2", "answer3", "answer4"]),
    ]

    func testEverySetPresent() throws {
        let root = try TestPaths.require(TestPaths.sharedData.appendingPathComponent("commonsense"))
        var files = 0
        for (name, want) in expected {
            for (split, count) in [("train", want.train), ("test", Optional(want.test))] {
                let url = root.appendingPathComponent(name).appendingPathComponent("\(split).json")
                guard let count else {
                    XCTAssertFalse(FileManager.default.fileExists(atPath: url.path), "\(name) has a \(split) file")
                    continue
                }
                let set = try CommonsenseSet.load(url)
                files += 1
                XCTAssertEqual(set.examples.count, count, "\(name) \(split)")
                if split == "test" { XCTAssertEqual(set.keywords, want.keywords, name) }
                XCTAssertTrue(Set(set.keywords).isSubset(of: want.keywords), "\(name) \(split): \(set.keywords)")
                let wrong = set.examples.filter { !set.isCorrect($0.output, for: $0) }
                XCTAssertEqual(wrong.count, 0, "\(name) \(split): outputs not scored as their own answer, e.g. \(wrong.first?.output ?? "")")
                XCTAssertTrue(set.examples.allSatisfy { $0.input.isEmpty && $0.choices.contains($0.answer) })
            }
        }
        XCTAssertEqual(files, 10)
    }

    func testFirstKeywordOfTheGeneration() {
        let set = CommonsenseSet(examples: [
            CommonsenseExample(instruction: "", input: "", output: "", answer: "answer1", choices: ["answer1", "answer2"]),
            CommonsenseExample(instruction: "", input: "", output: "", answer: "answer2", choices: ["answer1", "answer2", "answer10"]),
        ])
        XCTAssertEqual(set.keywords, ["answer1", "answer2", "answer10"])
        XCTAssertEqual(set.predictedKeyword(in: "the correct answer is answer2, not answer1"), "answer2")
        XCTAssertEqual(set.predictedKeyword(in: "answer10 first"), "answer10", "the longer keyword at the same place")
        XCTAssertNil(set.predictedKeyword(in: "Answer2 (capitalised) does not count"))
        XCTAssertFalse(set.isCorrect("I do not know", for: set.examples[0]), "no keyword is wrong")
        XCTAssertTrue(set.isCorrect("answer1", for: set.examples[0]))
    }

    func testAnswerFormatLine() {
        XCTAssertEqual(CommonsenseSet.answerFormat("Q?\n\nOption1: a Option2: b Answer format: option1/option2"), ["option1", "option2"])
        XCTAssertEqual(CommonsenseSet.answerFormat("Answer format: x/y\nmore text"), ["x", "y"])
        XCTAssertNil(CommonsenseSet.answerFormat("no format"))
        XCTAssertNil(CommonsenseSet.answerFormat("Answer format: "))
    }

    func testAlpacaPrompt() {
        XCTAssertEqual(AlpacaPrompt.render(instruction: "Say hi."),
                       "Below is an instruction that describes a task. Write a response that appropriately completes the request.\n\n### Instruction:\nSay hi.\n\n### Response:\n")
        XCTAssertTrue(AlpacaPrompt.render(instruction: "I", input: "X").hasSuffix("### Instruction:\nI\n\n### Input:\nX\n\n### Response:\n"))
    }

    func testBadFilesNameTheFileAndExample() throws {
        let folder = try TemporaryFolder()
        let cases: [(String, String)] = [
            ("{\"a\": 1}", "should hold a JSON array"),
            ("[{\"instruction\": \"Q Answer format: a/b\", \"output\": \"a\", \"answer\": \"a\"}, 3]", "example 2: should be an object"),
            ("[{\"instruction\": \"Q\", \"output\": \"a\", \"answer\": \"a\"}]", "example 1: the instruction has no \"Answer format:\" line"),
            ("[{\"instruction\": \"Q Answer format: a/b\", \"output\": \"c\", \"answer\": \"c\"}]", "answer \"c\" is not one of the answer format's a/b"),
            ("[{\"instruction\": \"Q Answer format: a/b\", \"answer\": \"a\"}]", "field \"output\" is missing"),
            ("[]", "holds no examples"),
            ("[", "is not JSON"),
        ]
        for (i, (text, message)) in cases.enumerated() {
            let url = try folder.write("set\(i).json", text)
            XCTAssertThrowsError(try CommonsenseSet.load(url)) { e in
                XCTAssertTrue("\(e)".hasPrefix(url.path) && "\(e)".contains(message), "\(e)")
            }
        }
    }
}
