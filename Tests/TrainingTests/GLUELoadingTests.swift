import Foundation
import TestSupport
import XCTest
@testable import Training

/// Reads the real GLUE files as distributed and checks them against counts made independently
/// (a plain split on newlines and tabs) and the task README.
final class GLUELoadingTests: XCTestCase {
    func file(_ task: GLUETask, _ split: String) throws -> URL {
        try TestPaths.require(TestPaths.sharedData
            .appendingPathComponent("glue/\(task.folderName)/\(split).tsv"))
    }

    func load(_ task: GLUETask, _ split: String) throws -> ClassificationDataset {
        try ClassificationDataset.loadTSV(file(task, split), format: task.tableFormat)
    }

    func testCoLA() throws {
        let train = try load(.cola, "train")
        let dev = try load(.cola, "dev")
        XCTAssertEqual(train.count, 8_551)
        XCTAssertEqual(dev.count, 1_043)
        XCTAssertEqual(train.labelCounts, ["1": 6_023, "0": 2_528])
        XCTAssertEqual(dev.labelCounts, ["1": 721, "0": 322])
        XCTAssertEqual(train.examples.first,
                       ClassificationExample(text: "Our friends won't buy this analysis, let alone the next one we propose.", label: "1"))
        XCTAssertEqual(train.examples.last,
                       ClassificationExample(text: "What all did you get for Christmas?", label: "1"))
        XCTAssertEqual(dev.examples.first?.text, "The sailors rode the breeze clear of the rocks.")
        XCTAssertEqual(dev.examples.last?.text, "John talked to Bill about himself.")
        // No header: the first example is on line 1.
        XCTAssertEqual(train.lines.first, 1)
        XCTAssertEqual(train.labelVocabulary.labels, ["0", "1"])
        XCTAssertNil(train.examples.first?.textPair)
        let indices = try dev.classIndices(train.labelVocabulary)
        XCTAssertEqual(indices.filter { $0 == 1 }.count, 721)
    }

    func testMRPCWithByteOrderMarkAndUnbalancedQuotes() throws {
        let train = try load(.mrpc, "train")
        let dev = try load(.mrpc, "dev")
        XCTAssertEqual(train.count, 3_667)
        XCTAssertEqual(dev.count, 408)
        XCTAssertEqual(train.labelCounts, ["1": 2_473, "0": 1_194])
        XCTAssertEqual(dev.labelCounts, ["1": 279, "0": 129])
        XCTAssertEqual(train.examples.first, ClassificationExample(
            text: "Amrozi accused his brother , whom he called \" the witness \" , of deliberately distorting his evidence .",
            textPair: "Referring to him as only \" the witness \" , Amrozi accused his brother of deliberately distorting his evidence .",
            label: "1"))
        XCTAssertEqual(train.examples.last?.label, "0")
        XCTAssertEqual(train.examples.last?.textPair,
                       "The 30-year bond US30YT = RR grew 1-3 / 32 for a yield of 4.30 percent , down from 4.35 percent late Wednesday .")
        // The second sentence opens with a lone quote: quoting must be off to keep it.
        XCTAssertEqual(dev.examples.first?.textPair,
                       "\" The foodservice pie business does not fit our long-term growth strategy .")
        XCTAssertEqual(dev.examples.last?.text,
                       "Ex-KGB agent Putin added that the Beatles were considered ' propaganda of an alien ideology ' .")
        XCTAssertEqual(train.lines.first, 2, "line 1 is the header")
    }

    func testRTE() throws {
        let train = try load(.rte, "train")
        let dev = try load(.rte, "dev")
        XCTAssertEqual(train.count, 2_490)
        XCTAssertEqual(dev.count, 277)
        XCTAssertEqual(train.labelCounts, ["entailment": 1_249, "not_entailment": 1_241])
        XCTAssertEqual(dev.labelCounts, ["entailment": 146, "not_entailment": 131])
        XCTAssertEqual(train.examples.first, ClassificationExample(
            text: "No Weapons of Mass Destruction Found in Iraq Yet.",
            textPair: "Weapons of Mass Destruction Found in Iraq.", label: "not_entailment"))
        XCTAssertEqual(dev.examples.last?.textPair, "Greenpeace director said that peace is terrorism.")
        XCTAssertEqual(train.labelVocabulary.labels, ["entailment", "not_entailment"])
        XCTAssertEqual(try dev.classIndices(train.labelVocabulary).filter { $0 == 0 }.count, 146)
    }

    func testGLUEFolderResolvesTrainAndDev() throws {
        let folder = TestPaths.sharedData.appendingPathComponent("glue/RTE")
        let files = try DataSplitFiles.locate(folder, fileExtension: "tsv")
        XCTAssertEqual(files.train?.lastPathComponent, "train.tsv")
        XCTAssertEqual(files.validation?.lastPathComponent, "dev.tsv")
        XCTAssertNil(files.test)
    }

    func testTaskPresets() {
        XCTAssertEqual(GLUETask.cola.metrics.first, .matthewsCorrelation)
        XCTAssertEqual(GLUETask.mrpc.metrics, [.accuracy, .f1])
        XCTAssertEqual(GLUETask.rte.metrics, [.accuracy])
        XCTAssertEqual(GLUETask(rawValue: "mrpc"), .mrpc)
    }
}

final class DatasetSplitsTests: XCTestCase {
    func testGLUEFromDistributionOrTaskFolder() throws {
        let glue = TestPaths.sharedData.appendingPathComponent("glue")
        let fromRoot = try GLUETask.mrpc.loadSplits(glue)
        let fromTask = try GLUETask.mrpc.loadSplits(glue.appendingPathComponent("MRPC"))
        XCTAssertEqual(fromRoot.train?.count, 3_667)
        XCTAssertEqual(fromTask.validation?.count, 408)
        XCTAssertNil(fromRoot.test)
        let vocabulary = try XCTUnwrap(fromRoot.train?.labelVocabulary)
        XCTAssertEqual(GLUETask.mrpc.positiveClass(in: vocabulary), 1)
        XCTAssertNil(GLUETask.rte.positiveClass(in: vocabulary))
        // The all-majority baseline on MRPC dev: 279 / 408 accuracy, F1 2·279 / (2·279 + 129).
        let references = try XCTUnwrap(fromTask.validation).classIndices(vocabulary)
        let majority = [Int](repeating: 1, count: references.count)
        XCTAssertEqual(ClassificationScores.accuracy(predictions: majority, references: references), 279.0 / 408.0)
        XCTAssertEqual(ClassificationScores.binaryF1(predictions: majority, references: references), 558.0 / 687.0)
        XCTAssertEqual(ClassificationScores.matthewsCorrelation(predictions: majority, references: references), 0)
    }

    func testLanguageModellingFolder() throws {
        let tmp = try TemporaryFolder()
        try tmp.write("train.jsonl", "{\"prompt\": \"a\", \"completion\": \"b\"}\n")
        try tmp.write("valid.jsonl", "{\"messages\": [{\"role\": \"user\", \"content\": \"c\"}]}\n")
        let splits = try LanguageModelingDataset.loadSplits(tmp.url)
        XCTAssertEqual(splits.train?.examples, [.promptCompletion(prompt: "a", completion: "b")])
        XCTAssertEqual(splits.validation?.format, .chat(field: "messages"))
        XCTAssertNil(splits.test)
    }

    func testClassificationJSONLFolder() throws {
        let tmp = try TemporaryFolder()
        try tmp.write("train.jsonl", "{\"sentence\": \"a\", \"label\": 1}\n")
        try tmp.write("dev.jsonl", "{\"sentence\": \"b\", \"label\": 0}\n")
        let splits = try ClassificationDataset.loadSplits(tmp.url, format: .jsonl(ClassificationJSONFormat(textField: "sentence")))
        XCTAssertEqual(splits.train?.examples.first?.label, "1")
        XCTAssertEqual(splits.validation?.examples.first?.text, "b")
    }
}
