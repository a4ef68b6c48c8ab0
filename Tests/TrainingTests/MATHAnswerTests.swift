import Foundation
import TestSupport
@testable import Training
import XCTest

/// MATH answer extraction and Hendrycks' normalisation: the hard cases one by one, then every
/// reference answer of MATH500.
final class MATHAnswerTests: XCTestCase {
    /// What the benchmark's own Python functions make of 1,036 answers (hard cases, the MATH500
    /// references, and the references respaced with \\left/\\right as models write them) and of
    /// solutions with boxed answers: fixture math_answers.json, scripts/fixtures/make_math_answer_fixtures.py.
    func testMatchesTheBenchmarksCode() throws {
        let url = TestPaths.fixtures.appendingPathComponent("training/math_answers.json")
        let fx = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any])
        let answers = try XCTUnwrap(fx["answers"] as? [[String: Any]])
        XCTAssertEqual(answers.count, 1036)
        var raising = 0
        for (i, a) in answers.enumerated() {
            let answer = try XCTUnwrap(a["answer"] as? String)
            let want = a["normalized"] as? String
            if want == nil { raising += 1 }
            XCTAssertEqual(MATHAnswer.normalize(answer), want, "#\(i) \(answer.debugDescription)")
        }
        XCTAssertEqual(raising, 3)
        for s in try XCTUnwrap(fx["solutions"] as? [[String: Any]]) {
            let text = try XCTUnwrap(s["text"] as? String)
            XCTAssertEqual(MATHAnswer.lastBoxed(text), s["boxed"] as? String, text)
        }
    }

    func testExtraction() {
        XCTAssertEqual(MATHAnswer.extract("so $x = \\boxed{\\frac{1}{2}}$."), "\\frac{1}{2}")
        XCTAssertEqual(MATHAnswer.extract("\\boxed{1} first, then \\boxed{\\{a, b\\}^{2}}"), "\\{a, b\\}^{2}")
        XCTAssertEqual(MATHAnswer.extract("hence $\\boxed 5$ apples"), "5")
        XCTAssertEqual(MATHAnswer.extract("\\fbox{7} is it"), "7")
        XCTAssertEqual(MATHAnswer.extract("We get 3.\nThe answer is: 12."), "12")
        XCTAssertEqual(MATHAnswer.extract("The answer is: \\frac{3}{4}"), "\\frac{3}{4}")
        XCTAssertEqual(MATHAnswer.extract("\\boxed{3} The answer is: 4"), "3", "a boxed answer wins")
        XCTAssertNil(MATHAnswer.extract("no final answer here"))
        XCTAssertNil(MATHAnswer.extract("\\boxed{3"), "unbalanced braces")
    }

    func testEquivalentForms() {
        let same: [(String, String)] = [
            ("0.5", "\\frac12"), ("\\frac{1}{2}", "1/2"), ("\\frac12", "\\frac{1}{2}"), (".5", "\\frac{1}{2}"),
            ("\\dfrac{3}{4}", "\\tfrac34"), ("\\frac1{72}", "\\frac{1}{72}"), ("90^\\circ", "90"), ("90^{\\circ}", "90"),
            ("\\$5", "5"), ("10\\text{ cm}", "10"), ("\\left( 1, 2 \\right)", "(1,2)"), ("x = 3", "3"), ("k=\\frac{2}{3}", "2/3"),
            ("\\sqrt2", "\\sqrt{2}"), ("3\\sqrt2", "3\\sqrt{2}"), ("5\\%", "5"), ("1,\\!000", "1,000"), ("a \n+ b", "a+b"),
            ("\\{1 .5\\}", "\\{10.5\\}"),
        ]
        for (a, b) in same { XCTAssertTrue(MATHAnswer.isEquivalent(a, b), "\(a) ~ \(b): \(MATHAnswer.normalize(a) ?? "nil") vs \(MATHAnswer.normalize(b) ?? "nil")") }
        let different: [(String, String)] = [
            ("1/3", "\\frac{1}{2}"), ("x = 3", "y = 4"), ("abc = 3", "3"), ("2", "2.0"), ("\\frac{1}{2}", "\\frac{2}{4}"),
            ("(1,2)", "[1,2]"), ("10\\text{cm}", "10"),
        ]
        for (a, b) in different { XCTAssertFalse(MATHAnswer.isEquivalent(a, b), "\(a) !~ \(b)") }
    }

    /// Where the benchmark's `strip_string` raises, `is_equiv` falls back to comparing the raw texts.
    func testUnnormalisableAnswersCompareRaw() {
        XCTAssertNil(MATHAnswer.normalize("1\\text{ m}\\text{ s}"))
        XCTAssertNil(MATHAnswer.normalize("2\\sqrt"))
        XCTAssertEqual(MATHAnswer.normalize("\\frac1"), "\\frac1", "a \\frac with one character is left whole")
        XCTAssertTrue(MATHAnswer.isEquivalent("2\\sqrt", "2\\sqrt"))
        XCTAssertFalse(MATHAnswer.isEquivalent("2\\sqrt", "2 \\sqrt"))
    }

    func testEveryMATH500ReferenceIsExtractedFromItsSolution() throws {
        let url = try TestPaths.require(TestPaths.sharedData.appendingPathComponent("math/math500_test.jsonl"))
        let lines = try String(contentsOf: url, encoding: .utf8).split(separator: "\n")
        XCTAssertEqual(lines.count, 500)
        var unnormalisable: [String] = []
        for (i, line) in lines.enumerated() {
            let row = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
            let answer = try XCTUnwrap(row["answer"] as? String)
            let tail = try XCTUnwrap(answer.range(of: "The answer is: ", options: .backwards), "line \(i + 1)")
            let reference = String(answer[tail.upperBound...])
            let solution = String(answer[..<tail.lowerBound])
            XCTAssertEqual(MATHAnswer.extract(solution), reference, "line \(i + 1): the boxed answer of the solution")
            XCTAssertEqual(MATHAnswer.extract(answer), reference, "line \(i + 1)")
            XCTAssertTrue(MATHAnswer.isEquivalent(reference, reference), "line \(i + 1)")
            if MATHAnswer.normalize(reference) == nil { unnormalisable.append(reference) }
        }
        XCTAssertEqual(unnormalisable, [], "references the benchmark's normalisation cannot read")
    }
}
