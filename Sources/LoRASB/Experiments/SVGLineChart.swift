import Foundation
import ModelIO

/// A line chart written as SVG text: one or more panels side by side, each with its own axes
/// (ticks at round numbers, labels, a title), series drawn as one `<path>` each, and a shared
/// legend below. Non-finite points break a line rather than bend it; an empty series still gets
/// its (empty) path and legend entry, so every series is accounted for.
public struct SVGLineChart: Sendable {
    public struct Point: Sendable, Equatable {
        public var x: Double
        public var y: Double
        public init(_ x: Double, _ y: Double) { self.x = x; self.y = y }
    }

    public struct Series: Sendable {
        public var name: String
        public var points: [Point]
        /// A CSS colour (`#1f77b4`).
        public var color: String
        public var dashed: Bool
        /// Dots at the points (sparse series such as validation losses).
        public var markers: Bool

        public init(name: String, points: [Point], color: String, dashed: Bool = false, markers: Bool = false) {
            self.name = name
            self.points = points
            self.color = color
            self.dashed = dashed
            self.markers = markers
        }
    }

    public struct Panel: Sendable {
        public var title: String
        public var xLabel: String
        public var yLabel: String
        public var series: [Series]
        /// Ticks on the x axis only at whole numbers (steps).
        public var integerX: Bool

        public init(title: String, xLabel: String, yLabel: String, series: [Series], integerX: Bool = false) {
            self.title = title
            self.xLabel = xLabel
            self.yLabel = yLabel
            self.series = series
            self.integerX = integerX
        }
    }

    public struct LegendEntry: Sendable {
        public var label: String
        public var color: String
        public var dashed: Bool

        public init(label: String, color: String, dashed: Bool = false) {
            self.label = label
            self.color = color
            self.dashed = dashed
        }
    }

    public var title: String
    /// A second, smaller heading line (what the lines mean).
    public var subtitle: String
    public var panels: [Panel]
    public var legend: [LegendEntry]
    public var panelWidth: Double = 520
    public var panelHeight: Double = 340

    public init(title: String, subtitle: String = "", panels: [Panel], legend: [LegendEntry]) {
        self.title = title
        self.subtitle = subtitle
        self.panels = panels
        self.legend = legend
    }

    /// Where the panels start: below the title and subtitle.
    static let panelTop = 44.0

    /// Ten distinct colours (matplotlib's default cycle), reused in order.
    public static let palette = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd",
                                 "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"]

    // Layout inside a panel: room for tick labels and axis labels.
    static let margin = (left: 64.0, right: 16.0, top: 36.0, bottom: 48.0)
    static let legendRowHeight = 18.0
    static let legendColumnWidth = 250.0

    /// The whole document.
    public func svg() -> String {
        let columns = max(1, Int((panelWidth * Double(max(panels.count, 1))) / SVGLineChart.legendColumnWidth))
        let legendRows = (legend.count + columns - 1) / columns
        let width = panelWidth * Double(max(panels.count, 1))
        let legendTop = SVGLineChart.panelTop + panelHeight + 8
        let height = legendTop + Double(legendRows) * SVGLineChart.legendRowHeight + 12
        var out = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
        out += "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(f(width))\" height=\"\(f(height))\" viewBox=\"0 0 \(f(width)) \(f(height))\" font-family=\"sans-serif\" font-size=\"11\">\n"
        out += "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n"
        out += "<text class=\"title\" x=\"\(f(width / 2))\" y=\"18\" text-anchor=\"middle\" font-size=\"14\">\(SVGLineChart.escape(title))</text>\n"
        out += "<text class=\"subtitle\" x=\"\(f(width / 2))\" y=\"34\" text-anchor=\"middle\">\(SVGLineChart.escape(subtitle))</text>\n"
        for (i, panel) in panels.enumerated() {
            out += drawPanel(panel, originX: Double(i) * panelWidth, originY: SVGLineChart.panelTop)
        }
        out += "<g class=\"legend\">\n"
        for (i, entry) in legend.enumerated() {
            let x = 16 + Double(i % columns) * SVGLineChart.legendColumnWidth
            let y = legendTop + Double(i / columns) * SVGLineChart.legendRowHeight + 9
            out += "<line x1=\"\(f(x))\" y1=\"\(f(y - 4))\" x2=\"\(f(x + 24))\" y2=\"\(f(y - 4))\" stroke=\"\(SVGLineChart.escape(entry.color))\" stroke-width=\"2\"\(entry.dashed ? " stroke-dasharray=\"5,3\"" : "")/>"
            out += "<text x=\"\(f(x + 30))\" y=\"\(f(y))\">\(SVGLineChart.escape(entry.label))</text>\n"
        }
        out += "</g>\n</svg>\n"
        return out
    }

    /// Writes the document atomically.
    public func write(to url: URL) throws {
        try AtomicFile.write(Data(svg().utf8), to: url)
    }

    func drawPanel(_ panel: Panel, originX: Double, originY: Double) -> String {
        let m = SVGLineChart.margin
        let left = originX + m.left, right = originX + panelWidth - m.right
        let top = originY + m.top, bottom = originY + panelHeight - m.bottom
        let finite = panel.series.flatMap(\.points).filter { $0.x.isFinite && $0.y.isFinite }
        let xAxis = AxisScale(values: finite.map(\.x), integer: panel.integerX)
        let yAxis = AxisScale(values: finite.map(\.y))
        func px(_ x: Double) -> Double { left + (x - xAxis.lower) / (xAxis.upper - xAxis.lower) * (right - left) }
        func py(_ y: Double) -> Double { bottom - (y - yAxis.lower) / (yAxis.upper - yAxis.lower) * (bottom - top) }

        var out = "<g class=\"panel\">\n"
        out += "<text class=\"panel-title\" x=\"\(f((left + right) / 2))\" y=\"\(f(originY + 20))\" text-anchor=\"middle\" font-size=\"12\">\(SVGLineChart.escape(panel.title))</text>\n"
        // Grid and ticks.
        for t in xAxis.ticks {
            let x = px(t)
            out += "<line class=\"grid\" x1=\"\(f(x))\" y1=\"\(f(top))\" x2=\"\(f(x))\" y2=\"\(f(bottom))\" stroke=\"#e5e5e5\"/>"
            out += "<line class=\"tick\" x1=\"\(f(x))\" y1=\"\(f(bottom))\" x2=\"\(f(x))\" y2=\"\(f(bottom + 4))\" stroke=\"black\"/>"
            out += "<text class=\"tick-label\" x=\"\(f(x))\" y=\"\(f(bottom + 15))\" text-anchor=\"middle\">\(xAxis.label(t))</text>\n"
        }
        for t in yAxis.ticks {
            let y = py(t)
            out += "<line class=\"grid\" x1=\"\(f(left))\" y1=\"\(f(y))\" x2=\"\(f(right))\" y2=\"\(f(y))\" stroke=\"#e5e5e5\"/>"
            out += "<line class=\"tick\" x1=\"\(f(left - 4))\" y1=\"\(f(y))\" x2=\"\(f(left))\" y2=\"\(f(y))\" stroke=\"black\"/>"
            out += "<text class=\"tick-label\" x=\"\(f(left - 6))\" y=\"\(f(y + 4))\" text-anchor=\"end\">\(yAxis.label(t))</text>\n"
        }
        out += "<line class=\"axis\" x1=\"\(f(left))\" y1=\"\(f(bottom))\" x2=\"\(f(right))\" y2=\"\(f(bottom))\" stroke=\"black\"/>\n"
        out += "<line class=\"axis\" x1=\"\(f(left))\" y1=\"\(f(top))\" x2=\"\(f(left))\" y2=\"\(f(bottom))\" stroke=\"black\"/>\n"
        out += "<text class=\"axis-label\" x=\"\(f((left + right) / 2))\" y=\"\(f(bottom + 34))\" text-anchor=\"middle\">\(SVGLineChart.escape(panel.xLabel))</text>\n"
        let yMid = (top + bottom) / 2
        out += "<text class=\"axis-label\" x=\"\(f(originX + 14))\" y=\"\(f(yMid))\" text-anchor=\"middle\" transform=\"rotate(-90 \(f(originX + 14)) \(f(yMid)))\">\(SVGLineChart.escape(panel.yLabel))</text>\n"
        // Series: one path each; a non-finite point ends the current stretch.
        for s in panel.series {
            var d = ""
            var penDown = false
            for p in s.points {
                guard p.x.isFinite, p.y.isFinite else { penDown = false; continue }
                d += "\(d.isEmpty ? "" : " ")\(penDown ? "L" : "M")\(f(px(p.x))),\(f(py(p.y)))"
                penDown = true
            }
            let color = SVGLineChart.escape(s.color)
            out += "<path class=\"series\" data-name=\"\(SVGLineChart.escape(s.name))\" d=\"\(d)\" fill=\"none\" stroke=\"\(color)\" stroke-width=\"1.6\"\(s.dashed ? " stroke-dasharray=\"5,3\"" : "")/>\n"
            if s.markers {
                for p in s.points where p.x.isFinite && p.y.isFinite {
                    out += "<circle class=\"marker\" cx=\"\(f(px(p.x)))\" cy=\"\(f(py(p.y)))\" r=\"2.5\" fill=\"\(color)\"/>"
                }
                out += "\n"
            }
        }
        out += "</g>\n"
        return out
    }

    /// Coordinates with two decimals (enough at screen resolution, and stable text).
    func f(_ v: Double) -> String { String(format: "%.2f", v) }

    /// Text made safe for XML character data and attribute values.
    public static func escape(_ s: String) -> String {
        var out = ""
        for scalar in s.unicodeScalars {
            switch scalar {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&apos;"
            case _ where scalar.value < 0x20 && scalar != "\t" && scalar != "\n" && scalar != "\r": out += " "
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out
    }
}

/// An axis's range and ticks: round steps (1, 2 or 5 × 10^k), the range widened to whole steps.
/// An empty axis shows 0…1; a constant one is widened around its value.
public struct AxisScale: Sendable, Equatable {
    public let lower: Double
    public let upper: Double
    public let step: Double
    public let ticks: [Double]

    /// `integer`: steps of at least 1 (for counts such as training steps).
    public init(values: [Double], targetTicks: Int = 6, integer: Bool = false) {
        let finite = values.filter(\.isFinite)
        var lo = finite.min() ?? 0
        var hi = finite.max() ?? 1
        if hi - lo <= max(abs(hi), abs(lo)) * 1e-12 {
            let pad = lo == 0 ? 1 : abs(lo) * 0.1
            lo -= pad
            hi += pad
        }
        var step = AxisScale.roundStep((hi - lo) / Double(max(targetTicks - 1, 1)))
        if integer { step = max(step, 1) }
        let first = (lo / step).rounded(.down)
        let last = (hi / step).rounded(.up)
        lower = first * step
        upper = last * step
        self.step = step
        let count = Int(last - first)
        ticks = (0...max(count, 1)).map { (first + Double($0)) * step }
    }

    /// The smallest of 1, 2, 5 × 10^k not below `raw`.
    public static func roundStep(_ raw: Double) -> Double {
        guard raw.isFinite, raw > 0 else { return 1 }
        let magnitude = pow(10, (log10(raw)).rounded(.down))
        for m in [1.0, 2, 5, 10] where m * magnitude >= raw * (1 - 1e-9) { return m * magnitude }
        return 10 * magnitude
    }

    /// A tick's text with as many decimals as the step needs.
    public func label(_ value: Double) -> String {
        let decimals = max(0, -Int((log10(step)).rounded(.down)))
        let text = String(format: "%.\(min(decimals, 8))f", value)
        return text == "-0" || text.hasPrefix("-0.") && Double(text) == 0 ? String(text.dropFirst()) : text
    }
}
