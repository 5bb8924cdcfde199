import NMPISA

/// One parsed source line.
struct Statement {
    var line: Int
    /// Labels defined on this line, in order.
    var labels: [(name: String, location: SourceLocation)]
    var body: Body?

    enum Body {
        case instruction(mnemonic: String, location: SourceLocation, operands: [Operand])
        case directive(name: String, location: SourceLocation, arguments: [Operand])
        /// `.trits` and `.packing` take raw words rather than expressions.
        case rawDirective(name: String, location: SourceLocation, text: RawText)
    }
}

/// The raw text of a `.trits` or `.packing` line after the directive's name: bytes
/// `start ..< end` (end: where a comment starts) of source line `line`. Kept as a range of
/// the source, not as words: a `.trits` line of millions of trits costs no memory of its own.
struct RawText {
    var line: Int
    var start: Int
    var end: Int

    static func isSeparator(_ byte: UInt8) -> Bool {
        byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t") || byte == UInt8(ascii: ",")
    }

    /// The first `limit` words (runs of bytes between spaces, tabs and commas) of the text in
    /// `lineBytes`, with their locations.
    func words(in lineBytes: [UInt8], limit: Int) -> [(text: [UInt8], location: SourceLocation)] {
        var words: [(text: [UInt8], location: SourceLocation)] = []
        var i = start
        while i < end && words.count < limit {
            if Self.isSeparator(lineBytes[i]) { i += 1; continue }
            let first = i
            while i < end, !Self.isSeparator(lineBytes[i]) { i += 1 }
            words.append((Array(lineBytes[first..<i]), SourceLocation(line: line, column: first + 1, length: i - first)))
        }
        return words
    }
}

/// An operand as written, before it is matched against an instruction's operand kinds.
enum Operand {
    case register(RegisterClass, index: Int, SourceLocation)
    case memory(base: Int, baseLocation: SourceLocation, offset: Expression?, SourceLocation)
    case expression(Expression)
    case string([UInt8], SourceLocation)

    var location: SourceLocation {
        switch self {
        case .register(_, _, let l), .memory(_, _, _, let l), .string(_, let l): l
        case .expression(let e): e.location
        }
    }

    /// What the operand is, for "expected X, found Y" messages.
    var noun: String {
        switch self {
        case .register(let cls, let index, _): "\(cls.noun) \(cls.name(index))"
        case .memory: "a memory operand"
        case .expression: "an expression"
        case .string: "a string"
        }
    }
}

/// Parses register syntax: a file prefix followed by decimal digits (`r12`). Any such name
/// is a register (even `r99`, which is then reported as out of range), so registers can
/// never be mistaken for symbols.
func parseRegisterName(_ name: String) -> (RegisterClass, Int)? {
    guard let first = name.first, let cls = RegisterClass(prefix: first) else { return nil }
    let digits = name.dropFirst()
    guard !digits.isEmpty, digits.allSatisfy({ $0.isASCII && $0.isNumber }) else { return nil }
    // Too many digits for an Int is still register syntax, just a register that does not exist.
    return (cls, Int(digits) ?? Int.max)
}
