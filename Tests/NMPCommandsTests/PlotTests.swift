import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import Testing
@testable import NMPCommands

/// The SVG chart library: ticks worked out by hand, escaping, well-formed documents, and
/// what happens to points that cannot be placed.
struct PlotTests {
    static func close(_ a: [Double], _ b: [Double]) -> Bool {
        a.count == b.count && zip(a, b).allSatisfy { abs($0 - $1) <= 1e-12 * max(1, abs($1)) }
    }

    @Test(arguments: [(0.7, 1.0), (1.0, 1.0), (1.2, 2.0), (2.0, 2.0), (3.0, 5.0), (7.0, 10.0), (0.0148, 0.02), (19.4, 20.0), (2.22, 5.0)])
    func niceSteps(_ raw: Double, _ step: Double) {
        #expect(abs(Axis.niceStep(raw) - step) < 1e-12)
    }

    /// Linear axes: the step is the nice number at or above range / 5, the ends whole steps.
    @Test func linearTicks() {
        // 97 / 5 = 19.4 -> 20: 0, 20, ..., 100.
        let a = Axis(AxisSpec(title: "t"), values: [0, 97])
        #expect(Self.close(a.ticks, [0, 20, 40, 60, 80, 100]))
        #expect(a.lower == 0 && a.upper == 100)
        #expect(a.ticks.map { a.label($0).text } == ["0", "20", "40", "60", "80", "100"])
        // 11.1 / 5 = 2.22 -> 5: -5 ... 10.
        let b = Axis(AxisSpec(title: "t"), values: [-3.2, 7.9])
        #expect(Self.close(b.ticks, [-5, 0, 5, 10]))
        // 0.074 / 5 = 0.0148 -> 0.02, labels with two decimals.
        let c = Axis(AxisSpec(title: "t"), values: [0.013, 0.087])
        #expect(Self.close(c.ticks, [0, 0.02, 0.04, 0.06, 0.08, 0.1]))
        #expect(c.ticks.map { c.label($0).text } == ["0.00", "0.02", "0.04", "0.06", "0.08", "0.10"])
        // Thousands separators as in the text reports.
        let d = Axis(AxisSpec(title: "t"), values: [0, 4_600_000])
        #expect(d.ticks.map { d.label($0).text } == ["0", "1,000,000", "2,000,000", "3,000,000", "4,000,000", "5,000,000"])
        // includesZero reaches down to 0.
        let e = Axis(AxisSpec(title: "t", includesZero: true), values: [40, 60])
        #expect(e.lower == 0 && e.upper == 60)
    }

    /// One value, all equal, none: a range around it, never an empty one.
    @Test func degenerateLinearRanges() {
        let one = Axis(AxisSpec(title: "t"), values: [5])          // 2.5 ... 7.5, step 1
        #expect(Self.close(one.ticks, [2, 3, 4, 5, 6, 7, 8]))
        let zeros = Axis(AxisSpec(title: "t"), values: [0, 0, 0])   // 0 ... 1, step 0.2
        #expect(Self.close(zeros.ticks, [0, 0.2, 0.4, 0.6, 0.8, 1]))
        #expect(zeros.label(0.4).text == "0.4")
        let none = Axis(AxisSpec(title: "t"), values: [])
        #expect(none.lower == 0 && none.upper == 1)
        let negative = Axis(AxisSpec(title: "t"), values: [-8, -8])  // -12 ... -4, step 2
        #expect(Self.close(negative.ticks, [-12, -10, -8, -6, -4]))
    }

    /// Ticks at given values (a sweep's): exactly those, labelled as plain numbers, the
    /// domain 5 % beyond them (in decades on a log axis).
    @Test func givenTicks() {
        let a = Axis(AxisSpec(title: "vlen", scale: .log10, ticks: [256, 32, 64, 128, 64]), values: [40])
        #expect(a.ticks == [32, 64, 128, 256])
        #expect(a.ticks.map { a.label($0).text } == ["32", "64", "128", "256"])
        // log10(32) = 1.50515, log10(256) = 2.40824: 5 % of 0.90309 either side.
        #expect(abs(log10(a.lower) - (1.50515 - 0.0451545)) < 1e-5 && abs(log10(a.upper) - (2.40824 + 0.0451545)) < 1e-5)
        #expect(a.minorTicks.isEmpty)
        let b = Axis(AxisSpec(title: "clock", unit: "GHz", ticks: [0.5, 1, 1.25, 2000]), values: [])
        #expect(b.ticks.map { b.label($0).text } == ["0.50", "1.00", "1.25", "2,000.00"])
        // Ticks a log axis cannot place are dropped; none left: the usual decades.
        let c = Axis(AxisSpec(title: "t", scale: .log10, ticks: [0, -1]), values: [3, 30])
        #expect(Self.close(c.ticks, [1, 10, 100]))
        let d = Axis(AxisSpec(title: "t", ticks: [7]), values: [7])
        #expect(d.ticks == [7] && d.lower < 7 && d.upper > 7)
    }

    /// Extreme values end with a few ticks, never an endless or empty list.
    @Test(arguments: [[-Double.greatestFiniteMagnitude, .greatestFiniteMagnitude], [1e16, 1e16 + 2], [1e300, 1e300],
                      [.leastNonzeroMagnitude, 1000 * .leastNonzeroMagnitude], [-Double.leastNormalMagnitude, 2 * .leastNormalMagnitude]])
    func extremeRangesHaveAFewTicks(_ values: [Double]) {
        for scale in [AxisScale.linear, .log10] {
            let axis = Axis(AxisSpec(title: "t", scale: scale), values: values)
            #expect((2...20).contains(axis.ticks.count), "\(scale) \(values): \(axis.ticks)")
            #expect(axis.lower.isFinite && axis.upper.isFinite && axis.lower < axis.upper)
            #expect(axis.ticks.allSatisfy { axis.fraction($0).isFinite })
        }
    }

    /// Log axes: whole decades; 2 ... 9 minor ticks while there are few decades; every
    /// k-th decade labelled when there are many; far decades as powers of ten.
    @Test func logTicks() {
        let a = Axis(AxisSpec(title: "t", scale: .log10), values: [3, 2500])
        #expect(Self.close(a.ticks, [1, 10, 100, 1000, 10000]))
        #expect(a.minorTicks.count == 4 * 8)
        #expect(a.ticks.map { a.label($0).text } == ["1", "10", "100", "1,000", "10,000"])
        let b = Axis(AxisSpec(title: "t", scale: .log10), values: [0.5, 0.5])
        #expect(Self.close([b.lower, b.upper], [0.1, 1]))
        #expect(b.label(0.1).text == "0.1")
        // 12 decades, labels every ceil(12 / 5) = 3rd.
        let c = Axis(AxisSpec(title: "t", scale: .log10), values: [0.002, 4e8])
        #expect(Self.close(c.ticks, [1e-3, 1, 1e3, 1e6, 1e9]))
        #expect(c.label(1e-3).text == "0.001" && c.label(1e6).text == "1,000,000")
        #expect(c.label(1e9).exponent == 9 && c.label(1e6).exponent == nil)
        #expect(c.minorTicks.count == 12 - 4)
        // Zero and negative values are not placed; the axis fits the others.
        let d = Axis(AxisSpec(title: "t", scale: .log10), values: [0, -4, 20, 300])
        #expect(Self.close([d.lower, d.upper], [10, 1000]))
        // A point is a fraction of the way along.
        #expect(abs(d.fraction(100) - 0.5) < 1e-12)
    }

    @Test func escaping() {
        #expect(SVGDocument.escape(#"a<b & "c" 'd'>"#) == "a&lt;b &amp; &quot;c&quot; &apos;d&apos;&gt;")
        #expect(SVGDocument.escape("bell\u{7}") == "bell\u{FFFD}")
        #expect(SVGDocument.number(-0.001) == "0" && SVGDocument.number(12.5) == "12.5" && SVGDocument.number(.nan) == "0")
    }

    /// The parsed document: every element name with its attributes, and the text.
    final class Parsed: NSObject, XMLParserDelegate {
        var elements: [(name: String, attributes: [String: String])] = []
        var text = ""
        /// The text of each <title>, with the class of the element it belongs to.
        var titles: [(owner: String?, text: String)] = []
        private var stack: [[String: String]] = []
        private var inTitle = false

        init(_ svg: String) throws {
            super.init()
            let parser = XMLParser(data: Data(svg.utf8))
            parser.delegate = self
            guard parser.parse() else { throw NSError(domain: "xml", code: 1, userInfo: [NSLocalizedDescriptionKey: "\(String(describing: parser.parserError))"]) }
        }

        func parser(_ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?, attributes: [String: String] = [:]) {
            elements.append((name, attributes))
            if name == "title" { inTitle = true; titles.append((stack.last?["class"], "")) }
            stack.append(attributes)
        }

        func parser(_ parser: XMLParser, didEndElement name: String, namespaceURI: String?, qualifiedName: String?) {
            stack.removeLast()
            text += "\n"
            if name == "title" { inTitle = false }
        }

        func parser(_ parser: XMLParser, foundCharacters string: String) {
            text += string
            if inTitle { titles[titles.count - 1].text += string }
        }

        var points: [String] { titles.filter { $0.owner == "point" }.map(\.text) }
    }

    /// A sweep-style chart (a metric against one parameter, one series per value of a second
    /// one): well-formed, with the axis titles and units, the legend, one marker per point.
    @Test func lineChartIsWellFormed() throws {
        let chart = LineChart(title: "tokens/s <by> vlen & rows",
                              x: AxisSpec(title: "vlen", unit: "lanes", scale: .log10),
                              y: AxisSpec(title: "decode", unit: "tokens/s"),
                              series: [PlotSeries(name: "rows = 16", points: [(32, 10), (64, 18), (128, 30)]),
                                       PlotSeries(name: "rows = \"32\"", points: [(32, 15), (64, 27), (128, 44)], marker: .square)],
                              notes: ["a note"])
        let svg = chart.svg()
        let parsed = try Parsed(svg)
        for fragment in ["tokens/s <by> vlen & rows", "vlen (lanes)", "decode (tokens/s)", "rows = 16", "rows = \"32\"", "a note", "1,000"] {
            #expect(parsed.text.contains(fragment), "\(fragment)")
        }
        #expect(parsed.elements.filter { $0.attributes["class"] == "point" }.count == 6)
        #expect(parsed.elements.filter { $0.attributes["class"] == "swatch" }.count == 2)
        #expect(parsed.elements.filter { $0.name == "polyline" }.count == 2)
        #expect(!svg.contains("nan") && !svg.contains("inf"))
        // Byte-identical when drawn again.
        #expect(chart.svg() == svg)
    }

    /// NaN and infinite coordinates, and values <= 0 on a log axis, are left out and counted.
    @Test func unplaceablePointsAreCounted() throws {
        let chart = LineChart(title: "t", x: AxisSpec(title: "x"), y: AxisSpec(title: "y", scale: .log10),
                              series: [PlotSeries(name: "s", points: [(1, 10), (2, .nan), (.infinity, 3), (3, 0), (4, -2), (5, 100)], style: .markers)])
        let parsed = try Parsed(chart.svg())
        #expect(parsed.elements.filter { $0.attributes["class"] == "point" }.count == 2)
        #expect(parsed.text.contains("2 points not shown: a coordinate is not a finite number"))
        #expect(parsed.text.contains("2 points not shown: zero or negative on a log axis"))
        // One series, no legend by default.
        #expect(parsed.elements.filter { $0.attributes["class"] == "swatch" }.isEmpty)
        // Nothing placeable: axes and a note, still well-formed.
        let empty = try Parsed(LineChart(title: "t", x: AxisSpec(title: "x", scale: .log10), y: AxisSpec(title: "y"),
                                         series: [PlotSeries(name: "s", points: [(0, 1)])]).svg())
        #expect(empty.text.contains("no data to show"))
    }

    /// Labels of points at the same place do not overlap.
    @Test func labelsDoNotOverlap() {
        var svg = SVGDocument(width: 400, height: 300)
        var placer = LabelPlacer(bounds: PlotRect(x: 0, y: 0, width: 400, height: 300), obstacles: [])
        for name in ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"] {
            placer.place(name, at: 200, 150, into: &svg)
        }
        let boxes = placer.placed
        #expect(boxes.count == 7)
        for i in boxes.indices { for j in boxes.indices where i < j { #expect(!boxes[i].intersects(boxes[j])) } }
    }

    @Test func barChartDrawsEveryBar() throws {
        var svg = SVGDocument(width: 500, height: 300)
        BarChart(title: "cycles", categories: ["a & b", "c"],
                 series: [.init(name: "bound", values: [10, 20]), .init(name: "above", values: [5, -1])],
                 axis: AxisSpec(title: "cycles per token", unit: "cycles")).draw(into: &svg, frame: PlotRect(x: 0, y: 0, width: 500, height: 300))
        let parsed = try Parsed(svg.render())
        // Three bars with a value (the negative one is not drawn), each with its tooltip.
        #expect(parsed.titles.map(\.text) == ["a & b: bound 10", "a & b: above 5", "c: bound 20"])
        #expect(parsed.text.contains("1 value not drawn: negative or not a finite number"))
        #expect(parsed.text.contains("cycles per token (cycles)") && parsed.text.contains("15"))
    }

    @Test func csvQuotesOnlyWhatNeedsIt() {
        let csv = CSVTable(header: ["a", "b,c"], rows: [["1", "say \"hi\""], ["x\ny", "2.5"]])
        #expect(csv.render() == "a,\"b,c\"\r\n1,\"say \"\"hi\"\"\"\r\n\"x\ny\",2.5\r\n")
        #expect(CSVTable.number(3) == "3" && CSVTable.number(-2) == "-2" && CSVTable.number(0.25) == "0.25" && CSVTable.number(.nan) == "")
        #expect(CSVTable.number(1e20) == "1e+20")
    }
}
