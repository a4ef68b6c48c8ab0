import Foundation
import TestSupport
@testable import Training
import XCTest

/// GLUE files recognised from their columns: the real CoLA, MRPC and RTE files, and small
/// SST-2, QNLI and STS-B files written in their distributed layouts; STS-B's scores as
/// regression targets; Pearson and Spearman correlation.
final class GLUETableLayoutTests: XCTestCase {
    func testRealFilesAreDetectedAsTheirPresets() throws {
        let glue = try TestPaths.require(TestPaths.sharedData.appendingPathComponent("glue"))
        for task in [GLUETask.cola, .mrpc, .rte] {   // the tasks whose data is shared
            for split in ["train", "dev"] {
                let url = glue.appendingPathComponent(task.folderName).appendingPathComponent("\(split).tsv")
                let (layout, data) = try GLUETableLayout.load(url)
                XCTAssertEqual(layout.task, task, url.path)
                XCTAssertEqual(layout.format, task.tableFormat, url.path)
                XCTAssertEqual(data.examples, try ClassificationDataset.loadTSV(url, format: task.tableFormat).examples)
            }
        }
    }

    func testPublicLayoutsOfSST2QNLIAndSTSB() throws {
        let folder = try TemporaryFolder()
        let sst2 = try folder.write("some-name.tsv", "sentence\tlabel\nhide new secretions from the parental units \t0\n"
                                    + "contains no wit , only labored gags \t0\nthat loves its characters \t1\n")
        let qnli = try folder.write("q.tsv", "index\tquestion\tsentence\tlabel\n"
                                    + "0\tWhat came into force after the new constitution was herald?\tAs of that day, the new constitution heralding the Second Republic came into force.\tentailment\n"
                                    + "1\tWhat is the first major city in the stream of the Rhine?\tThe most important tributaries in this area are the Ill below of Strasbourg.\tnot_entailment\n")
        let stsb = try folder.write("dev.tsv", "index\tgenre\tfilename\tyear\told_index\tsource1\tsource2\tsentence1\tsentence2\tscore\n"
                                    + "0\tmain-captions\tMSRvid\t2012test\t0000\tnone\tnone\tA man with a hard hat is dancing.\tA man wearing a hard hat is dancing.\t5.000\n"
                                    + "1\tmain-captions\tMSRvid\t2012test\t0002\tnone\tnone\tA young child is riding a horse.\tA child is riding a horse.\t4.750\n"
                                    + "2\tmain-news\theadlines\t2015\t0003\tnone\tnone\tDefense rests in trial\tObama signs bill\t0.000\n")
        let (s, sData) = try GLUETableLayout.load(sst2)
        XCTAssertEqual(s.task, .sst2)
        XCTAssertEqual(sData.examples.map(\.label), ["0", "0", "1"])
        XCTAssertEqual(sData.examples[2], ClassificationExample(text: "that loves its characters ", label: "1"))
        let (q, qData) = try GLUETableLayout.load(qnli)
        XCTAssertEqual(q.task, .qnli)
        XCTAssertEqual(qData.examples[1].text, "What is the first major city in the stream of the Rhine?")
        XCTAssertEqual(qData.examples[1].textPair?.hasPrefix("The most important"), true)
        XCTAssertEqual(qData.examples[1].label, "not_entailment")
        let (t, tData) = try GLUETableLayout.load(stsb)
        XCTAssertEqual(t.task, .stsb)
        XCTAssertTrue(t.task.isRegression && !q.task.isRegression)
        XCTAssertEqual(tData.examples[1].textPair, "A child is riding a horse.")
        XCTAssertEqual(try tData.regressionTargets(range: try XCTUnwrap(t.task.targetRange)), [5, 4.75, 0])
    }

    func testUnrecognisedFilesAndBadScoresNameFileAndLine() throws {
        let folder = try TemporaryFolder()
        let sst2Test = try folder.write("test.tsv", "index\tsentence\n0\tuneasy mishmash of styles and genres .\n")
        XCTAssertThrowsError(try GLUETableLayout.detect(sst2Test)) { e in
            XCTAssertTrue("\(e)".hasPrefix("\(sst2Test.path):1: not a GLUE") && "\(e)".contains("\"index\", \"sentence\""), "\(e)")
        }
        let header = "index\tgenre\tfilename\tyear\told_index\tsource1\tsource2\tsentence1\tsentence2\tscore\n"
        for (score, message) in [("abc", "\"abc\" is not a number"), ("5.5", "5.5 lies outside 0.0…5.0"), ("nan", "not a number")] {
            let url = try folder.write("stsb-\(score).tsv", header + "0\tg\tf\ty\t0\tn\tn\ta\tb\t1.0\n1\tg\tf\ty\t1\tn\tn\ta\tb\t\(score)\n")
            let (layout, data) = try GLUETableLayout.load(url)
            XCTAssertThrowsError(try data.regressionTargets(range: layout.task.targetRange)) { e in
                XCTAssertTrue("\(e)".hasPrefix("\(url.path):3: ") && "\(e)".contains(message), "\(e)")
            }
        }
    }

    func testPearsonAndSpearman() throws {
        // x = 1…5, y = 2 1 4 3 5: deviations give Σdxdy = 8, Σdx² = Σdy² = 10, so r = ρ = 0.8.
        XCTAssertEqual(try XCTUnwrap(Correlation.pearson([1, 2, 3, 4, 5], [2, 1, 4, 3, 5])), 0.8, accuracy: 1e-12)
        XCTAssertEqual(try XCTUnwrap(Correlation.spearman([1, 2, 3, 4, 5], [2, 1, 4, 3, 5])), 0.8, accuracy: 1e-12)
        // Spearman is Pearson on ranks: a monotone but non-linear relation is 1.
        XCTAssertEqual(try XCTUnwrap(Correlation.spearman([1, 2, 3, 4], [1, 8, 27, 64])), 1, accuracy: 1e-12)
        XCTAssertLessThan(try XCTUnwrap(Correlation.pearson([1, 2, 3, 4], [1, 8, 27, 64])), 0.99)
        // Ties share their average rank: ranks of 1 2 2 3 are 1 2.5 2.5 4, so ρ = 4.5 / √(4.5 · 5).
        XCTAssertEqual(Correlation.averageRanks([3, 1, 2, 2]), [4, 1, 2.5, 2.5])
        XCTAssertEqual(try XCTUnwrap(Correlation.spearman([1, 2, 2, 3], [1, 2, 3, 4])), 4.5 / (4.5 * 5.0).squareRoot(), accuracy: 1e-12)
        XCTAssertEqual(try XCTUnwrap(Correlation.pearson([1, 2, 3], [3, 2, 1])), -1, accuracy: 1e-12)
        XCTAssertNil(Correlation.pearson([1, 1, 1], [1, 2, 3]), "undefined for a constant side")
        XCTAssertNil(Correlation.spearman([1], [2]))
    }
}
