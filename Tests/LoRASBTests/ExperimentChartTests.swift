import Foundation
import Testing
@testable import LoRASB

/// The SVG line chart: well-formed XML, axes and ticks where the scale says, one path per
/// series at the right coordinates, gaps for NaN, and nothing broken by empty or constant data.
@Suite struct ExperimentChartTests {
    typealias P = SVGLineChart.Point

    func chart(_ series: [SVGLineChart.Series], panels: Int = 1) -> SVGLineChart {
        SVGLineChart(title: "t", panels: (0..<panels).map { i in
            SVGLineChart.Panel(title: "panel \(i)", xLabel: "step", yLabel: "loss", series: series)
        }, legend: series.map { SVGLineChart.LegendEntry(label: $0.name, color: $0.color, dashed: $0.dashed) })
    }

    @Test func wellFormedWithAxesTicksAndOnePathPerSeries() throws {
        let series = [
            SVGLineChart.Series(name: "a", points: [P(0, 0), P(10, 1)], color: "#1f77b4"),
            SVGLineChart.Series(name: "b", points: [P(0, 0.5), P(5, 0.25), P(10, 0.75)], color: "#ff7f0e", dashed: true, markers: true),
        ]
        let text = chart(series, panels: 2).svg()
        let svg = try #require(ParsedSVG.parse(text), "not well-formed XML")
        #expect(svg.elements.first?.name == "svg")
        #expect(svg.all("path", class: "series").count == 4)          // 2 series × 2 panels
        #expect(svg.all("line", class: "axis").count == 4)            // x and y per panel
        #expect(svg.all("circle", class: "marker").count == 6)        // b's 3 points × 2 panels
        #expect(svg.all("text", class: "axis-label").map(\.text) == ["step", "loss", "step", "loss"])
        // x: 0…10 at steps of 2; y: 0…1 at steps of 0.2.
        let labels = svg.all("text", class: "tick-label").map(\.text)
        #expect(Array(labels.prefix(6)) == ["0", "2", "4", "6", "8", "10"])
        #expect(Array(labels[6..<12]) == ["0.0", "0.2", "0.4", "0.6", "0.8", "1.0"])
        #expect(svg.all("line", class: "tick").count == 24)
        // The data range equals the tick range, so (0,0) is the plot's bottom-left corner and
        // (10,1) its top-right: x 64 … 520−16, y 44+36 … 44+340−48.
        let a = pathPoints(try #require(svg.all("path", class: "series").first?.attributes["d"]))
        #expect(a.moves == 1)
        #expect(a.points.count == 2)
        #expect(a.points[0] == (64, 336))
        #expect(a.points[1] == (504, 80))
        let b = svg.all("path", class: "series")[1]
        #expect(b.attributes["stroke-dasharray"] != nil)
        #expect(b.attributes["data-name"] == "b")
        #expect(pathPoints(b.attributes["d"] ?? "").points[1] == (284, 272))   // (5, 0.25)
        // The second panel is drawn one panel width to the right.
        let a2 = pathPoints(svg.all("path", class: "series")[2].attributes["d"] ?? "")
        #expect(a2.points[0] == (584, 336))
        #expect(svg.all("text").contains { $0.text == "a" } && svg.all("text").contains { $0.text == "b" })
    }

    @Test func nanBreaksTheLineAndEmptyOrConstantSeriesStillDraw() throws {
        let series = [
            SVGLineChart.Series(name: "gappy", points: [P(1, 2), P(2, .nan), P(3, 2.5), P(.infinity, 1), P(4, 3)], color: "red"),
            SVGLineChart.Series(name: "empty", points: [], color: "blue"),
            SVGLineChart.Series(name: "all nan", points: [P(1, .nan)], color: "green", markers: true),
        ]
        let text = chart(series).svg()
        let svg = try #require(ParsedSVG.parse(text))
        let paths = svg.all("path", class: "series")
        #expect(paths.count == 3)
        let gappy = pathPoints(paths[0].attributes["d"] ?? "")
        #expect(gappy.moves == 3)       // broken by the NaN and by the infinite x
        #expect(gappy.points.count == 3)
        #expect(paths[1].attributes["d"] == "")
        #expect(paths[2].attributes["d"] == "")
        #expect(svg.all("circle").isEmpty)
        for e in svg.elements {
            for key in ["x", "y", "x1", "x2", "y1", "y2", "cx", "cy"] {
                if let v = e.attributes[key] { #expect(Double(v)?.isFinite == true, "\(e.name) \(key)=\(v)") }
            }
        }

        // Constant data: the axis is widened around the value, the line is flat and inside.
        let flat = chart([SVGLineChart.Series(name: "flat", points: [P(0, 5), P(1, 5), P(2, 5)], color: "red")]).svg()
        let parsed = try #require(ParsedSVG.parse(flat))
        let points = pathPoints(parsed.all("path", class: "series")[0].attributes["d"] ?? "").points
        #expect(points.count == 3)
        #expect(Set(points.map(\.1)).count == 1)
        #expect(points[0].1 > 80 && points[0].1 < 336)
        #expect(!flat.contains("nan") && !flat.contains("inf"))

        // Nothing at all: still a document with axes and 0…1 ticks.
        let nothing = try #require(ParsedSVG.parse(chart([]).svg()))
        #expect(nothing.all("line", class: "axis").count == 2)
        #expect(nothing.all("path", class: "series").isEmpty)
        #expect(nothing.all("text", class: "tick-label").first?.text == "0.0")
    }

    @Test func textIsEscaped() throws {
        let name = "a <b> & \"c\" 'd'\u{1}"
        var c = chart([SVGLineChart.Series(name: name, points: [P(0, 1)], color: "red")])
        c.title = "x < y & z"
        let svg = try #require(ParsedSVG.parse(c.svg()))
        #expect(svg.all("path", class: "series")[0].attributes["data-name"] == "a <b> & \"c\" 'd' ")
        #expect(svg.all("text", class: "title")[0].text == "x < y & z")
    }

    @Test func axisScaleUsesRoundSteps() {
        #expect(AxisScale.roundStep(0.3) == 0.5)
        #expect(AxisScale.roundStep(1.2) == 2)
        #expect(AxisScale.roundStep(2) == 2)
        #expect(AxisScale.roundStep(7) == 10)
        #expect(AxisScale.roundStep(0.0004) == 0.0005)
        let s = AxisScale(values: [0.83, 2.41, 1.7])
        #expect(s.lower <= 0.83 && s.upper >= 2.41)
        #expect(s.step == 0.5)
        #expect(s.ticks.first == s.lower && s.ticks.last == s.upper)
        #expect(s.ticks.map { s.label($0) } == ["0.5", "1.0", "1.5", "2.0", "2.5"])
        let constant = AxisScale(values: [3, 3])
        #expect(constant.lower < 3 && constant.upper > 3)
        let steps = AxisScale(values: [0, 2], integer: true)
        #expect(steps.step == 1 && steps.ticks == [0, 1, 2])
        #expect(AxisScale(values: [0, 2]).step == 0.5)
        let zero = AxisScale(values: [0])
        #expect(zero.lower < 0 && zero.upper > 0)
        #expect(AxisScale(values: [-1, 1]).ticks.map { AxisScale(values: [-1, 1]).label($0) }.contains("0.0"))
    }

    @Test func smoothingIsATrailingMeanThatKeepsGaps() {
        typealias Q = RunMetricsLog.Point
        let points = [Q(step: 1, value: 4), Q(step: 2, value: 2), Q(step: 3, value: .nan), Q(step: 4, value: 6), Q(step: 5, value: 1)]
        let s = ExperimentLossPlot.smoothed(points, window: 2)
        #expect(s.map(\.step) == [1, 2, 3, 4, 5])
        #expect(s[0].value == 4)
        #expect(s[1].value == 3)
        #expect(s[2].value.isNaN)
        #expect(s[3].value == 4)      // (2 + 6) / 2: the NaN is skipped, not averaged
        #expect(s[4].value == 3.5)
        #expect(ExperimentLossPlot.smoothed(points, window: 1).map(\.value).filter(\.isFinite) == [4, 2, 6, 1])
        #expect(ExperimentLossPlot.window(steps: 3) == 1)
        #expect(ExperimentLossPlot.window(steps: 125) == 12)
    }
}
