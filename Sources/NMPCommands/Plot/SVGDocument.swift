import Foundation

/// A rectangle in SVG user units (pixels), y growing downwards.
public struct PlotRect: Equatable, Sendable {
    public var x: Double, y: Double, width: Double, height: Double

    public init(x: Double, y: Double, width: Double, height: Double) {
        self.x = x
        self.y = y
        self.width = width
        self.height = height
    }

    var maxX: Double { x + width }
    var maxY: Double { y + height }

    func intersects(_ other: PlotRect) -> Bool {
        x < other.maxX && other.x < maxX && y < other.maxY && other.y < maxY
    }

    func contains(_ other: PlotRect) -> Bool {
        other.x >= x && other.maxX <= maxX && other.y >= y && other.maxY <= maxY
    }
}

/// An SVG 1.1 document built element by element, written by nmp itself (no dependency).
///
/// Deterministic: coordinates are written with at most two decimals by one formatter, text
/// is escaped for XML (`&`, `<`, `>`, both quotes), and elements come out in the order they
/// were added. Fonts are generic (`sans-serif`), so text widths are estimated, not measured
/// (`textWidth`): layouts leave room for the widest glyphs.
public struct SVGDocument {
    public let width: Double
    public let height: Double
    private var body: [String] = []

    public init(width: Double, height: Double) {
        self.width = width
        self.height = height
    }

    /// The whole document, with an XML declaration and a white background.
    public func render() -> String {
        var out = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
        out += "<svg xmlns=\"http://www.w3.org/2000/svg\" version=\"1.1\" width=\"\(Self.number(width))\" height=\"\(Self.number(height))\" "
            + "viewBox=\"0 0 \(Self.number(width)) \(Self.number(height))\" font-family=\"DejaVu Sans, Helvetica, Arial, sans-serif\">\n"
        out += "<rect x=\"0\" y=\"0\" width=\"\(Self.number(width))\" height=\"\(Self.number(height))\" fill=\"#ffffff\"/>\n"
        for element in body { out += element + "\n" }
        return out + "</svg>\n"
    }

    // MARK: Elements

    public mutating func line(_ x1: Double, _ y1: Double, _ x2: Double, _ y2: Double, stroke: String, width: Double = 1, dash: String? = nil) {
        body.append("<line x1=\"\(Self.number(x1))\" y1=\"\(Self.number(y1))\" x2=\"\(Self.number(x2))\" y2=\"\(Self.number(y2))\" "
            + "stroke=\"\(stroke)\" stroke-width=\"\(Self.number(width))\"" + (dash.map { " stroke-dasharray=\"\($0)\"" } ?? "") + "/>")
    }

    public mutating func rect(_ r: PlotRect, fill: String, stroke: String? = nil, title: String? = nil) {
        let open = "<rect x=\"\(Self.number(r.x))\" y=\"\(Self.number(r.y))\" width=\"\(Self.number(max(0, r.width)))\" height=\"\(Self.number(max(0, r.height)))\" "
            + "fill=\"\(fill)\"" + (stroke.map { " stroke=\"\($0)\" stroke-width=\"1\"" } ?? "")
        body.append(title.map { open + "><title>\(Self.escape($0))</title></rect>" } ?? open + "/>")
    }

    /// An open polyline through `points` (no fill).
    public mutating func polyline(_ points: [(Double, Double)], stroke: String, width: Double = 1.5, dash: String? = nil) {
        guard points.count >= 2 else { return }
        let list = points.map { "\(Self.number($0.0)),\(Self.number($0.1))" }.joined(separator: " ")
        body.append("<polyline points=\"\(list)\" fill=\"none\" stroke=\"\(stroke)\" stroke-width=\"\(Self.number(width))\" stroke-linejoin=\"round\""
            + (dash.map { " stroke-dasharray=\"\($0)\"" } ?? "") + "/>")
    }

    /// A marker of `shape` centred on (x, y); `title` becomes a tooltip in browsers.
    /// Data points have class "point", legend swatches "swatch" (so a reader can count them).
    public mutating func marker(_ shape: MarkerShape, _ x: Double, _ y: Double, size: Double = 4, fill: String, title: String? = nil,
                                cssClass: String = "point") {
        let tail = title.map { "><title>\(Self.escape($0))</title></\(shape.element)>" } ?? "/>"
        let style = "fill=\"\(fill)\" stroke=\"#ffffff\" stroke-width=\"0.8\" class=\"\(cssClass)\""
        switch shape {
        case .circle:
            body.append("<circle cx=\"\(Self.number(x))\" cy=\"\(Self.number(y))\" r=\"\(Self.number(size))\" \(style)" + tail)
        case .square:
            body.append("<rect x=\"\(Self.number(x - size))\" y=\"\(Self.number(y - size))\" width=\"\(Self.number(2 * size))\" height=\"\(Self.number(2 * size))\" \(style)" + tail)
        case .diamond, .triangle:
            let s = size * 1.25
            let points: [(Double, Double)] = shape == .diamond
                ? [(x, y - s), (x + s, y), (x, y + s), (x - s, y)]
                : [(x, y - s), (x + s, y + s * 0.8), (x - s, y + s * 0.8)]
            let list = points.map { "\(Self.number($0.0)),\(Self.number($0.1))" }.joined(separator: " ")
            body.append("<polygon points=\"\(list)\" \(style)" + tail)
        }
    }

    public enum Anchor: String { case start, middle, end }

    /// Text whose baseline starts (or is centred, or ends) at (x, y); `rotate` turns it
    /// about that point in degrees (-90: reading upwards).
    public mutating func text(_ content: String, _ x: Double, _ y: Double, size: Double = 11, anchor: Anchor = .start,
                              weight: String? = nil, fill: String = "#222222", rotate: Double? = nil) {
        var attributes = "x=\"\(Self.number(x))\" y=\"\(Self.number(y))\" font-size=\"\(Self.number(size))\" fill=\"\(fill)\""
        if anchor != .start { attributes += " text-anchor=\"\(anchor.rawValue)\"" }
        if let weight { attributes += " font-weight=\"\(weight)\"" }
        if let rotate { attributes += " transform=\"rotate(\(Self.number(rotate)) \(Self.number(x)) \(Self.number(y)))\"" }
        body.append("<text \(attributes)>\(Self.escape(content))</text>")
    }

    /// "10" with a superscript exponent: the tick label of a decade far from 1.
    mutating func power(ofTen exponent: Int, _ x: Double, _ y: Double, size: Double, anchor: Anchor) {
        let a = anchor == .start ? "" : " text-anchor=\"\(anchor.rawValue)\""
        body.append("<text x=\"\(Self.number(x))\" y=\"\(Self.number(y))\" font-size=\"\(Self.number(size))\" fill=\"#222222\"\(a)>10"
            + "<tspan dy=\"\(Self.number(-size * 0.4))\" font-size=\"\(Self.number(size * 0.75))\">\(Self.escape(Self.minus(exponent)))</tspan></text>")
    }

    // MARK: Helpers

    /// A coordinate or size: at most two decimals, no trailing zeros, never "-0" and never
    /// "nan" (a value that is not finite is written as 0: callers drop such points first).
    static func number(_ x: Double) -> String {
        guard x.isFinite else { return "0" }
        var text = String(format: "%.2f", x)
        while text.hasSuffix("0") { text.removeLast() }
        if text.hasSuffix(".") { text.removeLast() }
        return text == "-0" ? "0" : text
    }

    /// An integer with a true minus sign for display.
    static func minus(_ n: Int) -> String { n < 0 ? "\u{2212}\(-n)" : "\(n)" }

    /// `text` safe inside an XML element or a double- or single-quoted attribute.
    public static func escape(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for c in text.unicodeScalars {
            switch c {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&apos;"
            // Control characters other than tab and newline are not allowed in XML 1.0.
            case "\u{0}"..."\u{8}", "\u{B}", "\u{C}", "\u{E}"..."\u{1F}", "\u{FFFE}", "\u{FFFF}": out += "\u{FFFD}"
            default: out.unicodeScalars.append(c)
            }
        }
        return out
    }

    /// The estimated width of `text` at `size` px in a sans-serif font: 0.6 em per
    /// character, a little wider than DejaVu Sans' average, so that reserved room suffices.
    static func textWidth(_ text: String, size: Double) -> Double { Double(text.count) * size * 0.6 }
}

/// The shape of a data point's marker.
public enum MarkerShape: Sendable {
    case circle, square, diamond, triangle

    var element: String {
        switch self {
        case .circle: "circle"
        case .square: "rect"
        case .diamond, .triangle: "polygon"
        }
    }
}

/// Colours that stay apart for colour-blind readers (Okabe and Ito's palette, 2008), in the
/// order series take them.
enum Palette {
    static let colors = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000", "#F0E442"]
    static func color(_ index: Int) -> String { colors[index % colors.count] }
    static let axis = "#444444"
    static let grid = "#e4e4e4"
}
