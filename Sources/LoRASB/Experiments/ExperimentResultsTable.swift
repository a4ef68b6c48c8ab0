import Foundation

/// The results table of a suite: one row per method/rank/setting (its runs on several tasks
/// share the row), the suite's metric columns, trainable parameters and times.
public enum ExperimentResultsTable {
    /// How a metric value is printed; the tests compare these strings with the run logs.
    public static func format(_ value: Double?) -> String {
        guard let value, value.isFinite else { return "—" }
        return String(format: "%.4f", value)
    }

    /// One value as `format` prints it, or several (one per seed) as `mean ± standard deviation`
    /// (the sample standard deviation, n − 1).
    public static func format(_ values: [Double]) -> String {
        let finite = values.filter(\.isFinite)
        guard finite.count == values.count, let first = finite.first else { return "—" }
        guard finite.count > 1 else { return format(first) }
        let mean = finite.reduce(0, +) / Double(finite.count)
        let variance = finite.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(finite.count - 1)
        return String(format: "%.4f ± %.4f", mean, variance.squareRoot())
    }

    /// Seconds with one decimal.
    public static func formatSeconds(_ value: Double?) -> String {
        guard let value, value.isFinite else { return "—" }
        return String(format: "%.1f", value)
    }

    /// `215,040`.
    public static func formatCount(_ n: Int) -> String {
        let digits = String(n.magnitude)
        var out = ""
        for (i, c) in digits.enumerated() {
            if i > 0, (digits.count - i) % 3 == 0 { out += "," }
            out.append(c)
        }
        return (n < 0 ? "-" : "") + out
    }

    /// The table for `records` of `suite` (the runs of every seed at the rates chosen), rows in
    /// the suite's configuration order: a cell is the mean ± standard deviation over a
    /// configuration's seeds; the learning rate is the one its runs trained at. Rows whose runs
    /// are missing show `—` in their cells.
    public static func table(_ suite: ExperimentSuite, records: [ExperimentRecord]) -> MarkdownTable {
        let byID = Dictionary(grouping: records, by: { $0.configuration.id })
        var rowOrder: [String] = []
        var configurationsByRow: [String: [ExperimentConfiguration]] = [:]
        for c in suite.configurations {
            if configurationsByRow[c.row] == nil { rowOrder.append(c.row) }
            configurationsByRow[c.row, default: []].append(c)
        }
        let hasSetting = suite.configurations.contains { $0.setting != nil }
        let columns = suite.tasks.flatMap(\.columns)
        var header = ["method", "rank"]
        if hasSetting { header.append("setting") }
        header += ["learning rate", "trainable params"] + columns.map(\.title) + ["init (s)", "train (s)"]
        var alignments: [MarkdownTable.Alignment] = [.left, .right]
        if hasSetting { alignments.append(.left) }
        alignments += [.right, .right] + columns.map { _ in .right } + [.right, .right]

        var rows: [[String]] = []
        for row in rowOrder {
            let configurations = configurationsByRow[row] ?? []
            guard let first = configurations.first else { continue }
            // Per task, its seeds' records; times are per seed, summed over the tasks.
            let perTask = configurations.map { byID[$0.id] ?? [] }
            let done = perTask.flatMap { $0 }
            let seeds = Double(max(1, perTask.map(\.count).max() ?? 1))
            var cells = [first.methodName, first.method == .full ? "—" : String(first.rank)]
            if hasSetting { cells.append(first.setting ?? "") }
            cells.append(joinedDistinct(perTask.map { runs in
                ExperimentRun.rateText(runs.first?.run.learningRate ?? first.learningRate)
            }))
            let counts = done.map(\.trainableParameters)
            cells.append(counts.isEmpty ? "—" : joinedDistinct(perTask.compactMap { $0.first.map { formatCount($0.trainableParameters) } }))
            for column in columns {
                let runs = configurations.first { $0.task == column.task }.flatMap { byID[$0.id] } ?? []
                cells.append(format(runs.map { $0.metrics[column.metric] ?? .nan }))
            }
            let inits = done.compactMap(\.initSeconds)
            cells.append(inits.isEmpty ? "—" : formatSeconds(inits.reduce(0, +) / seeds))
            cells.append(done.isEmpty ? "—" : formatSeconds(done.map(\.trainingSeconds).reduce(0, +) / seeds))
            rows.append(cells)
        }
        return MarkdownTable(header: header, alignments: alignments, rows: rows)
    }

    /// `a` when every value is the same, else `a / b / c`.
    static func joinedDistinct(_ values: [String]) -> String {
        Set(values).count <= 1 ? (values.first ?? "—") : values.joined(separator: " / ")
    }

    /// The whole results file: title, what was run, the table, the learning-rate grid (when the
    /// suite has one; `tuning` are its finished tuning runs), the plot, where the runs are.
    public static func document(_ suite: ExperimentSuite, records: [ExperimentRecord], tuning: [ExperimentRecord] = [],
                                plotFile: String, runsFolder: String, command: String) -> String {
        var out = "# \(suite.title)\n\n"
        out += suite.summary + "\n\n"
        out += "Shared by every run: \(suite.runLength), batch \(suite.batchSize), warm-up ratio \(suite.warmupRatio), "
        out += "\(suite.decay.rawValue) decay, AdamW without weight decay, gradient clipping at 1, max \(suite.maxSequenceLength) tokens, "
        if suite.evaluateEachEpoch { out += "validation after every epoch ('best' columns: the best of those, the last-epoch value beside it), " }
        out += suite.seeds.count == 1 ? "seed \(suite.seed); " : "seeds \(suite.seeds.map(String.init).joined(separator: ", ")) (cells: mean ± standard deviation over the \(suite.seeds.count) seeds; times: per seed); "
        out += "targets \(suite.targets.joined(separator: ", ")); model `\(suite.model.lastPathComponent)`.\n\n"
        out += table(suite, records: records).text + "\n"
        if let grid = suite.learningRateGrid {
            out += ExperimentGridTable.section(suite, grid: grid, tuning: tuning)
        }
        let base = records.compactMap { $0.metrics[ExperimentRecord.baseValidationLoss] }.first
        if suite.tasks.count == 1, let base {
            out += "Base model before any training: validation loss \(format(base)).\n\n"
        }
        out += "Trainable parameters include a classification head where there is one. "
        out += "'init (s)' is LoRA-SB's gradient estimate and SVD; 'train (s)' is the trainer's clock (steps and the validation passes between them)"
        out += suite.tasks.count > 1 ? ", summed over the tasks.\n\n" : ".\n\n"
        let missing = suite.configurations.filter { c in
            records.filter { $0.configuration.id == c.id }.count < (suite.runOnce.contains(c.id) ? 1 : suite.seeds.count)
        }
        if !missing.isEmpty {
            out += "Not run yet: \(missing.map(\.id).joined(separator: ", ")).\n\n"
        }
        out += "![training and validation loss](\(plotFile))\n\n"
        out += "Solid lines: training loss (moving average); dashed lines with dots: validation loss. "
        out += "Run folders (adapter, `metrics.jsonl`, `experiment.json`): `\(runsFolder)`. Made by `\(command)`.\n"
        return out
    }
}
