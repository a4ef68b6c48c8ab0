import Foundation
import TestSupport
import XCTest
@testable import Training

final class ClassificationScoresTests: XCTestCase {
    func testBinaryValuesComputedByHand() {
        // TP 3, FN 1, FP 1, TN 3: MCC = (3·3 − 1·1)/√(4·4·4·4) = 0.5, F1 = 6/8, accuracy 6/8.
        let references = [1, 1, 1, 0, 0, 0, 1, 0]
        let predictions = [1, 0, 1, 0, 1, 0, 1, 0]
        XCTAssertEqual(ClassificationScores.accuracy(predictions: predictions, references: references), 0.75)
        XCTAssertEqual(ClassificationScores.binaryF1(predictions: predictions, references: references), 0.75)
        XCTAssertEqual(ClassificationScores.matthewsCorrelation(predictions: predictions, references: references), 0.5, accuracy: 1e-15)
        // TP 3, FN 1, FP 1, TN 1: MCC = (3 − 1)/√(4·4·2·2) = 0.25.
        XCTAssertEqual(ClassificationScores.matthewsCorrelation(predictions: [1, 1, 1, 0, 0, 1],
                                                                references: [1, 1, 1, 1, 0, 0]), 0.25, accuracy: 1e-15)
        // scikit-learn's documented example: matthews_corrcoef([1, 1, 1, -1], [1, -1, 1, 1]) = -0.333...
        XCTAssertEqual(ClassificationScores.matthewsCorrelation(predictions: [1, -1, 1, 1], references: [1, 1, 1, -1]),
                       -1.0 / 3.0, accuracy: 1e-15)
        // F1 of the other class: TP 3 (zeros), FP 1, FN 1 → 6/8.
        XCTAssertEqual(ClassificationScores.binaryF1(predictions: predictions, references: references, positive: 0), 0.75)
    }

    func testDegenerateCasesGiveZero() {
        let references = [1, 0, 1, 1]
        XCTAssertEqual(ClassificationScores.matthewsCorrelation(predictions: [1, 1, 1, 1], references: references), 0)
        XCTAssertEqual(ClassificationScores.matthewsCorrelation(predictions: [1, 0, 1, 0], references: [0, 0, 0, 0]), 0)
        XCTAssertEqual(ClassificationScores.matthewsCorrelation(predictions: [], references: []), 0)
        XCTAssertEqual(ClassificationScores.matthewsCorrelation(predictions: references, references: references), 1)
        XCTAssertEqual(ClassificationScores.matthewsCorrelation(predictions: references.map { 1 - $0 }, references: references), -1)
        XCTAssertEqual(ClassificationScores.binaryF1(predictions: [0, 0], references: [0, 0]), 0, "no positives at all")
        XCTAssertEqual(ClassificationScores.binaryF1(predictions: [0, 0, 0, 0], references: references), 0)
        XCTAssertEqual(ClassificationScores.accuracy(predictions: [], references: []), 0)
    }

    func testMulticlassMatthews() {
        // Confusion: correct 4 of 6, true sums (2, 2, 2), predicted sums (3, 2, 1):
        // (4·6 − 12) / √((36 − 12)(36 − 14)) = 12 / √528.
        let value = ClassificationScores.matthewsCorrelation(predictions: [0, 1, 1, 0, 0, 2], references: [0, 1, 2, 0, 1, 2])
        XCTAssertEqual(value, 12 / 528.0.squareRoot(), accuracy: 1e-15)
        XCTAssertEqual(ClassificationScores.score(.matthewsCorrelation, predictions: [0, 1, 1, 0, 0, 2],
                                                  references: [0, 1, 2, 0, 1, 2]), value)
    }

    func testLossAverageWeightsByTargets() {
        var loss = LossAverage()
        XCTAssertTrue(loss.mean.isNaN)
        loss.add(meanLoss: 2.0, count: 10)
        loss.add(meanLoss: 1.0, count: 30)
        loss.add(summedLoss: 5.0, count: 10)
        XCTAssertEqual(loss.mean, (20 + 30 + 5) / 50.0, accuracy: 1e-15)
        XCTAssertEqual(loss.perplexity, exp(1.1), accuracy: 1e-12)
        XCTAssertEqual(loss.count, 50)
    }
}

final class GSM8KAnswerTests: XCTestCase {
    func testReferenceExtraction() {
        XCTAssertEqual(GSM8KAnswer.reference("She makes 9 * 2 = $<<9*2=18>>18 every day.\n#### 18"), 18)
        XCTAssertEqual(GSM8KAnswer.reference("...\n#### 1,450,000"), 1_450_000)
        XCTAssertEqual(GSM8KAnswer.reference("...\n#### -3"), -3)
        XCTAssertNil(GSM8KAnswer.reference("no marker 18"))
        XCTAssertNil(GSM8KAnswer.reference("#### eighteen"))
    }

    func testLastNumberInGeneratedText() {
        let cases: [(String, Double?)] = [
            ("Janet sells 16 - 3 - 4 = 9 duck eggs. She makes 9 * 2 = $18 every day.", 18),
            ("The answer is 18.", 18),
            ("The answer is: $1,234.50.", 1234.5),
            ("It costs $-5 after the refund", -5),
            ("The change is -5", -5),
            ("Temperature fell to -12.5 degrees.", -12.5),
            ("between 3-4 hours", 4),
            ("The total is 1,000,000 dollars", 1_000_000),
            ("Items: 3, 4, and 5", 5),
            ("half is .5", 0.5),
            ("version 2.", 2),
            ("We get 100%.", 100),
            ("no numbers here", nil),
            ("", nil),
            ("#### 72", 72),
            ("3/4", 4),
            ("(−7) uses a Unicode minus: 7", 7),
        ]
        for (text, expected) in cases {
            XCTAssertEqual(GSM8KAnswer.lastNumber(in: text), expected, text)
        }
        // A comma between digits is read as a thousands separator (as in "1,000").
        XCTAssertEqual(GSM8KAnswer.lastNumber(in: "x = 7, y = 8, so 7,8"), 78)
    }

    func testScoringComparesNumerically() {
        XCTAssertTrue(GSM8KAnswer.isCorrect(generated: "So she makes $18.00.", referenceAnswer: "#### 18"))
        XCTAssertTrue(GSM8KAnswer.isCorrect(generated: "That is 1,080 dollars", referenceAnswer: "#### 1,080"))
        XCTAssertTrue(GSM8KAnswer.isCorrect(generated: "0.1 + 0.2 = 0.3", referenceAnswer: "#### 0.3"))
        XCTAssertFalse(GSM8KAnswer.isCorrect(generated: "18 and then 19", referenceAnswer: "#### 18"))
        XCTAssertFalse(GSM8KAnswer.isCorrect(generated: "no idea", referenceAnswer: "#### 18"))
        XCTAssertFalse(GSM8KAnswer.isCorrect(generated: "18", referenceAnswer: "18"))
    }

    func testRealAnswersScoreThemselves() throws {
        // Every reference parses, and the full reference solution (ending "#### N") scores correct
        // against itself: commas in "#### 1,450,000" and negative answers included.
        var commaAnswers = 0, negativeAnswers = 0, total = 0
        for split in ["train", "test"] {
            let url = try TestPaths.require(TestPaths.sharedData.appendingPathComponent("gsm8k/\(split).jsonl"))
            let ds = try LanguageModelingDataset.load(url, format: .promptCompletion(promptField: "question", completionField: "answer"))
            for example in ds.examples {
                guard case .promptCompletion(_, let answer) = example else { return XCTFail("wrong case") }
                let reference = try XCTUnwrap(GSM8KAnswer.reference(answer), answer)
                XCTAssertEqual(reference, reference.rounded(), "GSM8K answers are integers")
                XCTAssertTrue(GSM8KAnswer.isCorrect(generated: answer, referenceAnswer: answer), answer)
                if answer.split(separator: "#").last?.contains(",") == true { commaAnswers += 1 }
                if reference < 0 { negativeAnswers += 1 }
                total += 1
            }
        }
        XCTAssertEqual(total, 8_792)
        XCTAssertEqual(commaAnswers, 93, "counted independently with a plain split on ####")
        XCTAssertEqual(negativeAnswers, 5)
        // The first test problem's answer is 18, and its worked solution's last line says so.
        let first = "Janet sells 16 - 3 - 4 = <<16-3-4=9>>9 duck eggs a day.\nShe makes 9 * 2 = $<<9*2=18>>18 every day at the farmer\u{2019}s market."
        XCTAssertEqual(GSM8KAnswer.lastNumber(in: first), 18)
    }
}
