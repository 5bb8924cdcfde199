import Foundation

/// A named series of (x, y) points for a `LineChart`.
public struct PlotSeries: Sendable {
    public enum Style: Sendable { case line, markers, lineAndMarkers }

    public var name: String
    public var points: [(x: Double, y: Double)]
    public var style: Style
    public var marker: MarkerShape
    /// A colour (`#rrggbb`); nil takes the palette's next one.
    public var color: String?
    /// SVG `stroke-dasharray` of the line ("6 3"), nil for a solid line.
    public var dash: String?
    /// A label written next to each point (same count as `points`), or nil.
    public var labels: [String]?
    /// A tooltip per point (shown by browsers on hover), or nil.
    public var tooltips: [String]?

    public init(name: String, points: [(x: Double, y: Double)], style: Style = .lineAndMarkers, marker: MarkerShape = .circle,
                color: String? = nil, dash: String? = nil, labels: [String]? = nil, tooltips: [String]? = nil) {
        self.name = name
        self.points = points
        self.style = style
        self.marker = marker
        self.color = color
        self.dash = dash
        self.labels = labels
        self.tooltips = tooltips
    }
}

/// A line or scatter chart: named series of (x, y) points on linear or log10 axes with
/// titles and units, a legend, and notes under it.
///
/// Points that cannot be placed are left out and counted in a note under the chart, never
/// drawn at a wrong place: coordinates that are NaN or infinite, and values <= 0 on a log
/// axis. Lines join the remaining points of a series in the order given.
///
/// A metric against one swept parameter, one series per value of a second one:
///
///     let chart = LineChart(title: "Decode speed",
///                           x: AxisSpec(title: "vlen", unit: "lanes", scale: .log10),
///                           y: AxisSpec(title: "decode", unit: "tokens/s", includesZero: true),
///                           series: [PlotSeries(name: "rows = 16", points: [(32, 10), (64, 18)]),
///                                    PlotSeries(name: "rows = 32", points: [(32, 15), (64, 27)], marker: .square)])
///     try Files.writeAtomically(Array(chart.svg().utf8), to: path)
public struct LineChart: Sendable {
    public var title: String
    public var x: AxisSpec
    public var y: AxisSpec
    public var series: [PlotSeries]
    /// Lines of text under the chart (what the reader needs to know: sources, conventions).
    public var notes: [String]
    /// Whether the legend is drawn (right of the plot area); by default when there is more
    /// than one series.
    public var showsLegend: Bool?
    /// Where the legend goes: right of the plot area, or in rows above it (for long names).
    public var legendPosition: LegendPosition

    public enum LegendPosition: Sendable { case right, top }

    public init(title: String, x: AxisSpec, y: AxisSpec, series: [PlotSeries], notes: [String] = [], showsLegend: Bool? = nil,
                legendPosition: LegendPosition = .right) {
        self.title = title
        self.x = x
        self.y = y
        self.series = series
        self.notes = notes
        self.showsLegend = showsLegend
        self.legendPosition = legendPosition
    }

    /// The chart alone as an SVG document of `width` x `height` pixels.
    public func svg(width: Double = 720, height: Double = 460) -> String {
        var document = SVGDocument(width: width, height: height)
        draw(into: &document, frame: PlotRect(x: 0, y: 0, width: width, height: height))
        return document.render()
    }

    /// The points that can be placed, per series, and the count of those that cannot.
    func placeable() -> (series: [[(point: (x: Double, y: Double), index: Int)]], notFinite: Int, notPositive: Int) {
        var notFinite = 0, notPositive = 0
        let kept = series.map { s in
            s.points.enumerated().compactMap { i, p -> (point: (x: Double, y: Double), index: Int)? in
                guard p.x.isFinite, p.y.isFinite else { notFinite += 1; return nil }
                guard x.accepts(p.x), y.accepts(p.y) else { notPositive += 1; return nil }
                return (p, i)
            }
        }
        return (kept, notFinite, notPositive)
    }

    func color(_ index: Int) -> String { series[index].color ?? Palette.color(index) }

    /// Draws the chart inside `frame` of `svg`.
    public func draw(into svg: inout SVGDocument, frame: PlotRect) {
        let (kept, notFinite, notPositive) = placeable()
        let xAxis = Axis(x, values: kept.flatMap { $0.map(\.point.x) })
        let yAxis = Axis(y, values: kept.flatMap { $0.map(\.point.y) })
        var allNotes = notes
        if notFinite > 0 { allNotes.append("\(Format.count(notFinite)) point\(notFinite == 1 ? "" : "s") not shown: a coordinate is not a finite number") }
        if notPositive > 0 { allNotes.append("\(Format.count(notPositive)) point\(notPositive == 1 ? "" : "s") not shown: zero or negative on a log axis") }
        if kept.allSatisfy(\.isEmpty) { allNotes.append("no data to show") }

        let legend = Legend(entries: (showsLegend ?? (series.count > 1)) ? series.indices.map { i in
            let s = series[i]
            let swatch: Legend.Swatch = switch s.style {
            case .line: .line(dash: s.dash)
            case .markers: .marker(s.marker)
            case .lineAndMarkers: .lineAndMarker(s.marker, dash: s.dash)
            }
            return Legend.Entry(name: s.name, color: color(i), swatch: swatch)
        } : [])
        let onRight = legendPosition == .right && !legend.entries.isEmpty
        let legendRows = legendPosition == .top ? legend.rowLayout(width: frame.width - 16).height : 0
        let titleHeight = (title.isEmpty ? 8.0 : 28.0) + (legendRows > 0 ? legendRows + 8 : 0)
        let left = frame.x + 24 + SVGDocument.tickLabelWidth(yAxis) + 10
        let right = frame.maxX - (onRight ? legend.width + 24 : 16)
        let bottom = frame.maxY - 44 - Double(allNotes.count) * 14
        let area = PlotRect(x: left, y: frame.y + titleHeight, width: max(10, right - left), height: max(10, bottom - frame.y - titleHeight))

        if !title.isEmpty { svg.text(title, frame.x + 8, frame.y + 17, size: 13, weight: "bold") }
        svg.horizontalAxis(xAxis, title: x.label, in: area)
        svg.verticalAxis(yAxis, title: y.label, in: area, titleX: frame.x + 14)
        svg.line(area.x, area.y, area.maxX, area.y, stroke: Palette.grid)
        svg.line(area.maxX, area.y, area.maxX, area.maxY, stroke: Palette.grid)

        func position(_ p: (x: Double, y: Double)) -> (Double, Double) {
            (area.x + xAxis.fraction(p.x) * area.width, area.maxY - yAxis.fraction(p.y) * area.height)
        }
        for (i, s) in series.enumerated() where s.style != .markers {
            svg.polyline(kept[i].map { position($0.point) }, stroke: color(i), width: 1.8, dash: s.dash)
        }
        var markers: [PlotRect] = []
        for (i, s) in series.enumerated() where s.style != .line {
            for (point, index) in kept[i] {
                let (px, py) = position(point)
                svg.marker(s.marker, px, py, fill: color(i), title: s.tooltips?[index] ?? s.labels?[index])
                markers.append(PlotRect(x: px - 4, y: py - 4, width: 8, height: 8))
            }
        }
        var placer = LabelPlacer(bounds: area, obstacles: markers)
        for (i, s) in series.enumerated() {
            guard let labels = s.labels else { continue }
            for (point, index) in kept[i] where index < labels.count && !labels[index].isEmpty {
                let (px, py) = position(point)
                placer.place(labels[index], at: px, py, into: &svg)
            }
        }
        if onRight { legend.draw(into: &svg, x: area.maxX + 14, y: area.y) }
        if legendRows > 0 { legend.drawRows(into: &svg, x: frame.x + 8, y: frame.y + (title.isEmpty ? 4 : 26), width: frame.width - 16) }
        for (i, note) in allNotes.enumerated() {
            svg.text(note, frame.x + 8, area.maxY + 56 + Double(i) * 14, size: 10, fill: "#555555")
        }
    }
}
