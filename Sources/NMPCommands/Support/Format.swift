import Foundation

/// How every text report writes numbers, so that `run`, `layer`, `model`, `bench` and
/// `config` read the same way (README.md, "Units"):
///
/// - counts (cycles, instructions, bytes, MACs) in full with thousands separators;
/// - other quantities with a fixed number of decimals and the same separators;
/// - times with the unit that fits (ns, us, ms, s);
/// - energies in one unit per table: the largest of pJ, nJ, uJ, mJ, J in which the table's
///   total is at least 100 (`EnergyUnit.fitting`), with two decimals, so that a row down to
///   a few hundred-thousandths of the total still shows; `--json` is always pJ.
///
/// Nothing here traps: a value too large for `Int` is still written, and a value that is not
/// finite is written as "-".
enum Format {
    /// 1234567 -> "1,234,567".
    static func count(_ n: Int) -> String { grouped(String(n.magnitude), negative: n < 0) }

    /// A non-integral count (a per-token average), rounded to the nearest integer.
    static func count(_ x: Double) -> String { number(x, decimals: 0) }

    /// `x` with `decimals` decimals and a grouped integer part: 1878522.25 -> "1,878,522.2".
    static func number(_ x: Double, decimals: Int) -> String {
        guard x.isFinite else { return "-" }
        let text = String(format: "%.\(decimals)f", x.magnitude)
        let parts = text.split(separator: ".", maxSplits: 1)
        let negative = x < 0 && text.contains(where: { $0 != "0" && $0 != "." })
        let integer = grouped(String(parts[0]), negative: negative)
        return parts.count > 1 ? integer + "." + parts[1] : integer
    }

    /// "12.3 %" of `whole`, or "-" when there is no whole.
    static func percent(_ part: Double, of whole: Double) -> String {
        whole > 0 && part.isFinite ? number(part / whole * 100, decimals: 1) + " %" : "-"
    }

    static func percent(_ part: Int, of whole: Int) -> String { percent(Double(part), of: Double(whole)) }

    /// A fraction 0...1 as a percentage: 0.123 -> "12.3 %".
    static func percent(_ fraction: Double) -> String { percent(fraction, of: 1) }

    /// A ratio such as "3.55x".
    static func ratio(_ x: Double) -> String { number(x, decimals: 2) + "x" }

    /// Seconds with a readable unit.
    static func time(_ seconds: Double) -> String {
        switch seconds {
        case ..<1e-6: number(seconds * 1e9, decimals: 1) + " ns"
        case ..<1e-3: number(seconds * 1e6, decimals: 2) + " us"
        case ..<1: number(seconds * 1e3, decimals: 2) + " ms"
        default: number(seconds, decimals: 3) + " s"
        }
    }

    /// An energy given in pJ, written in `unit` with two decimals (no unit name).
    static func energy(_ picojoules: Double, in unit: EnergyUnit) -> String {
        number(picojoules / unit.picojoules, decimals: 2)
    }

    /// An energy with the unit that fits it: "637.82 pJ", "2.21 uJ".
    static func energy(_ picojoules: Double) -> String {
        let unit = EnergyUnit.fitting(picojoules)
        return energy(picojoules, in: unit) + " " + unit.rawValue
    }

    private static func grouped(_ digits: String, negative: Bool) -> String {
        var out = ""
        for (i, c) in digits.enumerated() {
            if i > 0 && (digits.count - i) % 3 == 0 { out.append(",") }
            out.append(c)
        }
        return (negative ? "-" : "") + out
    }
}

/// The units energies are printed in; a report table picks one for all its rows.
enum EnergyUnit: String, CaseIterable {
    case pJ, nJ, uJ, mJ, J

    var picojoules: Double {
        switch self {
        case .pJ: 1
        case .nJ: 1e3
        case .uJ: 1e6
        case .mJ: 1e9
        case .J: 1e12
        }
    }

    /// The largest unit in which `picojoules` is at least 100 (pJ for anything smaller).
    static func fitting(_ picojoules: Double) -> EnergyUnit {
        allCases.last { picojoules.magnitude >= 100 * $0.picojoules } ?? .pJ
    }
}
