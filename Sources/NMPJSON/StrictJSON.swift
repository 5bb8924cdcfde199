import NMPSupport

/// A parsed JSON value. Numbers keep their literal text, so that a reader decides how to
/// convert them and can quote them exactly in errors.
public indirect enum StrictJSON: Sendable {
    case object([(String, StrictJSON)])
    case array([StrictJSON])
    case string(String)
    case number(String)
    case bool(Bool)
    case null

    public var isNull: Bool {
        if case .null = self { return true }
        return false
    }

    /// How an error quotes the value: short, and naming its type.
    public var summary: String {
        switch self {
        case .object: return "an object"
        case .array: return "an array"
        case .string(let text): return "the string \"\(Self.shortened(text))\""
        case .number(let text): return Self.shortened(text)
        case .bool(let value): return value ? "true" : "false"
        case .null: return "null"
        }
    }

    /// The most Unicode scalars of a string or number an error quotes.
    public static let quotedLength = 40

    /// `text` as an error quotes a value: whole when it has at most `quotedLength` Unicode
    /// scalars, else its first `quotedLength` scalars, "..." and its length in bytes. Counted
    /// in scalars, not characters, so that at most 4 * `quotedLength` bytes are quoted
    /// (one character may hold any number of combining marks).
    public static func shortened(_ text: String) -> String {
        Quoted.text(text, limit: quotedLength)
    }

    /// Why a value is not the number a reader wants. The texts are the number as written,
    /// `shortened` for messages (a 4 KB run of digits is quoted by its first 40).
    public enum NumberProblem: Error, Equatable, Sendable {
        /// Not a number at all (the value's `summary` says what it is).
        case notANumber
        /// A number with a fraction or an exponent where an integer belongs (its text).
        case notAnInteger(String)
        /// A number that does not fit: an integer beyond `Int`, or a double beyond the
        /// finite range (its text). Never rounded to the nearest representable value.
        case outOfRange(String)
    }

    /// The value as an integer: a JSON number written without fraction or exponent
    /// (`2048`, not `2048.0` or `2.048e3`) that fits `Int`.
    public func integer() -> Result<Int, NumberProblem> {
        guard case .number(let text) = self else { return .failure(.notANumber) }
        guard !text.contains(where: { $0 == "." || $0 == "e" || $0 == "E" }) else { return .failure(.notAnInteger(Self.shortened(text))) }
        guard let value = Int(text) else { return .failure(.outOfRange(Self.shortened(text))) }
        return .success(value)
    }

    /// The value as a finite `Double` (any JSON number; 1e400 is out of range).
    public func finiteDouble() -> Result<Double, NumberProblem> {
        guard case .number(let text) = self else { return .failure(.notANumber) }
        guard let value = Double(text), value.isFinite else { return .failure(.outOfRange(Self.shortened(text))) }
        return .success(value)
    }

    /// Parses a whole document (see `StrictJSONParser`).
    public static func parse(_ bytes: [UInt8], maxDepth: Int = 64) throws(StrictJSONError) -> StrictJSON {
        var parser = StrictJSONParser(bytes: bytes, maxDepth: maxDepth)
        return try parser.document()
    }
}

/// Where and why a document is not JSON: line and column are 1-based, columns counted in
/// characters.
public struct StrictJSONError: Error, Equatable, Sendable {
    public let line: Int
    public let column: Int
    public let message: String
}

/// RFC 8259 JSON, strictly: no comments, no trailing commas, no NaN or Infinity, UTF-8
/// text (a leading byte-order mark is skipped), nesting limited so that no input can
/// exhaust the stack. Shared by the machine-config and model-config readers, which map its
/// errors to their own.
struct StrictJSONParser {
    let bytes: [UInt8]
    let maxDepth: Int
    var index = 0
    var depth = 0

    init(bytes: [UInt8], maxDepth: Int) {
        self.bytes = bytes
        self.maxDepth = maxDepth
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { index = 3 }
    }

    mutating func document() throws(StrictJSONError) -> StrictJSON {
        skipWhitespace()
        guard index < bytes.count else { throw error("expected a JSON object, found an empty document") }
        let value = try parseValue()
        skipWhitespace()
        guard index == bytes.count else { throw error("unexpected \(found()) after the JSON value") }
        return value
    }

    private func error(_ message: String, at position: Int? = nil) -> StrictJSONError {
        let position = Swift.min(position ?? index, bytes.count)
        var line = 1
        var column = 1
        for byte in bytes[..<position] {
            if byte == UInt8(ascii: "\n") {
                line += 1
                column = 1
            } else if byte & 0xC0 != 0x80 {  // not a UTF-8 continuation byte
                column += 1
            }
        }
        return StrictJSONError(line: line, column: column, message: message)
    }

    /// The next byte, described for an error message.
    private func found() -> String {
        guard index < bytes.count else { return "end of file" }
        let byte = bytes[index]
        if byte >= 0x21 && byte < 0x7F { return "'\(Character(Unicode.Scalar(byte)))'" }
        return "byte 0x" + String(byte, radix: 16, uppercase: true)
    }

    private mutating func skipWhitespace() {
        while index < bytes.count, [0x20, 0x09, 0x0A, 0x0D].contains(bytes[index]) { index += 1 }
    }

    private mutating func parseValue() throws(StrictJSONError) -> StrictJSON {
        guard index < bytes.count else { throw error("expected a value, found end of file") }
        switch bytes[index] {
        case UInt8(ascii: "{"): return try parseObject()
        case UInt8(ascii: "["): return try parseArray()
        case UInt8(ascii: "\""): return .string(try parseString())
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return .number(try parseNumber())
        case UInt8(ascii: "t"): try literal("true"); return .bool(true)
        case UInt8(ascii: "f"): try literal("false"); return .bool(false)
        case UInt8(ascii: "n"): try literal("null"); return .null
        default: throw error("expected a value, found \(found())")
        }
    }

    private mutating func literal(_ word: String) throws(StrictJSONError) {
        let expected = Array(word.utf8)
        guard bytes[index...].starts(with: expected) else { throw error("expected a value, found \(found())") }
        index += expected.count
    }

    private mutating func enter() throws(StrictJSONError) {
        depth += 1
        if depth > maxDepth { throw error("nested more than \(maxDepth) levels deep") }
    }

    private mutating func parseObject() throws(StrictJSONError) -> StrictJSON {
        try enter()
        index += 1  // {
        var members: [(String, StrictJSON)] = []
        skipWhitespace()
        if index < bytes.count, bytes[index] == UInt8(ascii: "}") {
            index += 1
            depth -= 1
            return .object(members)
        }
        while true {
            skipWhitespace()
            guard index < bytes.count, bytes[index] == UInt8(ascii: "\"") else {
                throw error("expected a key in double quotes, found \(found())")
            }
            let key = try parseString()
            skipWhitespace()
            guard index < bytes.count, bytes[index] == UInt8(ascii: ":") else { throw error("expected ':' after the key, found \(found())") }
            index += 1
            skipWhitespace()
            members.append((key, try parseValue()))
            skipWhitespace()
            guard index < bytes.count else { throw error("expected ',' or '}', found end of file") }
            if bytes[index] == UInt8(ascii: ",") { index += 1; continue }
            if bytes[index] == UInt8(ascii: "}") { index += 1; break }
            throw error("expected ',' or '}', found \(found())")
        }
        depth -= 1
        return .object(members)
    }

    private mutating func parseArray() throws(StrictJSONError) -> StrictJSON {
        try enter()
        index += 1  // [
        var items: [StrictJSON] = []
        skipWhitespace()
        if index < bytes.count, bytes[index] == UInt8(ascii: "]") {
            index += 1
            depth -= 1
            return .array(items)
        }
        while true {
            skipWhitespace()
            items.append(try parseValue())
            skipWhitespace()
            guard index < bytes.count else { throw error("expected ',' or ']', found end of file") }
            if bytes[index] == UInt8(ascii: ",") { index += 1; continue }
            if bytes[index] == UInt8(ascii: "]") { index += 1; break }
            throw error("expected ',' or ']', found \(found())")
        }
        depth -= 1
        return .array(items)
    }

    private mutating func parseNumber() throws(StrictJSONError) -> String {
        let start = index
        func digits() -> Int {
            let from = index
            while index < bytes.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[index]) { index += 1 }
            return index - from
        }
        if bytes[index] == UInt8(ascii: "-") { index += 1 }
        guard index < bytes.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[index]) else {
            throw error("expected a digit, found \(found())")
        }
        if bytes[index] == UInt8(ascii: "0") {
            index += 1
            if index < bytes.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[index]) {
                throw error("numbers must not have leading zeros")
            }
        } else {
            _ = digits()
        }
        if index < bytes.count, bytes[index] == UInt8(ascii: ".") {
            index += 1
            guard digits() > 0 else { throw error("expected a digit after '.', found \(found())") }
        }
        if index < bytes.count, bytes[index] == UInt8(ascii: "e") || bytes[index] == UInt8(ascii: "E") {
            index += 1
            if index < bytes.count, bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-") { index += 1 }
            guard digits() > 0 else { throw error("expected a digit in the exponent, found \(found())") }
        }
        return String(decoding: bytes[start..<index], as: UTF8.self)
    }

    private mutating func parseString() throws(StrictJSONError) -> String {
        let start = index
        index += 1  // opening quote
        var utf8: [UInt8] = []
        while true {
            guard index < bytes.count else { throw error("unterminated string", at: start) }
            let byte = bytes[index]
            switch byte {
            case UInt8(ascii: "\""):
                index += 1
                let text = String(decoding: utf8, as: UTF8.self)
                guard Array(text.utf8) == utf8 else { throw error("string is not valid UTF-8", at: start) }
                return text
            case UInt8(ascii: "\\"):
                index += 1
                guard index < bytes.count else { throw error("unterminated string", at: start) }
                let escape = bytes[index]
                index += 1
                switch escape {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): utf8.append(escape)
                case UInt8(ascii: "b"): utf8.append(0x08)
                case UInt8(ascii: "f"): utf8.append(0x0C)
                case UInt8(ascii: "n"): utf8.append(0x0A)
                case UInt8(ascii: "r"): utf8.append(0x0D)
                case UInt8(ascii: "t"): utf8.append(0x09)
                case UInt8(ascii: "u"):
                    var scalar = try hex4()
                    if (0xD800...0xDBFF).contains(scalar) {
                        guard bytes[index...].starts(with: [UInt8(ascii: "\\"), UInt8(ascii: "u")]) else {
                            throw error("unpaired UTF-16 surrogate in \\u escape")
                        }
                        index += 2
                        let low = try hex4()
                        guard (0xDC00...0xDFFF).contains(low) else { throw error("unpaired UTF-16 surrogate in \\u escape") }
                        scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                    } else if (0xDC00...0xDFFF).contains(scalar) {
                        throw error("unpaired UTF-16 surrogate in \\u escape")
                    }
                    utf8.append(contentsOf: Array(String(Character(Unicode.Scalar(scalar)!)).utf8))
                default:
                    throw error("invalid escape sequence in string", at: index - 2)
                }
            case 0x00..<0x20:
                throw error("control character in string (write it as an escape)")
            default:
                utf8.append(byte)
                index += 1
            }
        }
    }

    private mutating func hex4() throws(StrictJSONError) -> UInt32 {
        var value: UInt32 = 0
        for _ in 0..<4 {
            guard index < bytes.count, let digit = Character(Unicode.Scalar(bytes[index])).hexDigitValue else {
                throw error("expected four hex digits after \\u")
            }
            value = value * 16 + UInt32(digit)
            index += 1
        }
        return value
    }
}
