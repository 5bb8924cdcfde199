import Foundation

/// How an axis maps values to positions.
public enum AxisScale: Sendable {
    case linear
    /// Decades equally spaced; values <= 0 cannot be placed and are left out (the chart
    /// says how many).
    case log10
}

/// What an axis shows: its title, unit and scale, and optionally a fixed range.
public struct AxisSpec: Sendable {
    public var title: String
    /// Written after the title in parentheses: "cycles per token (cycles)".
    public var unit: String?
    public var scale: AxisScale
    /// A range to show instead of one fitted to the data (widened to whole ticks).
    public var range: ClosedRange<Double>?
    /// Whether a linear axis fitted to the data reaches down (or up) to zero.
    public var includesZero: Bool
    /// Labelled ticks at exactly these values (a sweep's parameter values: 32, 64, 128),
    /// instead of 1-2-5 steps or decades; the axis then spans them and the data with a
    /// margin of 5 %, and `range` and `includesZero` do not apply.
    public var ticks: [Double]?

    public init(title: String, unit: String? = nil, scale: AxisScale = .linear, range: ClosedRange<Double>? = nil, includesZero: Bool = false,
                ticks: [Double]? = nil) {
        self.title = title
        self.unit = unit
        self.scale = scale
        self.range = range
        self.includesZero = includesZero
        self.ticks = ticks
    }

    /// The title with its unit: "energy per token (uJ)".
    var label: String { unit.map { "\(title) (\($0))" } ?? title }

    /// Whether `value` can be placed on this axis.
    func accepts(_ value: Double) -> Bool { value.isFinite && (scale == .linear || value > 0) }
}

/// A fitted axis: its domain (whole ticks at both ends) and its labelled ticks.
struct Axis {
    let scale: AxisScale
    let lower: Double
    let upper: Double
    /// Labelled tick values, ascending.
    let ticks: [Double]
    /// Unlabelled ticks between them (log axes: 2 ... 9 times each decade, when they fit).
    let minorTicks: [Double]
    /// Decimals of the linear (or given) tick labels.
    private let decimals: Int
    /// The ticks were given (`AxisSpec.ticks`): labels are plain numbers on either scale.
    private let given: Bool

    /// About `target` labelled ticks over `values` (those the scale accepts; the caller
    /// filters), or over `range` when given.
    init(_ spec: AxisSpec, values: [Double], target: Int = 6) {
        scale = spec.scale
        let accepted = values.filter(spec.accepts)
        let chosen = Array(Set((spec.ticks ?? []).filter { spec.accepts($0) && $0.magnitude <= 1e300 && $0.magnitude >= 1e-300 })).sorted()
        given = !chosen.isEmpty
        if let first = chosen.first, let last = chosen.last {
            let log = spec.scale == .log10
            func t(_ v: Double) -> Double { log ? log10(v) : v }
            let inRange = accepted.filter { $0.magnitude <= 1e300 && (!log || $0 >= 1e-300) }
            let lo = t(min(first, inRange.min() ?? first)), hi = t(max(last, inRange.max() ?? last))
            let pad = hi > lo ? (hi - lo) * 0.05 : (log ? 0.5 : max(1, lo.magnitude / 2))
            lower = log ? pow(10, lo - pad) : lo - pad
            upper = log ? pow(10, hi + pad) : hi + pad
            ticks = chosen
            minorTicks = []
            decimals = (0...6).first { d in
                let scale = pow(10, Double(d))
                return chosen.allSatisfy { (($0 * scale).rounded() / scale - $0).magnitude <= 1e-9 * max(1, $0.magnitude) }
            } ?? 6
            return
        }
        var low = accepted.min(), high = accepted.max()
        if let range = spec.range, spec.accepts(range.lowerBound), spec.accepts(range.upperBound) {
            low = range.lowerBound
            high = range.upperBound
        }
        switch spec.scale {
        case .linear:
            // Beyond 10^300 a span or a step could overflow; no chart needs such values.
            var lo = max(low ?? 0, -1e300), hi = min(high ?? 1, 1e300)
            if spec.includesZero { lo = min(lo, 0); hi = max(hi, 0) }
            if lo == hi {
                // One value (or all equal): a range around it (0...1 for zero).
                let half = lo == 0 ? 1 : lo.magnitude / 2
                if lo == 0 { hi = 1 } else { lo -= half; hi += half }
                if spec.includesZero { lo = min(lo, 0); hi = max(hi, 0) }
            }
            // A step of at least 10^-12 of the values' magnitude, so that tick indices stay
            // exact integers (a span far below the values' precision gets a few ticks).
            let resolution = Self.niceStep(max(lo.magnitude, hi.magnitude) * 1e-12)
            let step = max(Self.niceStep((hi - lo) / Double(max(1, target - 1))), resolution)
            let first = (lo / step).rounded(.down), last = (hi / step).rounded(.up)
            lower = first * step
            upper = last * step
            ticks = (0...Int(last - first)).map { i in
                let value = (first + Double(i)) * step
                return value.magnitude < step * 1e-9 ? 0 : value
            }
            minorTicks = []
            decimals = max(0, -Int((log10(step)).rounded(.down)))
        case .log10:
            // Decades 10^-300 ... 10^300: beyond them a power of ten is 0 or infinite.
            let lo = max(-300, min(299, (log10(low ?? 1)).rounded(.down)))
            let hi = min(300, max((log10(high ?? 10)).rounded(.up), lo + 1))
            lower = pow(10, lo)
            upper = pow(10, hi)
            let first = Int(lo), last = Int(hi)
            let decades = last - first
            // At most about `target` labels: every k-th decade.
            let every = max(1, Int((Double(decades) / Double(max(1, target - 1))).rounded(.up)))
            var labelled: [Double] = [], minor: [Double] = []
            for d in first...last {
                let decade = pow(10, Double(d))
                if (d - first) % every == 0 { labelled.append(decade) } else { minor.append(decade) }
                if decades <= 6 && d < last {
                    for k in 2...9 { minor.append(Double(k) * decade) }
                }
            }
            ticks = labelled
            minorTicks = minor
            decimals = 0
        }
    }

    /// The "nice" step nearest above `raw`: 1, 2 or 5 times a power of ten.
    static func niceStep(_ raw: Double) -> Double {
        guard raw > 0, raw.isFinite else { return 1 }
        let magnitude = pow(10, (log10(raw)).rounded(.down))
        let fraction = raw / magnitude
        let nice: Double = fraction <= 1 + 1e-9 ? 1 : fraction <= 2 + 1e-9 ? 2 : fraction <= 5 + 1e-9 ? 5 : 10
        return nice * magnitude
    }

    /// Where `value` sits, 0 at `lower` to 1 at `upper` (outside for values outside).
    func fraction(_ value: Double) -> Double {
        switch scale {
        case .linear: (value - lower) / (upper - lower)
        case .log10: (log10(value) - log10(lower)) / (log10(upper) - log10(lower))
        }
    }

    /// A tick's label as the README writes numbers: thousands separators, a fixed number of
    /// decimals per axis; decades beyond 10^6 or below 10^-4 as powers of ten (`exponent`).
    func label(_ value: Double) -> (text: String, exponent: Int?) {
        if given { return (Format.number(value, decimals: decimals), nil) }
        switch scale {
        case .linear:
            return (Format.number(value, decimals: decimals), nil)
        case .log10:
            let e = Int(log10(value).rounded())
            if e > 6 || e < -4 { return ("10^\(e)", e) }
            return (Format.number(value, decimals: max(0, -e)), nil)
        }
    }
}
