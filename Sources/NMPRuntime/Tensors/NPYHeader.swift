/// A Python literal, as far as `.npy` headers use them. numpy reads a header with
/// `ast.literal_eval`; this is the subset that can matter: strings, integers, other
/// numbers (kept as written, only to be reported), `True`/`False`/`None`, tuples, lists
/// and dicts.
indirect enum PyLiteral: Equatable {
    case string(String)
    /// An integer as written (sign, digits) and its value, nil when it does not fit `Int`.
    case integer(text: String, value: Int?)
    /// Any other number (`2.5`, `1e3`, `3j`), as written.
    case number(String)
    case bool(Bool)
    case none
    case tuple([PyLiteral])
    case list([PyLiteral])
    case dict([DictEntry])

    struct DictEntry: Equatable {
        var key: PyLiteral
        var value: PyLiteral
        /// Byte offset of the key inside the header text.
        var offset: Int
    }

    /// Python's `repr` of the value (close enough for messages), at most `limit` characters.
    func repr(limit: Int = 60) -> String {
        let full = reprFull()
        guard full.count > limit else { return full }
        return String(full.prefix(limit - 3)) + "..."
    }

    private func reprFull() -> String {
        switch self {
        case .string(let s):
            var out = "'"
            for scalar in s.unicodeScalars {
                switch scalar {
                case "\\": out += "\\\\"
                case "'": out += "\\'"
                case "\n": out += "\\n"
                case "\t": out += "\\t"
                case "\r": out += "\\r"
                default:
                    // Control characters, C1 controls, no-break space and soft hyphen, as Python escapes them.
                    if scalar.value < 0x20 || (0x7F...0xA0).contains(scalar.value) || scalar.value == 0xAD {
                        let hex = String(scalar.value, radix: 16)
                        out += "\\x" + (hex.count < 2 ? "0" : "") + hex
                    } else {
                        out.unicodeScalars.append(scalar)
                    }
                }
            }
            return out + "'"
        case .integer(let text, _): return text
        case .number(let text): return text
        case .bool(let b): return b ? "True" : "False"
        case .none: return "None"
        case .tuple(let items):
            if items.count == 1 { return "(" + items[0].reprFull() + ",)" }
            return "(" + items.map { $0.reprFull() }.joined(separator: ", ") + ")"
        case .list(let items):
            return "[" + items.map { $0.reprFull() }.joined(separator: ", ") + "]"
        case .dict(let entries):
            return "{" + entries.map { $0.key.reprFull() + ": " + $0.value.reprFull() }.joined(separator: ", ") + "}"
        }
    }
}

/// Why a header is not a Python literal: what was found, at which byte of the header.
struct PyLiteralSyntaxError: Error {
    var offset: Int
    var message: String
}

/// A recursive-descent reader of one Python literal from header bytes. It never reads
/// outside `bytes`, limits nesting, and fails with the offending byte offset.
struct PyLiteralParser {
    private let bytes: [UInt8]
    /// Decode string contents as UTF-8 (version 3.0) rather than latin-1 (1.0, 2.0).
    private let utf8: Bool
    private var position = 0
    static let maximumDepth = 32

    init(bytes: [UInt8], utf8: Bool) {
        self.bytes = bytes
        self.utf8 = utf8
    }

    /// The single literal the bytes hold, with only whitespace around it.
    static func parse(_ bytes: [UInt8], utf8: Bool) throws(PyLiteralSyntaxError) -> PyLiteral {
        var parser = PyLiteralParser(bytes: bytes, utf8: utf8)
        parser.skipWhitespace()
        let value = try parser.parseValue(depth: 0)
        parser.skipWhitespace()
        if parser.position < bytes.count {
            throw PyLiteralSyntaxError(offset: parser.position, message: "unexpected \(parser.describeCurrent()) after the end of the dict")
        }
        return value
    }

    private var current: UInt8? { position < bytes.count ? bytes[position] : nil }

    private mutating func skipWhitespace() {
        while let c = current, c == 0x20 || c == 0x09 || c == 0x0A || c == 0x0D || c == 0x0C { position += 1 }
    }

    /// "'x'", "byte 0x93" or "the end of the header", for messages.
    private func describeCurrent() -> String {
        guard let c = current else { return "the end of the header" }
        if c == UInt8(ascii: "'") { return "\"'\"" }
        if c >= 0x21 && c < 0x7F { return "'\(Character(Unicode.Scalar(c)))'" }
        if c == 0x20 { return "space" }
        return "byte 0x" + (c < 16 ? "0" : "") + String(c, radix: 16, uppercase: true)
    }

    private func fail(_ message: String) -> PyLiteralSyntaxError {
        PyLiteralSyntaxError(offset: position, message: message)
    }

    private mutating func parseValue(depth: Int) throws(PyLiteralSyntaxError) -> PyLiteral {
        guard depth < PyLiteralParser.maximumDepth else { throw fail("nested more than \(PyLiteralParser.maximumDepth) levels deep") }
        guard let c = current else { throw fail("expected a value, found the end of the header") }
        switch c {
        case UInt8(ascii: "{"):
            return try parseDict(depth: depth)
        case UInt8(ascii: "("):
            position += 1
            let (items, trailingComma) = try parseSequence(closing: UInt8(ascii: ")"), depth: depth)
            // `(x)` is just x in Python; `(x,)` and `()` are tuples.
            if items.count == 1 && !trailingComma { return items[0] }
            return .tuple(items)
        case UInt8(ascii: "["):
            position += 1
            return .list(try parseSequence(closing: UInt8(ascii: "]"), depth: depth).items)
        case UInt8(ascii: "'"), UInt8(ascii: "\""):
            return try parseString()
        case UInt8(ascii: "-"), UInt8(ascii: "+"):
            let negative = c == UInt8(ascii: "-")
            position += 1
            skipWhitespace()
            guard let d = current, isDigit(d) || d == UInt8(ascii: ".") else {
                throw fail("expected a number after '\(negative ? "-" : "+")', found \(describeCurrent())")
            }
            switch parseNumber() {
            case .integer(let text, let value):
                return .integer(text: (negative ? "-" : "") + text, value: negative ? value.map { 0 - $0 } : value)
            case .number(let text):
                return .number((negative ? "-" : "") + text)
            default:
                throw fail("expected a number")
            }
        default:
            if isDigit(c) || c == UInt8(ascii: ".") { return parseNumber() }
            if isNameStart(c) {
                let start = position
                while let d = current, isNameStart(d) || isDigit(d) { position += 1 }
                let name = String(decoding: bytes[start..<position], as: UTF8.self)
                if let q = current, q == UInt8(ascii: "'") || q == UInt8(ascii: "\""),
                   ["u", "U", "b", "B"].contains(name) {
                    return try parseString()  // u'...' (Python 2 headers), b'...'
                }
                switch name {
                case "True": return .bool(true)
                case "False": return .bool(false)
                case "None": return .none
                default:
                    position = start
                    throw fail("unexpected name '\(name)' (a header holds only strings, numbers, True, False, None, tuples, lists and dicts)")
                }
            }
            throw fail("unexpected \(describeCurrent())")
        }
    }

    private mutating func parseDict(depth: Int) throws(PyLiteralSyntaxError) -> PyLiteral {
        position += 1  // {
        var entries: [PyLiteral.DictEntry] = []
        while true {
            skipWhitespace()
            if current == UInt8(ascii: "}") { position += 1; return .dict(entries) }
            let keyOffset = position
            let key = try parseValue(depth: depth + 1)
            skipWhitespace()
            guard current == UInt8(ascii: ":") else { throw fail("expected ':' after the key \(key.repr()), found \(describeCurrent())") }
            position += 1
            skipWhitespace()
            let value = try parseValue(depth: depth + 1)
            entries.append(.init(key: key, value: value, offset: keyOffset))
            skipWhitespace()
            switch current {
            case UInt8(ascii: ","): position += 1
            case UInt8(ascii: "}"): position += 1; return .dict(entries)
            default: throw fail("expected ',' or '}' after the value of \(key.repr()), found \(describeCurrent())")
            }
        }
    }

    /// Items up to `closing` (the opening bracket already consumed), and whether the last
    /// item was followed by a comma.
    private mutating func parseSequence(closing: UInt8, depth: Int) throws(PyLiteralSyntaxError) -> (items: [PyLiteral], trailingComma: Bool) {
        var items: [PyLiteral] = []
        var trailingComma = false
        while true {
            skipWhitespace()
            if current == closing { position += 1; return (items, trailingComma) }
            items.append(try parseValue(depth: depth + 1))
            trailingComma = false
            skipWhitespace()
            if current == UInt8(ascii: ",") {
                position += 1
                trailingComma = true
            } else if current == closing {
                position += 1
                return (items, trailingComma)
            } else {
                throw fail("expected ',' or '\(Character(Unicode.Scalar(closing)))', found \(describeCurrent())")
            }
        }
    }

    /// A quoted string with Python's common escapes (\\ \' \" \n \t \r \0 \xHH); other
    /// backslashes are kept as written. Raw bytes are decoded as latin-1 or UTF-8.
    private mutating func parseString() throws(PyLiteralSyntaxError) -> PyLiteral {
        guard let quote = current else { throw fail("expected a string") }
        let start = position
        position += 1
        var result = String.UnicodeScalarView()
        var raw: [UInt8] = []
        func flush() {
            if utf8 {
                result.append(contentsOf: String(decoding: raw, as: UTF8.self).unicodeScalars)
            } else {
                for byte in raw { result.append(Unicode.Scalar(byte)) }
            }
            raw.removeAll()
        }
        while true {
            guard let c = current else {
                position = start
                throw fail("unterminated string")
            }
            if c == quote { position += 1; break }
            if c == 0x0A {
                position = start
                throw fail("unterminated string (it runs into a newline)")
            }
            position += 1
            guard c == UInt8(ascii: "\\"), let e = current else {
                raw.append(c)
                continue
            }
            position += 1
            switch e {
            case UInt8(ascii: "n"): raw.append(0x0A)
            case UInt8(ascii: "t"): raw.append(0x09)
            case UInt8(ascii: "r"): raw.append(0x0D)
            case UInt8(ascii: "0"): raw.append(0x00)
            case UInt8(ascii: "\\"), UInt8(ascii: "'"), UInt8(ascii: "\""): raw.append(e)
            case UInt8(ascii: "x"):
                if position + 1 < bytes.count, let high = hexValue(bytes[position]), let low = hexValue(bytes[position + 1]) {
                    flush()
                    result.append(Unicode.Scalar(high << 4 | low))  // \xHH is the code point U+00HH
                    position += 2
                } else {
                    raw.append(c)
                    raw.append(e)
                }
            default:
                raw.append(c)
                raw.append(e)
            }
        }
        flush()
        return .string(String(result))
    }

    private func hexValue(_ c: UInt8) -> UInt8? {
        switch c {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): c - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): c - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): c - UInt8(ascii: "A") + 10
        default: nil
        }
    }

    /// A number token: digits, letters, '_', '.', and a sign right after an exponent 'e'.
    /// Decimal, 0x, 0o and 0b integers (with '_' separators, and Python 2's 'L' suffix)
    /// become `.integer`; anything else `.number`.
    private mutating func parseNumber() -> PyLiteral {
        let start = position
        while let c = current {
            if isDigit(c) || isNameStart(c) || c == UInt8(ascii: ".") {
                position += 1
            } else if (c == UInt8(ascii: "+") || c == UInt8(ascii: "-")), position > start,
                      bytes[position - 1] == UInt8(ascii: "e") || bytes[position - 1] == UInt8(ascii: "E"),
                      !(position - start >= 2 && (bytes[start + 1] | 0x20) == UInt8(ascii: "x")) {
                position += 1
            } else {
                break
            }
        }
        let text = String(decoding: bytes[start..<position], as: UTF8.self)
        guard let magnitude = PyLiteralParser.integerValue(text) else { return .number(text) }
        return .integer(text: text, value: magnitude)
    }

    /// `.some(value)` for an integer literal (value nil when it overflows `Int`), `nil`
    /// for anything that is not an integer literal.
    static func integerValue(_ text: String) -> Int?? {
        var chars = Array(text.utf8)
        if let last = chars.last, last == UInt8(ascii: "L") || last == UInt8(ascii: "l") { chars.removeLast() }
        var radix = 10
        if chars.count > 2 && chars[0] == UInt8(ascii: "0") {
            switch chars[1] | 0x20 {
            case UInt8(ascii: "x"): radix = 16
            case UInt8(ascii: "o"): radix = 8
            case UInt8(ascii: "b"): radix = 2
            default: break
            }
            if radix != 10 { chars.removeFirst(2) }
        }
        guard !chars.isEmpty else { return nil }
        var value: Int? = 0
        var previousWasDigit = radix != 10  // "0x_ff" is valid Python; "_1" is not
        for c in chars {
            if c == UInt8(ascii: "_") {
                guard previousWasDigit else { return nil }
                previousWasDigit = false
                continue
            }
            let digit: Int
            switch c {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = Int(c - UInt8(ascii: "0"))
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = Int(c - UInt8(ascii: "a")) + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = Int(c - UInt8(ascii: "A")) + 10
            default: return nil
            }
            guard digit < radix else { return nil }
            previousWasDigit = true
            if let v = value {
                let (shifted, o1) = v.multipliedReportingOverflow(by: radix)
                let (sum, o2) = shifted.addingReportingOverflow(digit)
                value = (o1 || o2) ? nil : sum
            }
        }
        guard previousWasDigit else { return nil }  // trailing '_'
        return .some(value)
    }

    private func isDigit(_ c: UInt8) -> Bool { c >= UInt8(ascii: "0") && c <= UInt8(ascii: "9") }

    private func isNameStart(_ c: UInt8) -> Bool {
        (c >= UInt8(ascii: "a") && c <= UInt8(ascii: "z")) || (c >= UInt8(ascii: "A") && c <= UInt8(ascii: "Z")) || c == UInt8(ascii: "_")
    }
}
