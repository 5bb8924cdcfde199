/// A horizontal bar chart: one row per category (top to bottom), each series a bar in the
/// row, either stacked end to end or side by side (grouped), on a linear value axis from 0.
///
/// Values that are negative or not finite cannot be drawn as bars: they count as 0 and a
/// note under the chart says how many.
struct BarChart {
    enum Layout { case stacked, grouped }

    struct Series {
        var name: String
        /// One value per category.
        var values: [Double]
        var color: String?
    }

    var title: String
    var categories: [String]
    var series: [Series]
    var axis: AxisSpec
    var layout: Layout = .stacked
    var notes: [String] = []
    /// The label at the end of each bar (stacked: of the row's total), from its value.
    var valueLabel: (Double) -> String = { Format.number($0, decimals: 0) }

    func color(_ index: Int) -> String { series[index].color ?? Palette.color(index) }

    /// The drawable value of series `s` in category `c` (0 for what cannot be drawn).
    private func value(_ s: Int, _ c: Int) -> Double {
        let v = c < series[s].values.count ? series[s].values[c] : 0
        return v.isFinite && v >= 0 ? v : 0
    }

    private var undrawable: Int {
        series.reduce(0) { n, s in n + s.values.filter { !($0.isFinite && $0 >= 0) }.count }
    }

    /// The length of each bar drawn in category `c`, one per bar.
    private func barEnds(_ c: Int) -> [Double] {
        switch layout {
        case .stacked: [series.indices.reduce(0) { $0 + value($1, c) }]
        case .grouped: series.indices.map { value($0, c) }
        }
    }

    func draw(into svg: inout SVGDocument, frame: PlotRect) {
        var allNotes = notes
        if undrawable > 0 { allNotes.append("\(Format.count(undrawable)) value\(undrawable == 1 ? "" : "s") not drawn: negative or not a finite number") }
        var spec = axis
        spec.includesZero = true
        spec.scale = .linear
        let ends = categories.indices.flatMap(barEnds)
        let valueAxis = Axis(spec, values: ends, target: 5)
        let legend = Legend(entries: series.count > 1 ? series.indices.map { Legend.Entry(name: series[$0].name, color: color($0), swatch: .bar) } : [])
        let titleHeight = title.isEmpty ? 8.0 : 26.0
        let labelWidth = (categories.map { SVGDocument.textWidth($0, size: 10) }.max() ?? 0) + 10
        let valueWidth = (ends.map { SVGDocument.textWidth(valueLabel($0), size: 9) }.max() ?? 0) + 8
        let left = frame.x + 8 + labelWidth
        let right = frame.maxX - 12 - valueWidth
        let legendHeight = legend.rowLayout(width: frame.width - 16).height
        let top = frame.y + titleHeight + (legendHeight > 0 ? legendHeight + 6 : 0)
        let bottom = frame.maxY - 44 - Double(allNotes.count) * 14
        let area = PlotRect(x: left, y: top, width: max(10, right - left), height: max(10, bottom - top))

        if !title.isEmpty { svg.text(title, frame.x + 8, frame.y + 17, size: 13, weight: "bold") }
        if legendHeight > 0 { legend.drawRows(into: &svg, x: frame.x + 8, y: frame.y + titleHeight, width: frame.width - 16) }
        svg.horizontalAxis(valueAxis, title: axis.label, in: area)
        let band = area.height / Double(max(1, categories.count))
        let thickness = min(band * 0.72, layout == .grouped ? 10.0 * Double(series.count) : 16)
        func x(_ v: Double) -> Double { area.x + valueAxis.fraction(v) * area.width }
        for (c, category) in categories.enumerated() {
            let top = area.y + Double(c) * band + (band - thickness) / 2
            svg.text(category, area.x - 8, area.y + (Double(c) + 0.5) * band + 3.5, size: 10, anchor: .end)
            switch layout {
            case .stacked:
                var start = 0.0
                for s in series.indices where value(s, c) > 0 {
                    let end = start + value(s, c)
                    svg.rect(PlotRect(x: x(start), y: top, width: x(end) - x(start), height: thickness), fill: color(s),
                             title: "\(category): \(series[s].name) \(valueLabel(value(s, c)))")
                    start = end
                }
                svg.text(valueLabel(start), x(start) + 4, top + thickness / 2 + 3, size: 9, fill: "#444444")
            case .grouped:
                let each = thickness / Double(max(1, series.count))
                for s in series.indices {
                    let y = top + Double(s) * each
                    svg.rect(PlotRect(x: area.x, y: y, width: x(value(s, c)) - area.x, height: each * 0.9), fill: color(s),
                             title: "\(category): \(series[s].name) \(valueLabel(value(s, c)))")
                    svg.text(valueLabel(value(s, c)), x(value(s, c)) + 4, y + each * 0.45 + 3, size: 9, fill: "#444444")
                }
            }
        }
        svg.line(area.x, area.y, area.x, area.maxY, stroke: Palette.axis)
        for (i, note) in allNotes.enumerated() {
            svg.text(note, frame.x + 8, area.maxY + 56 + Double(i) * 14, size: 10, fill: "#555555")
        }
    }
}
