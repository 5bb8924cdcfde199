import Foundation

/// A JSON value with ordered object keys, for reports whose field order is part of their
/// readability (Foundation's encoders sort or scramble keys).
indirect enum JSONValue {
    case int(Int)
    case number(Double)
    case string(String)
    case bool(Bool)
    case null
    case array([JSONValue])
    case object([(String, JSONValue)])
    /// Already-rendered JSON, re-indented into place.
    case raw(String)

    /// Pretty-printed text, two spaces per level.
    func render(indent: Int = 0) -> String {
        let pad = String(repeating: "  ", count: indent + 1), close = String(repeating: "  ", count: indent)
        switch self {
        case .int(let n): return String(n)
        case .number(let x):
            guard x.isFinite else { return "null" }
            if x == x.rounded() && abs(x) < 1e15 { return String(Int64(x)) }
            return String(x)
        case .string(let s): return Self.quote(s)
        case .bool(let b): return b ? "true" : "false"
        case .null: return "null"
        case .array(let items):
            guard !items.isEmpty else { return "[]" }
            return "[\n" + items.map { pad + $0.render(indent: indent + 1) }.joined(separator: ",\n") + "\n" + close + "]"
        case .object(let fields):
            guard !fields.isEmpty else { return "{}" }
            return "{\n" + fields.map { pad + Self.quote($0.0) + ": " + $0.1.render(indent: indent + 1) }.joined(separator: ",\n")
                + "\n" + close + "}"
        case .raw(let text):
            return text.split(separator: "\n", omittingEmptySubsequences: false).enumerated()
                .map { $0.offset == 0 ? String($0.element) : close + $0.element }.joined(separator: "\n")
        }
    }

    /// The same value on one line, without spaces between tokens (JSON Lines records).
    func compact() -> String {
        switch self {
        case .array(let items): return "[" + items.map { $0.compact() }.joined(separator: ",") + "]"
        case .object(let fields): return "{" + fields.map { Self.quote($0.0) + ":" + $0.1.compact() }.joined(separator: ",") + "}"
        case .raw(let text):
            // JSON text has line breaks only between tokens (never inside a string), so
            // dropping them with the next line's indentation keeps the same document.
            return text.split(separator: "\n").map { String($0.drop { $0 == " " }) }.joined()
        default: return render()
        }
    }

    /// The member at `path` (object keys, outermost first), or nil.
    func member(_ path: [String]) -> JSONValue? {
        guard let first = path.first else { return self }
        guard case .object(let fields) = self, let value = fields.first(where: { $0.0 == first })?.1 else { return nil }
        return value.member(Array(path.dropFirst()))
    }

    static func quote(_ s: String) -> String {
        var out = "\""
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where scalar.value < 0x20: out += String(format: "\\u%04x", scalar.value)
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }
}
