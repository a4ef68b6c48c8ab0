import Foundation

/// The learning-rate grid of a suite as a section of its results file: per configuration the
/// selection metric (where the task has one) and validation loss of each tuning run, the chosen
/// rate in bold.
public enum ExperimentGridTable {
    public static func table(_ suite: ExperimentSuite, grid: LearningRateGrid, tuning: [ExperimentRecord]) -> MarkdownTable {
        let finished = Dictionary(tuning.map { ($0.run.id, $0) }, uniquingKeysWith: { a, _ in a })
        let hasSetting = suite.configurations.contains { $0.setting != nil }
        let severalTasks = suite.tasks.count > 1
        let positions: [String]
        switch grid {
        case .multiples(let factors): positions = factors.sorted().map { "×" + String(format: "%g", $0) }
        case .rates(let rates): positions = rates.sorted().map { "lr " + ExperimentRun.rateText($0) }
        }
        var header = ["method", "rank"]
        if hasSetting { header.append("setting") }
        if severalTasks { header.append("task") }
        header += positions + ["chosen"]
        var rows: [[String]] = []
        for c in suite.configurations {
            let chosen = suite.chosenRate(c, finished: finished)
            var cells = [c.methodName, c.method == .full ? "—" : String(c.rank)]
            if hasSetting { cells.append(c.setting ?? "") }
            if severalTasks { cells.append(c.task) }
            for rate in grid.rates(around: c.learningRate) {
                let run = ExperimentRun(c, learningRate: rate, seed: suite.seed)
                let metrics = finished[run.id]?.metrics
                let loss = ExperimentResultsTable.format(metrics?[ExperimentRecord.validationLoss])
                let score = suite.selectionMetric(of: c).map { "\(ExperimentResultsTable.format(metrics?[$0])) / " } ?? ""
                let text = "\(ExperimentRun.rateText(rate)): \(score)\(loss)"
                cells.append(rate == chosen ? "**\(text)**" : text)
            }
            cells.append(chosen.map(ExperimentRun.rateText) ?? "—")
            rows.append(cells)
        }
        let alignments: [MarkdownTable.Alignment] = header.indices.map { $0 < header.count - positions.count - 1 ? .left : .right }
        return MarkdownTable(header: header, alignments: alignments, rows: rows)
    }

    /// The heading, what was tuned and how, and the table.
    public static func section(_ suite: ExperimentSuite, grid: LearningRateGrid, tuning: [ExperimentRecord]) -> String {
        var out = "## Learning-rate grid\n\n"
        let metrics = Set(suite.tasks.compactMap(\.selectionMetric)).sorted()
        out += "Every configuration trained at \(grid.description) with seed \(suite.seed); the rate chosen (bold) is the one "
        out += "the table above shows and all seeds ran at. "
        if metrics.isEmpty {
            out += "It has the lowest final validation loss. Cells: rate: final validation loss.\n\n"
        } else {
            let names = metrics.map { ClassificationMetric(rawValue: $0).map(ExperimentSuite.shortName) ?? $0 }.joined(separator: " or ")
            out += "It has the highest dev \(names) after the last epoch (the task's metric; ties: the lower validation loss). "
            out += "Cells: rate: \(names) / final validation loss.\n\n"
        }
        out += table(suite, grid: grid, tuning: tuning).text + "\n"
        return out
    }
}
