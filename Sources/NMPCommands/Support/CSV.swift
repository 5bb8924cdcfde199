import Foundation

/// Comma-separated values as RFC 4180 writes them: a header row, CRLF line ends, and a field
/// quoted (its quotes doubled) only when it holds a comma, a quote or a line break; so that
/// spreadsheets and pandas read the file as it is.
struct CSV {
    var header: [String]
    var rows: [[String]] = []

    func render() -> String {
        ([header] + rows).map { $0.map(Self.field).joined(separator: ",") + "\r\n" }.joined()
    }

    static func field(_ text: String) -> String {
        guard text.contains(where: { $0 == "," || $0 == "\"" || $0 == "\r" || $0 == "\n" || $0 == "\r\n" }) else { return text }
        return "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }

    /// A number as a plain field: no thousands separators, integers without a fraction,
    /// others in the shortest form that reads back as the same Double (Swift's
    /// `description`, deterministic in every process); empty when not finite.
    static func number(_ x: Double) -> String {
        guard x.isFinite else { return "" }
        if x == x.rounded(), x.magnitude < 1e15 { return String(Int64(x)) }
        return "\(x)"
    }
}
