import Foundation
import XCTest
@testable import Training

final class ClassificationLoadingTests: XCTestCase {
    func testTSVKeepsQuotesAndSkipsBlankLinesAndCRLF() throws {
        let tmp = try TemporaryFolder()
        let url = try tmp.write("t.tsv", "id\ttext\tlabel\r\n1\t\"open quote\tpos\r\n\n2\tsay \"\"hi\"\"\tneg\r\n")
        let ds = try ClassificationDataset.loadTSV(url, format: ClassificationTableFormat(
            hasHeader: true, text: .name("text"), label: .name("label")))
        XCTAssertEqual(ds.examples.map(\.text), ["\"open quote", "say \"\"hi\"\""])
        XCTAssertEqual(ds.examples.map(\.label), ["pos", "neg"])
        XCTAssertEqual(ds.lines, [2, 4])
    }

    func testTSVByIndexWithoutHeader() throws {
        let tmp = try TemporaryFolder()
        let url = try tmp.write("t.tsv", "a\tx\ty\t2\nb\tz\tw\t10\n")
        let ds = try ClassificationDataset.loadTSV(url, format: ClassificationTableFormat(
            hasHeader: false, text: .index(1), textPair: .index(2), label: .index(3)))
        XCTAssertEqual(ds.examples[1], ClassificationExample(text: "z", textPair: "w", label: "10"))
        XCTAssertEqual(ds.labelVocabulary.labels, ["2", "10"], "integer labels sort numerically")
    }

    func testTSVErrorsNameFileAndLine() throws {
        let tmp = try TemporaryFolder()
        let short = try tmp.write("short.tsv", "text\tlabel\nfine\t1\nmissing label\n")
        let format = ClassificationTableFormat(hasHeader: true, text: .name("text"), label: .name("label"))
        XCTAssertThrowsError(try ClassificationDataset.loadTSV(short, format: format)) { error in
            XCTAssertEqual(error as? DataError, DataError(short, line: 3, "expected at least 2 tab-separated columns, found 1"))
            XCTAssertTrue("\(error)".hasPrefix(short.path + ":3: "))
        }
        let noColumn = ClassificationTableFormat(hasHeader: true, text: .name("sentence"), label: .name("label"))
        XCTAssertThrowsError(try ClassificationDataset.loadTSV(short, format: noColumn)) { error in
            XCTAssertTrue("\(error)".contains("no column \"sentence\""), "\(error)")
        }
        let named = ClassificationTableFormat(hasHeader: false, text: .name("text"), label: .index(1))
        XCTAssertThrowsError(try ClassificationDataset.loadTSV(short, format: named))
        let empty = try tmp.write("empty.tsv", "\n\n")
        XCTAssertThrowsError(try ClassificationDataset.loadTSV(empty, format: format)) { error in
            XCTAssertTrue("\(error)".contains("empty"), "\(error)")
        }
        let emptyLabel = try tmp.write("el.tsv", "text\tlabel\nx\t\n")
        XCTAssertThrowsError(try ClassificationDataset.loadTSV(emptyLabel, format: format)) { error in
            XCTAssertEqual((error as? DataError)?.line, 2)
        }
        let invalidUTF8 = try tmp.write("bad.tsv", Data([0x61, 0x09, 0x31, 0x0A, 0x62, 0xFF, 0x09, 0x31, 0x0A]))
        XCTAssertThrowsError(try ClassificationDataset.loadTSV(invalidUTF8, format: ClassificationTableFormat(
            hasHeader: false, text: .index(0), label: .index(1)))) { error in
            XCTAssertEqual(error as? DataError, DataError(invalidUTF8, line: 2, "the line is not valid UTF-8 text"))
        }
    }

    func testJSONLWithIntegerAndStringLabels() throws {
        let tmp = try TemporaryFolder()
        let url = try tmp.write("c.jsonl", """
            {"sentence": "good", "label": 1}
            {"sentence": "bad", "label": 0}

            {"sentence": "meh", "label": "2"}
            """)
        let ds = try ClassificationDataset.loadJSONL(url, format: ClassificationJSONFormat(textField: "sentence"))
        XCTAssertEqual(ds.examples.map(\.label), ["1", "0", "2"])
        XCTAssertEqual(ds.lines, [1, 2, 4])
        XCTAssertEqual(try ds.classIndices(ds.labelVocabulary), [1, 0, 2])

        let pairs = try tmp.write("p.jsonl", #"{"premise": "a", "hypothesis": "b", "label": "entailment"}"#)
        let p = try ClassificationDataset.loadJSONL(pairs, format: ClassificationJSONFormat(
            textField: "premise", textPairField: "hypothesis"))
        XCTAssertEqual(p.examples, [ClassificationExample(text: "a", textPair: "b", label: "entailment")])
    }

    func testJSONLLabelTypeErrors() throws {
        let tmp = try TemporaryFolder()
        let boolean = try tmp.write("b.jsonl", "{\"text\": \"x\", \"label\": 1}\n{\"text\": \"y\", \"label\": true}\n")
        XCTAssertThrowsError(try ClassificationDataset.loadJSONL(boolean)) { error in
            XCTAssertEqual(error as? DataError, DataError(boolean, line: 2,
                "field \"label\" should be a label (a string or a number), found a boolean"))
        }
        // Fractional numbers are scores (regression targets), kept in their shortest exact form.
        let fraction = try tmp.write("f.jsonl", "{\"text\": \"x\", \"label\": 0.5}\n{\"text\": \"y\", \"label\": 3.8}\n")
        XCTAssertEqual(try ClassificationDataset.loadJSONL(fraction).examples.map(\.label), ["0.5", "3.8"])
    }

    func testUnknownLabelNamesLine() throws {
        let tmp = try TemporaryFolder()
        let url = try tmp.write("d.jsonl", "{\"text\": \"x\", \"label\": \"a\"}\n{\"text\": \"y\", \"label\": \"c\"}\n")
        let ds = try ClassificationDataset.loadJSONL(url)
        XCTAssertThrowsError(try ds.classIndices(LabelVocabulary(labels: ["a", "b"]))) { error in
            XCTAssertEqual((error as? DataError)?.line, 2)
        }
    }

    func testLabelVocabularyIsSortedStableAndCodable() throws {
        let v = LabelVocabulary(labels: ["not_entailment", "entailment", "entailment", "Zebra"])
        XCTAssertEqual(v.labels, ["Zebra", "entailment", "not_entailment"])
        XCTAssertEqual(LabelVocabulary(labels: v.labels.reversed()), v)
        XCTAssertEqual(v.index(of: "entailment"), 1)
        XCTAssertNil(v.index(of: "neutral"))
        XCTAssertEqual(LabelVocabulary(labels: ["10", "-1", "2", "01", "1"]).labels, ["-1", "01", "1", "2", "10"])
        XCTAssertEqual(LabelVocabulary(labels: ["1", "x", "10", "2"]).labels, ["1", "10", "2", "x"])
        let data = try JSONEncoder().encode(v)
        XCTAssertEqual(try JSONDecoder().decode(LabelVocabulary.self, from: data), v)
    }
}
