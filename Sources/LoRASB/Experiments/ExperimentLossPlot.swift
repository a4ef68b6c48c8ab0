import Foundation

/// The loss plot of a suite: per task a panel; per table row a colour; its training loss as a
/// solid line (moving average) and its validation loss dashed with dots.
public enum ExperimentLossPlot {
    /// A trailing moving average over `window` finite values (non-finite values stay as gaps
    /// and are left out of the averages).
    public static func smoothed(_ points: [RunMetricsLog.Point], window: Int) -> [RunMetricsLog.Point] {
        let w = max(1, window)
        var recent: [Double] = []
        var out: [RunMetricsLog.Point] = []
        out.reserveCapacity(points.count)
        for p in points {
            guard p.value.isFinite else { out.append(p); continue }
            recent.append(p.value)
            if recent.count > w { recent.removeFirst() }
            out.append(RunMetricsLog.Point(step: p.step, value: recent.reduce(0, +) / Double(recent.count)))
        }
        return out
    }

    /// The window for a run of `steps` steps: a tenth of it, at least 1.
    public static func window(steps: Int) -> Int { max(1, steps / 10) }

    /// The chart of `logs` (by configuration id) for `suite`.
    public static func chart(_ suite: ExperimentSuite, logs: [String: RunMetricsLog]) -> SVGLineChart {
        var rowColor: [String: String] = [:]
        var legend: [SVGLineChart.LegendEntry] = []
        for c in suite.configurations where rowColor[c.row] == nil {
            let color = SVGLineChart.palette[rowColor.count % SVGLineChart.palette.count]
            rowColor[c.row] = color
            legend.append(SVGLineChart.LegendEntry(label: label(c), color: color))
        }
        let longest = logs.values.compactMap { $0.trainingLoss.last?.step }.max().map { Int($0) }
        let window = window(steps: suite.epochs == nil ? suite.steps : longest ?? suite.steps)
        let panels = suite.tasks.map { task -> SVGLineChart.Panel in
            var series: [SVGLineChart.Series] = []
            for c in suite.configurations where c.task == task.name {
                let log = logs[c.id] ?? RunMetricsLog()
                let color = rowColor[c.row] ?? "black"
                series.append(SVGLineChart.Series(name: "\(label(c)) training",
                                                  points: smoothed(log.trainingLoss, window: window).map { .init($0.step, $0.value) },
                                                  color: color))
                series.append(SVGLineChart.Series(name: "\(label(c)) validation",
                                                  points: log.validationLoss.map { .init($0.step, $0.value) },
                                                  color: color, dashed: true, markers: true))
            }
            return SVGLineChart.Panel(title: task.name == "gsm8k" ? "GSM8K" : task.name, xLabel: "step",
                                      yLabel: "loss", series: series, integerX: true)
        }
        let caption = "training loss (solid, moving average of \(window) step\(window == 1 ? "" : "s")) and validation loss (dashed, dots)"
        return SVGLineChart(title: suite.title, subtitle: caption, panels: panels, legend: legend)
    }

    /// `LoRA-SB r=32`, `Full FT`, `LoRA-SB r=32, lr 1e-03`.
    static func label(_ c: ExperimentConfiguration) -> String {
        var s = c.methodName
        if c.method != .full { s += " r=\(c.rank)" }
        if let setting = c.setting { s += ", \(setting)" }
        return s
    }
}
