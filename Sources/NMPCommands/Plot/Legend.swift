/// A chart's legend: one line per entry, a swatch (line, marker or bar) and its name.
struct Legend {
    enum Swatch {
        case line(dash: String?)
        case marker(MarkerShape)
        case lineAndMarker(MarkerShape, dash: String?)
        case bar
    }

    struct Entry {
        var name: String
        var color: String
        var swatch: Swatch
    }

    var entries: [Entry]

    static let font = 10.0
    static let lineHeight = 15.0
    static let swatchWidth = 22.0

    var width: Double {
        entries.isEmpty ? 0 : (entries.map { SVGDocument.textWidth($0.name, size: Self.font) }.max() ?? 0) + Self.swatchWidth + 6
    }

    var height: Double { Double(entries.count) * Self.lineHeight }

    /// Draws the entries downwards from (x, y), the top left corner.
    func draw(into svg: inout SVGDocument, x: Double, y: Double) {
        for (i, entry) in entries.enumerated() {
            draw(entry, into: &svg, x: x, middle: y + Double(i) * Self.lineHeight + Self.lineHeight / 2)
        }
    }

    /// Where each entry goes when the entries run in rows of at most `width` from (0, 0).
    func rowLayout(width: Double) -> (origins: [(x: Double, y: Double)], height: Double) {
        var origins: [(x: Double, y: Double)] = []
        var x = 0.0, y = 0.0
        for entry in entries {
            let w = Self.swatchWidth + SVGDocument.textWidth(entry.name, size: Self.font) + 16
            if x > 0 && x + w > width { x = 0; y += Self.lineHeight }
            origins.append((x, y))
            x += w
        }
        return (origins, entries.isEmpty ? 0 : y + Self.lineHeight)
    }

    /// Draws the entries in rows of at most `width` from (x, y).
    func drawRows(into svg: inout SVGDocument, x: Double, y: Double, width: Double) {
        for (entry, origin) in zip(entries, rowLayout(width: width).origins) {
            draw(entry, into: &svg, x: x + origin.x, middle: y + origin.y + Self.lineHeight / 2)
        }
    }

    private func draw(_ entry: Entry, into svg: inout SVGDocument, x: Double, middle: Double) {
        switch entry.swatch {
        case .line(let dash):
            svg.line(x, middle, x + Self.swatchWidth - 4, middle, stroke: entry.color, width: 2, dash: dash)
        case .marker(let shape):
            svg.marker(shape, x + (Self.swatchWidth - 4) / 2, middle, size: 3.5, fill: entry.color, cssClass: "swatch")
        case .lineAndMarker(let shape, let dash):
            svg.line(x, middle, x + Self.swatchWidth - 4, middle, stroke: entry.color, width: 1.5, dash: dash)
            svg.marker(shape, x + (Self.swatchWidth - 4) / 2, middle, size: 3.5, fill: entry.color, cssClass: "swatch")
        case .bar:
            svg.rect(PlotRect(x: x, y: middle - 5, width: Self.swatchWidth - 4, height: 10), fill: entry.color)
        }
        svg.text(entry.name, x + Self.swatchWidth, middle + 3.5, size: Self.font)
    }
}
