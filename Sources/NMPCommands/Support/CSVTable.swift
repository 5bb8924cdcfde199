import NMPSweep

/// A whole table as comma-separated values (RFC 4180, https://www.rfc-editor.org/rfc/rfc4180):
/// a header row, CRLF line ends, and fields quoted as `CSV.field` quotes them (only when they
/// hold a comma, a quote or a line break); so that spreadsheets and pandas read the file as it
/// is. `CSV` (NMPSweep) writes and reads the sweep's line-at-a-time files.
struct CSVTable {
    var header: [String]
    var rows: [[String]] = []

    func render() -> String {
        ([header] + rows).map { $0.map(CSV.field).joined(separator: ",") + "\r\n" }.joined()
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
