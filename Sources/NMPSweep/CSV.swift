/// Comma-separated values as RFC 4180 defines them (https://www.rfc-editor.org/rfc/rfc4180,
/// section 2): fields separated by commas, a field that holds a comma, a double quote, CR or
/// LF enclosed in double quotes with each double quote doubled. Records end with LF when
/// written (Unix tools and every CSV reader take it; RFC 4180 writes CRLF), and CRLF or LF
/// when read.
public enum CSV {
    /// One field as written. By Unicode scalars, not Characters: a double quote followed by a
    /// combining mark is one Character that is not `"`, but the reader sees the quote's byte.
    public static func field(_ text: String) -> String {
        guard text.unicodeScalars.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return text }
        var out = String.UnicodeScalarView()
        out.append("\"")
        for scalar in text.unicodeScalars {
            out.append(scalar)
            if scalar == "\"" { out.append(scalar) }
        }
        out.append("\"")
        return String(out)
    }

    /// One record, with its line end.
    public static func record(_ fields: [String]) -> String {
        fields.map(field).joined(separator: ",") + "\n"
    }

    /// A record as read: its fields, the line it starts on (1-based) and its bytes in the
    /// input, line end included.
    public struct Record: Sendable, Equatable {
        public let fields: [String]
        public let line: Int
        public let range: Range<Int>
    }

    /// Every complete record of `bytes`, and where the complete records end. A record is
    /// complete when its line end is there (outside quotes); what follows the last complete
    /// record (a record cut short, e.g. by a process killed while writing it) is not read.
    /// Errors name the line: a quote inside an unquoted field, text after a closing quote,
    /// bytes that are not UTF-8.
    public static func records(_ bytes: [UInt8]) throws(SweepError) -> (records: [Record], end: Int) {
        var records: [Record] = []
        var fields: [String] = []
        var field: [UInt8] = []
        var line = 1, recordLine = 1, start = 0
        var i = 0
        var quoted = false      // inside a quoted field
        var closed = false      // just after a quoted field's closing quote
        func text(_ bytes: [UInt8], _ line: Int) throws(SweepError) -> String {
            guard let text = String(validating: bytes, as: UTF8.self) else { throw SweepError("line \(line): a field is not UTF-8 text") }
            return text
        }
        while i < bytes.count {
            let byte = bytes[i]
            if quoted {
                if byte == UInt8(ascii: "\"") {
                    if i + 1 < bytes.count && bytes[i + 1] == UInt8(ascii: "\"") {
                        field.append(byte)
                        i += 2
                        continue
                    }
                    if i + 1 == bytes.count { break }  // cut short after a closing quote
                    quoted = false
                    closed = true
                } else {
                    if byte == UInt8(ascii: "\n") { line += 1 }
                    field.append(byte)
                }
                i += 1
                continue
            }
            switch byte {
            case UInt8(ascii: ","):
                fields.append(try text(field, line))
                field = []
                closed = false
            case UInt8(ascii: "\n"), UInt8(ascii: "\r"):
                if byte == UInt8(ascii: "\r") {
                    guard i + 1 < bytes.count else { return (records, start) }  // cut short between CR and LF
                    guard bytes[i + 1] == UInt8(ascii: "\n") else { throw SweepError("line \(line): a CR not followed by LF") }
                    i += 1
                }
                fields.append(try text(field, line))
                records.append(Record(fields: fields, line: recordLine, range: start..<(i + 1)))
                fields = []
                field = []
                closed = false
                line += 1
                recordLine = line
                start = i + 1
            case UInt8(ascii: "\""):
                guard field.isEmpty && !closed else { throw SweepError("line \(line): a double quote inside a field that does not start with one (RFC 4180: double it, and quote the field)") }
                quoted = true
            default:
                guard !closed else { throw SweepError("line \(line): text after the closing double quote of a field") }
                field.append(byte)
            }
            i += 1
        }
        return (records, start)
    }
}
