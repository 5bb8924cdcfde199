/// Drawing fitted axes around a plot area: grid lines, ticks, tick labels and titles; shared
/// by the line and bar charts.
extension SVGDocument {
    static let tickFont = 10.0
    static let titleFont = 11.0

    /// The room the labels of `axis` need left of a plot area (the longest label).
    static func tickLabelWidth(_ axis: Axis) -> Double {
        axis.ticks.map { tick in
            let label = axis.label(tick)
            return label.exponent.map { textWidth("10" + SVGDocument.minus($0), size: tickFont) } ?? textWidth(label.text, size: tickFont)
        }.max() ?? 0
    }

    /// The horizontal axis under `area`: vertical grid lines, ticks and labels, and its title.
    mutating func horizontalAxis(_ axis: Axis, title: String, in area: PlotRect) {
        for tick in axis.minorTicks {
            let x = area.x + axis.fraction(tick) * area.width
            line(x, area.maxY, x, area.maxY + 3, stroke: Palette.axis, width: 0.6)
        }
        for tick in axis.ticks {
            let x = area.x + axis.fraction(tick) * area.width
            line(x, area.y, x, area.maxY, stroke: Palette.grid, width: 0.8)
            line(x, area.maxY, x, area.maxY + 5, stroke: Palette.axis)
            tickLabel(axis, tick, x, area.maxY + 17, anchor: .middle)
        }
        line(area.x, area.maxY, area.maxX, area.maxY, stroke: Palette.axis)
        text(title, area.x + area.width / 2, area.maxY + 36, size: Self.titleFont, anchor: .middle)
    }

    /// The vertical axis left of `area`: horizontal grid lines, ticks and labels, and its
    /// title reading upwards at `titleX`.
    mutating func verticalAxis(_ axis: Axis, title: String, in area: PlotRect, titleX: Double) {
        for tick in axis.minorTicks {
            let y = area.maxY - axis.fraction(tick) * area.height
            line(area.x - 3, y, area.x, y, stroke: Palette.axis, width: 0.6)
        }
        for tick in axis.ticks {
            let y = area.maxY - axis.fraction(tick) * area.height
            line(area.x, y, area.maxX, y, stroke: Palette.grid, width: 0.8)
            line(area.x - 5, y, area.x, y, stroke: Palette.axis)
            tickLabel(axis, tick, area.x - 8, y + 3.5, anchor: .end)
        }
        line(area.x, area.y, area.x, area.maxY, stroke: Palette.axis)
        text(title, titleX, area.y + area.height / 2, size: Self.titleFont, anchor: .middle, rotate: -90)
    }

    private mutating func tickLabel(_ axis: Axis, _ value: Double, _ x: Double, _ y: Double, anchor: Anchor) {
        let label = axis.label(value)
        if let exponent = label.exponent {
            power(ofTen: exponent, x, y, size: Self.tickFont, anchor: anchor)
        } else {
            text(label.text, x, y, size: Self.tickFont, anchor: anchor)
        }
    }
}
