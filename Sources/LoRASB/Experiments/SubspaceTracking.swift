import Adapters
import Foundation
import ModelIO
import Tensor
import Training

/// The paper's sixth claim: LoRA-SB simulates full fine-tuning in its subspace. A suite that
/// tracks the subspace trains full fine-tuning first and saves, every few steps, what training
/// has added to each target weight (`W_t − W_0`); every adapter run of the same task and seed
/// (the same data in the same order and the same head) then measures, at the same steps, the
/// cosine between what it adds to the weight (`s·B R_t A`; LoRA's `s·B_t A_t`) and full
/// fine-tuning's, per target, averaged over the targets, and over all targets at once.
///
/// Files: the reference run's `subspace/step-000010.safetensors` (one fp32 tensor per target,
/// named by module path; not results, so kept out of the repository), and each adapter run's
/// `subspace.jsonl` (one line per compared step).
public enum SubspaceTracking {
    public static let snapshotFolder = "subspace"
    public static let logName = "subspace.jsonl"
    /// The record's keys: the targets' mean cosine and the cosine of all targets concatenated,
    /// both at the last step.
    public static let meanCosine = "subspace_cosine"
    public static let globalCosine = "subspace_cosine_global"
    /// Methods whose update is `merged − base` (they leave the pretrained weight in place);
    /// PiSSA and LoRA-GA rewrite the base and would need the model file's weights besides.
    public static let methods: Set<AdapterMethod> = [.full, .loraSB, .loraXS, .lora]

    /// Steps compared: every `interval`-th and the last.
    public static func isSnapshot(step: Int, of total: Int, interval: Int) -> Bool {
        step > 0 && (step % interval == 0 || step == total)
    }

    static func snapshotURL(_ run: URL, step: Int) -> URL {
        run.appendingPathComponent(snapshotFolder).appendingPathComponent(String(format: "step-%06d.safetensors", step))
    }

    /// What training has added to each target weight, by module path: for an adapter the
    /// weight it makes less the frozen weight, for full fine-tuning the weight less `initial`.
    static func updates(_ adapters: AdapterSet, initial: [String: Tensor]) -> [String: Tensor] {
        var out: [String: Tensor] = [:]
        for e in adapters.entries {
            let base = e.target.linear.weight.value
            let update = Tensor(zeros: base.shape)
            if let adapter = e.adapter {
                Elementwise.subtract(adapter.merged(into: base), base, into: update)
            } else if let start = initial[e.target.modulePath] {
                Elementwise.subtract(base, start, into: update)
            }
            out[e.target.modulePath] = update
        }
        return out
    }

    /// The full fine-tuning run's hook: keeps the weights before the first step and saves the
    /// updates at every snapshot step.
    final class Recorder {
        let folder: URL
        let interval: Int
        private var initial: [String: Tensor] = [:]

        init(run folder: URL, interval: Int) {
            self.folder = folder
            self.interval = interval
        }

        func callAsFunction(step: Int, total: Int, adapters: AdapterSet) throws {
            if step == 0 {
                initial = Dictionary(uniqueKeysWithValues: adapters.entries.map { ($0.target.modulePath, $0.target.linear.weight.value.copy()) })
                try ExperimentRunner.createFolder(folder.appendingPathComponent(snapshotFolder))
                return
            }
            guard isSnapshot(step: step, of: total, interval: interval) else { return }
            var writer = SafeTensorsWriter(metadata: ["format": "lorasb-subspace", "step": String(step)])
            for (name, update) in updates(adapters, initial: initial).sorted(by: { $0.key < $1.key }) { writer.add(name, update) }
            try writer.write(to: snapshotURL(folder, step: step))
        }
    }

    /// An adapter run's hook: at every snapshot step, the cosines with the reference run's
    /// update at that step, appended to the run's `subspace.jsonl`.
    final class Comparer {
        let reference: URL
        let log: URL
        let interval: Int
        /// The last compared step's mean and global cosine.
        private(set) var last: (mean: Double, global: Double)?
        private var logger: MetricsLogger?

        init(reference: URL, run folder: URL, interval: Int) {
            self.reference = reference
            log = folder.appendingPathComponent(logName)
            self.interval = interval
        }

        func callAsFunction(step: Int, total: Int, adapters: AdapterSet) throws {
            guard isSnapshot(step: step, of: total, interval: interval) else { return }
            let url = snapshotURL(reference, step: step)
            let file: SafeTensorsFile
            do { file = try SafeTensorsFile(url: url) } catch {
                throw ExperimentError(url.path, "the full fine-tuning run of the same task and seed saved no update at step \(step) (\(error)); run it first")
            }
            var cosines: [String: Double] = [:]
            var (dot, ours, theirs) = (0.0, 0.0, 0.0)
            for (name, update) in updates(adapters, initial: [:]) {
                let full = try file.tensor(named: name)
                guard full.count == update.count else {
                    throw ExperimentError(url.path, "\(name) has \(full.count) values, the adapter's update \(update.count)")
                }
                let d = Reductions.dot(update, full), a = Reductions.squaredNorm(update), b = Reductions.squaredNorm(full)
                cosines[name] = a > 0 && b > 0 ? d / (a * b).squareRoot() : 0
                dot += d; ours += a; theirs += b
            }
            let mean = cosines.values.reduce(0, +) / Double(max(1, cosines.count))
            let global = ours > 0 && theirs > 0 ? dot / (ours * theirs).squareRoot() : 0
            last = (mean, global)
            if logger == nil { logger = try MetricsLogger(url: log, append: false) }
            try logger?.log([("step", .integer(step)), ("mean_cosine", .number(mean)), ("global_cosine", .number(global))]
                            + cosines.sorted { $0.key < $1.key }.map { ("cosine.\($0.key)", MetricValue.number($0.value)) })
        }
    }

    /// A run's `subspace.jsonl` read back: the mean cosine at every compared step.
    public static func readMeanCosines(_ run: URL) throws -> [(step: Int, mean: Double, global: Double)] {
        let url = run.appendingPathComponent(logName)
        guard FileManager.default.fileExists(atPath: url.path) else { return [] }
        let text: String
        do { text = try String(contentsOf: url, encoding: .utf8) } catch {
            throw ExperimentError(url.path, "cannot read: \(error.localizedDescription)")
        }
        return try text.split(separator: "\n").enumerated().map { i, line in
            guard let o = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
                  let step = o["step"] as? Int, let mean = o["mean_cosine"] as? Double, let global = o["global_cosine"] as? Double else {
                throw ExperimentError(url.path, "line \(i + 1) is not a subspace record")
            }
            return (step, mean, global)
        }
    }
}

extension SubspaceTracking {
    /// The cosines over training of every compared run (by configuration id, the first seed's
    /// run): solid the targets' mean, dashed all targets at once; one panel per task.
    static func chart(_ suite: ExperimentSuite, cosines: [String: [(step: Int, mean: Double, global: Double)]]) -> SVGLineChart {
        var legend: [SVGLineChart.LegendEntry] = []
        var color: [String: String] = [:]
        for c in suite.configurations where c.method != .full && color[c.row] == nil {
            color[c.row] = SVGLineChart.palette[color.count % SVGLineChart.palette.count]
            legend.append(SVGLineChart.LegendEntry(label: ExperimentLossPlot.label(c), color: color[c.row] ?? "black"))
        }
        let panels = suite.tasks.map { task in
            SVGLineChart.Panel(title: task.name, xLabel: "step", yLabel: "cosine with full fine-tuning's update",
                               series: suite.configurations.filter { $0.task == task.name && $0.method != .full }.flatMap { c -> [SVGLineChart.Series] in
                                   let points = cosines[c.id] ?? []
                                   let label = ExperimentLossPlot.label(c), colour = color[c.row] ?? "black"
                                   return [SVGLineChart.Series(name: "\(label) mean", points: points.map { .init(Double($0.step), $0.mean) }, color: colour),
                                           SVGLineChart.Series(name: "\(label) all targets", points: points.map { .init(Double($0.step), $0.global) },
                                                               color: colour, dashed: true)]
                               }, integerX: true)
        }
        return SVGLineChart(title: suite.title, subtitle: "cosine between each method's update and full fine-tuning's W_t − W_0: mean over the adapted weights (solid), all of them concatenated (dashed)",
                            panels: panels, legend: legend)
    }
}
