import Foundation
import Testing
@testable import LoRASB

/// The Markdown table writer and the results table built from run records.
@Suite struct ExperimentTableTests {
    @Test func markdownTableLayoutAndEscaping() {
        let t = MarkdownTable(header: ["method", "score"], alignments: [.left, .right],
                              rows: [["a|b", "1.0"], ["line\nbreak"]])
        #expect(t.text == """
            | method | score |
            | --- | ---: |
            | a\\|b | 1.0 |
            | line break |  |

            """)
    }

    @Test func formatting() {
        #expect(ExperimentResultsTable.formatCount(215_040) == "215,040")
        #expect(ExperimentResultsTable.formatCount(999) == "999")
        #expect(ExperimentResultsTable.formatCount(1_000) == "1,000")
        #expect(ExperimentResultsTable.formatCount(134_515_008) == "134,515,008")
        #expect(ExperimentResultsTable.format(0.123456) == "0.1235")
        #expect(ExperimentResultsTable.format(.nan) == "—")
        #expect(ExperimentResultsTable.format(nil) == "—")
        #expect(ExperimentResultsTable.formatSeconds(12.34) == "12.3")
    }

    func record(_ c: ExperimentConfiguration, trainable: Int, metrics: [String: Double], initSeconds: Double?, training: Double) -> ExperimentRecord {
        ExperimentRecord(configuration: c, spec: [:], trainableParameters: trainable, totalParameters: 1_000_000,
                         metrics: metrics, initSeconds: initSeconds, trainingSeconds: training,
                         evaluationSeconds: nil, wallSeconds: training + 1, tokens: 100)
    }

    @Test func glueRowsJoinTasksAndSumTimes() throws {
        let locations = ExperimentLocations(models: URL(fileURLWithPath: "/m"), data: URL(fileURLWithPath: "/d"))
        let suite = ExperimentSuite.make(.glue, scale: .smoke, locations: locations)
        let sb = suite.configurations.filter { $0.method == .loraSB }
        #expect(sb.map(\.task) == ["CoLA", "MRPC", "RTE"])
        let records = [
            record(sb[0], trainable: 1_234, metrics: ["matthews_correlation": 0.25, "best_matthews_correlation": 0.3, "accuracy": 0.7], initSeconds: 1.25, training: 10),
            record(sb[1], trainable: 1_234, metrics: ["accuracy": 0.75, "f1": 0.8], initSeconds: 2, training: 20),
            record(sb[2], trainable: 1_234, metrics: ["accuracy": 0.55], initSeconds: 3, training: 30.04),
        ]
        let table = ExperimentResultsTable.table(suite, records: records)
        #expect(table.header == ["method", "rank", "learning rate", "trainable params", "CoLA MCC", "CoLA best MCC", "MRPC acc",
                                 "MRPC F1", "MRPC best acc", "RTE acc", "RTE best acc", "init (s)", "train (s)"])
        #expect(table.rows.count == AdapterMethod.allCases.count)   // every registered method, one rank each at smoke scale
        #expect(table.rows[0] == ["LoRA-SB", "2", "2e-03", "1,234", "0.2500", "0.3000", "0.7500", "0.8000", "—", "0.5500", "—", "6.2", "60.0"])
        #expect(table.rows[1] == ["LoRA-XS", "2", "2e-03"] + Array(repeating: "—", count: 10))
        #expect(table.rows.first { $0[0] == "Full FT" }?[0...1] == ["Full FT", "—"])

        let doc = ExperimentResultsTable.document(suite, records: records, plotFile: "glue-smoke-loss.svg",
                                                  runsFolder: "runs/glue-smoke", command: "lorasb experiment --suite glue --scale smoke")
        #expect(doc.contains(table.text))
        #expect(doc.contains("![training and validation loss](glue-smoke-loss.svg)"))
        #expect(doc.contains("Not run yet: cola-lora-xs-r2"))
    }

    @Test func settingColumnAppearsForAblations() {
        let locations = ExperimentLocations(models: URL(fileURLWithPath: "/m"), data: URL(fileURLWithPath: "/d"))
        let suite = ExperimentSuite.make(.ablationInit, scale: .smoke, locations: locations)
        let first = suite.configurations[0]
        let table = ExperimentResultsTable.table(suite, records: [
            record(first, trainable: 8, metrics: ["validation_loss": 1.5, "init_validation_loss": 1.75], initSeconds: nil, training: 2),
        ])
        #expect(table.header.prefix(3) == ["method", "rank", "setting"])
        #expect(table.header.contains("answer loss") && table.header.contains("loss after init"))
        #expect(!table.header.contains("GSM8K acc"))
        #expect(table.rows[0] == ["LoRA-SB", "2", "1 init samples, sign ΔW", "1e-03", "8", "1.5000", "1.7500", "—", "2.0"])
        #expect(table.rows.count == suite.configurations.count)
    }
}
