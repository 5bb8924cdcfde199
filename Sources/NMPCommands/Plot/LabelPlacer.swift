/// Places point labels so that they overlap neither each other nor the markers: for each
/// label, in the order given, the first free spot among right of the point, left, above,
/// below, then further up and down on either side (with a leader line back to the point).
/// A label with no free spot inside the plot area goes right of its point.
struct LabelPlacer {
    let bounds: PlotRect
    private var taken: [PlotRect]
    /// The labels' boxes so far, in order.
    private(set) var placed: [PlotRect] = []

    static let font = 10.0
    static let height = 12.0

    init(bounds: PlotRect, obstacles: [PlotRect]) {
        self.bounds = bounds
        taken = obstacles
    }

    /// The label's box at each candidate spot, nearest first, and whether it needs a leader.
    static func candidates(width w: Double, at px: Double, _ py: Double) -> [(PlotRect, leader: Bool)] {
        let h = height
        func right(_ dy: Double) -> PlotRect { PlotRect(x: px + 7, y: py - h / 2 + dy, width: w, height: h) }
        func left(_ dy: Double) -> PlotRect { PlotRect(x: px - 7 - w, y: py - h / 2 + dy, width: w, height: h) }
        var spots: [(PlotRect, leader: Bool)] = [
            (right(0), false), (left(0), false),
            (PlotRect(x: px - w / 2, y: py - 6 - h, width: w, height: h), false),
            (PlotRect(x: px - w / 2, y: py + 6, width: w, height: h), false),
        ]
        for k in 1...12 {
            let dy = Double(k) * h
            spots += [(right(-dy), true), (right(dy), true), (left(-dy), true), (left(dy), true)]
        }
        return spots
    }

    /// Writes `text` near (px, py) and remembers the box it takes.
    mutating func place(_ text: String, at px: Double, _ py: Double, into svg: inout SVGDocument) {
        let width = SVGDocument.textWidth(text, size: Self.font)
        let spots = Self.candidates(width: width, at: px, py)
        let chosen = spots.first { spot in bounds.contains(spot.0) && !taken.contains { $0.intersects(spot.0) } } ?? spots[0]
        let box = chosen.0
        taken.append(box)
        placed.append(box)
        if chosen.leader {
            let edge = box.x > px ? box.x - 1 : box.maxX + 1
            svg.line(px, py, edge, box.y + box.height / 2, stroke: "#999999", width: 0.6)
        }
        svg.text(text, box.x, box.maxY - 2.5, size: Self.font, fill: "#222222")
    }
}
