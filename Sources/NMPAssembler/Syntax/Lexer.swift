import NMPTrits

/// Splits one line of `.nasm` into tokens. Lexing stops at a `;` comment. The first bad
/// character of a line is reported and the rest of the line is dropped, so one typo
/// gives one error.
struct Lexer {
    let bytes: [UInt8]
    let line: Int
    private var index = 0

    init(bytes: [UInt8], line: Int) {
        self.bytes = bytes
        self.line = line
    }

    /// Where the comment starts (or the line's end): `.trits` reads raw text up to here.
    static func codeEnd(of bytes: [UInt8]) -> Int {
        var inString = false
        var inChar = false
        var escaped = false
        for (i, b) in bytes.enumerated() {
            if escaped { escaped = false; continue }
            if inString || inChar {
                if b == UInt8(ascii: "\\") { escaped = true }
                else if inString && b == UInt8(ascii: "\"") { inString = false }
                else if inChar && b == UInt8(ascii: "'") { inChar = false }
                continue
            }
            switch b {
            case UInt8(ascii: ";"): return i
            case UInt8(ascii: "\""): inString = true
            case UInt8(ascii: "'"): inChar = true
            default: break
            }
        }
        return bytes.count
    }

    /// All tokens of the line, or the error that stopped lexing (tokens so far are kept).
    mutating func tokenize() -> (tokens: [Token], error: (String, SourceLocation)?) {
        var tokens: [Token] = []
        let end = Lexer.codeEnd(of: bytes)
        while true {
            while index < end, bytes[index] == UInt8(ascii: " ") || bytes[index] == UInt8(ascii: "\t") { index += 1 }
            guard index < end else { return (tokens, nil) }
            switch nextToken(end: end) {
            case .success(let token):
                tokens.append(token)
                // A raw directive reads the rest of the line itself (RawText): a .trits line
                // of millions of trits is not split into tokens.
                if case .directive(let name) = token.kind, Parser.rawDirectives.contains(name) { return (tokens, nil) }
            case .failure(let failure): return (tokens, (failure.message, failure.location))
            }
        }
    }

    struct Failure: Error {
        var message: String
        var location: SourceLocation
    }

    private func fail(_ message: String, at start: Int, length: Int = 1) -> Result<Token, Failure> {
        .failure(Failure(message: message, location: SourceLocation(line: line, column: start + 1, length: length)))
    }

    private mutating func nextToken(end: Int) -> Result<Token, Failure> {
        let start = index
        let c = bytes[index]
        if isIdentifierStart(c) {
            while index < end, isIdentifierPart(bytes[index]) { index += 1 }
            return .success(Token(kind: .identifier(text(start, index)), start: start, end: index))
        }
        if c == UInt8(ascii: ".") {
            index += 1
            while index < end, isIdentifierPart(bytes[index]) { index += 1 }
            return .success(Token(kind: .directive(text(start, index)), start: start, end: index))
        }
        if isDigit(c) { return number(end: end) }
        if c == UInt8(ascii: "'") { return character(end: end) }
        if c == UInt8(ascii: "\"") { return string(end: end) }
        for op in ["<<", ">>"] where matches(op, at: index, end: end) {
            index += 2
            return .success(Token(kind: .symbol(op), start: start, end: index))
        }
        if let op = ",:[]()+-*/%&|^~".utf8.first(where: { $0 == c }) {
            index += 1
            return .success(Token(kind: .symbol(String(UnicodeScalar(op))), start: start, end: index))
        }
        if c == UInt8(ascii: "<") || c == UInt8(ascii: ">") {
            return fail("unexpected '\(UnicodeScalar(c))'; shifts are written '<<' and '>>'", at: start)
        }
        return fail("unexpected character \(describe(at: start))", at: start, length: scalarLength(at: start))
    }

    // MARK: literals

    private mutating func number(end: Int) -> Result<Token, Failure> {
        let start = index
        // Take the whole alphanumeric run so that "12ab" is one bad literal, not two tokens.
        // Balanced-ternary literals also contain '+' and '-' after their "0t" prefix.
        let ternary = matches("0t", at: index, end: end) || matches("0T", at: index, end: end)
        index += ternary ? 2 : 0
        while index < end, isIdentifierPart(bytes[index]) || (ternary && isTritSign(bytes[index])) { index += 1 }
        let literal = text(start, index)
        let lower = literal.lowercased()
        let (digits, radix, prefix): (Substring, Int, Int) =
            if lower.hasPrefix("0x") { (literal.dropFirst(2), 16, 2) }
            else if lower.hasPrefix("0b") { (literal.dropFirst(2), 2, 2) }
            else if lower.hasPrefix("0o") { (literal.dropFirst(2), 8, 2) }
            else if ternary { (literal.dropFirst(2), 3, 2) }
            else { (Substring(literal), 10, 0) }
        if radix == 3 { return balancedTernary(digits, start: start, digitsStart: start + prefix) }
        var value: Int64 = 0
        var sawDigit = false
        for (offset, ch) in digits.enumerated() {
            if ch == "_" { continue }
            guard let digit = ch.hexDigitValue, digit < radix else {
                let name = [16: "hexadecimal", 2: "binary", 8: "octal", 10: "decimal"][radix] ?? ""
                return fail("invalid digit '\(ch)' in \(name) literal", at: start + prefix + offset)
            }
            let (scaled, o1) = value.multipliedReportingOverflow(by: Int64(radix))
            let (sum, o2) = scaled.addingReportingOverflow(Int64(digit))
            guard !o1, !o2 else { return fail("integer literal '\(literal)' does not fit in 64 bits", at: start, length: index - start) }
            value = sum
            sawDigit = true
        }
        guard sawDigit else { return fail("literal '\(literal)' has no digits", at: start, length: index - start) }
        return .success(Token(kind: .integer(value), start: start, end: index))
    }

    private func balancedTernary(_ digits: Substring, start: Int, digitsStart: Int) -> Result<Token, Failure> {
        var trits: [Trit] = []
        for (offset, ch) in digits.enumerated() {
            if ch == "_" { continue }
            guard let trit = Trit(symbol: ch) else {
                return fail("invalid character '\(ch)' in trit literal; trit digits are '+', '0' and '-'", at: digitsStart + offset)
            }
            trits.append(trit)
        }
        guard !trits.isEmpty else { return fail("trit literal has no digits; write e.g. 0t+0-", at: start, length: 2) }
        guard let value = BalancedTernary.value(of: trits) else {
            return fail("trit literal does not fit in 64 bits", at: start, length: index - start)
        }
        return .success(Token(kind: .integer(value), start: start, end: index))
    }

    private mutating func character(end: Int) -> Result<Token, Failure> {
        let start = index
        index += 1
        var scalars: [UInt32] = []
        while index < end, bytes[index] != UInt8(ascii: "'") {
            switch escapedScalar(end: end) {
            case .success(let s): scalars.append(s)
            case .failure(let f): return .failure(f)
            }
        }
        guard index < end else { return fail("unterminated character literal", at: start, length: index - start) }
        index += 1
        guard scalars.count == 1 else {
            return fail(scalars.isEmpty ? "empty character literal" : "character literal must hold exactly one character",
                        at: start, length: index - start)
        }
        return .success(Token(kind: .integer(Int64(scalars[0])), start: start, end: index))
    }

    private mutating func string(end: Int) -> Result<Token, Failure> {
        let start = index
        index += 1
        var out: [UInt8] = []
        while index < end, bytes[index] != UInt8(ascii: "\"") {
            if bytes[index] == UInt8(ascii: "\\") {
                switch escapedScalar(end: end) {
                // Every escape stands for one byte: \xHH is the byte 0xHH, not a code point.
                case .success(let s): out.append(UInt8(truncatingIfNeeded: s))
                case .failure(let f): return .failure(f)
                }
            } else {
                out.append(bytes[index])
                index += 1
            }
        }
        guard index < end else { return fail("unterminated string literal", at: start, length: index - start) }
        index += 1
        return .success(Token(kind: .string(out), start: start, end: index))
    }

    /// One character of a char or string literal at `index`, resolving an escape.
    private mutating func escapedScalar(end: Int) -> Result<UInt32, Lexer.Failure> {
        let start = index
        if bytes[index] != UInt8(ascii: "\\") {
            let length = scalarLength(at: index)
            let scalar = String(decoding: bytes[index..<min(end, index + length)], as: UTF8.self).unicodeScalars.first
            index += length
            return .success(scalar?.value ?? 0xFFFD)
        }
        guard index + 1 < end else {
            index = end
            return .failure(Failure(message: "incomplete escape sequence", location: SourceLocation(line: line, column: start + 1)))
        }
        let e = bytes[index + 1]
        index += 2
        switch e {
        case UInt8(ascii: "n"): return .success(10)
        case UInt8(ascii: "t"): return .success(9)
        case UInt8(ascii: "r"): return .success(13)
        case UInt8(ascii: "0"): return .success(0)
        case UInt8(ascii: "\\"), UInt8(ascii: "'"), UInt8(ascii: "\""): return .success(UInt32(e))
        case UInt8(ascii: "x"):
            guard index + 1 < end, let hi = Character(UnicodeScalar(bytes[index])).hexDigitValue,
                  let lo = Character(UnicodeScalar(bytes[index + 1])).hexDigitValue else {
                return .failure(Failure(message: "'\\x' needs two hexadecimal digits",
                                        location: SourceLocation(line: line, column: start + 1, length: 2)))
            }
            index += 2
            return .success(UInt32(hi * 16 + lo))
        default:
            return .failure(Failure(message: "unknown escape sequence '\\\(Character(UnicodeScalar(e)))'",
                                    location: SourceLocation(line: line, column: start + 1, length: 2)))
        }
    }

    // MARK: helpers

    private func matches(_ text: String, at i: Int, end: Int) -> Bool {
        let t = Array(text.utf8)
        return i + t.count <= end && Array(bytes[i..<i + t.count]) == t
    }

    private func text(_ from: Int, _ to: Int) -> String { String(decoding: bytes[from..<to], as: UTF8.self) }

    /// Bytes in the UTF-8 sequence starting at `i` (1 for a stray continuation byte).
    private func scalarLength(at i: Int) -> Int {
        let b = bytes[i]
        let n = b < 0xC0 ? 1 : b < 0xE0 ? 2 : b < 0xF0 ? 3 : 4
        return min(n, bytes.count - i)
    }

    private func describe(at i: Int) -> String {
        let length = scalarLength(at: i)
        guard let scalar = String(validating: bytes[i..<i + length], as: UTF8.self)?.unicodeScalars.first else {
            return "byte 0x\(String(bytes[i], radix: 16, uppercase: true))"
        }
        let digits = String(scalar.value, radix: 16, uppercase: true)
        let code = "U+" + String(repeating: "0", count: max(0, 4 - digits.count)) + digits
        return scalar.properties.isWhitespace || scalar.value < 0x20 || scalar.value == 0x7F
            ? code : "'\(Character(scalar))' (\(code))"
    }
}

func isDigit(_ c: UInt8) -> Bool { c >= 0x30 && c <= 0x39 }
func isIdentifierStart(_ c: UInt8) -> Bool { ((c | 0x20) >= 0x61 && (c | 0x20) <= 0x7A) || c == UInt8(ascii: "_") }
func isIdentifierPart(_ c: UInt8) -> Bool { isIdentifierStart(c) || isDigit(c) || c == UInt8(ascii: ".") }
func isTritSign(_ c: UInt8) -> Bool { c == UInt8(ascii: "+") || c == UInt8(ascii: "-") }
