import Foundation

/// Which runs a suite's table needs. Without a learning-rate grid, every configuration runs
/// once per seed at its own rate. With one, every configuration first runs at each rate of the
/// grid with the first seed (the tuning runs), the rate with the best score (the task's
/// selection metric, else the validation loss) is chosen, and then every seed runs at that rate; the first seed's run at the chosen rate is
/// the tuning run itself (same id), so it is not trained twice. Configurations in `runOnce` run
/// once at their own rate with the first seed either way.
extension ExperimentSuite {
    /// The tuning runs, configuration by configuration (none without a grid).
    public var tuningRuns: [ExperimentRun] {
        guard let grid = learningRateGrid else { return [] }
        return configurations.filter { !runOnce.contains($0.id) }.flatMap { c in
            grid.rates(around: c.learningRate).map { ExperimentRun(c, learningRate: $0, seed: seed) }
        }
    }

    /// The runs whose results the table shows: every seed of every configuration at the rate
    /// `rate` gives it (nil: not chosen yet, the configuration's runs are left out).
    public func finalRuns(rate: (ExperimentConfiguration) -> Double?) -> [ExperimentRun] {
        configurations.flatMap { c -> [ExperimentRun] in
            if runOnce.contains(c.id) { return [ExperimentRun(c, learningRate: c.learningRate, seed: seed)] }
            guard let r = learningRateGrid == nil ? c.learningRate : rate(c) else { return [] }
            return seeds.map { ExperimentRun(c, learningRate: r, seed: $0) }
        }
    }

    /// The rate of the tuning run with the highest selection metric of `c`'s task (ties: the
    /// lower validation loss), or without one the lowest validation loss, once every tuning run
    /// of `c` is in `finished` (a full tie keeps the lower rate); nil before that.
    public func chosenRate(_ c: ExperimentConfiguration, finished: [String: ExperimentRecord]) -> Double? {
        let runs = tuningRuns.filter { $0.configuration.id == c.id }
        let metric = selectionMetric(of: c)
        var best: (rate: Double, score: Double, loss: Double)?
        for run in runs {
            guard let record = finished[run.id] else { return nil }
            let score = metric.map { record.metrics[$0] ?? -.infinity } ?? 0
            let loss = record.metrics[ExperimentRecord.validationLoss] ?? .infinity
            if let b = best, score < b.score || (score == b.score && loss >= b.loss) { continue }
            best = (run.learningRate, score, loss)
        }
        return best?.rate
    }

    /// The metric the grid maximises for `c` (nil: it minimises the validation loss).
    public func selectionMetric(of c: ExperimentConfiguration) -> String? {
        tasks.first { $0.name == c.task }?.selectionMetric
    }

    /// Every run the suite will train, tuning runs first: the final runs at the rates `chosen`
    /// gives, and for configurations without one yet, their later seeds at their own rate,
    /// marked as to be chosen (for estimates).
    public func plannedRuns(chosen: (ExperimentConfiguration) -> Double?) -> [(run: ExperimentRun, rateToBeChosen: Bool)] {
        let tuning = tuningRuns
        let tuned = Set(tuning.map(\.id))
        var out = tuning.map { (run: $0, rateToBeChosen: false) }
        for c in configurations {
            if runOnce.contains(c.id) {
                out.append((ExperimentRun(c, learningRate: c.learningRate, seed: seed), false))
                continue
            }
            let rate = learningRateGrid == nil ? c.learningRate : chosen(c)
            for s in seeds {
                let run = ExperimentRun(c, learningRate: rate ?? c.learningRate, seed: s)
                if rate != nil && tuned.contains(run.id) { continue }
                if rate == nil && s == seed { continue }   // one of the tuning runs
                out.append((run, rate == nil))
            }
        }
        return out
    }

    /// How many runs the table shows when the suite is finished: every seed of every
    /// configuration, once for those in `runOnce`.
    public var tableRunCount: Int {
        configurations.reduce(0) { $0 + (runOnce.contains($1.id) ? 1 : seeds.count) }
    }

    /// The suite with `count` seeds: its own seed and the next `count − 1`.
    public func withSeeds(_ count: Int) throws -> ExperimentSuite {
        try SettingError.check("seeds", count, atLeast: 1)
        var copy = self
        let first = seed
        copy.seeds = (0..<count).map { first + UInt64($0) }
        return copy
    }
}
