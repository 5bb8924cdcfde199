/// A source text split into lines of UTF-8 bytes, so that diagnostics can quote a line
/// and point a caret at a column.
public struct SourceFile: Sendable {
    /// The name diagnostics print (the path as the user gave it).
    public let name: String
    /// The bytes of each line, without the line terminator.
    public let lines: [[UInt8]]

    public init(name: String, text: String) {
        self.init(name: name, bytes: Array(text.utf8))
    }

    /// Splits on `\n`, dropping a `\r` before it (CRLF files). A UTF-8 byte-order mark at
    /// the start (which some Windows editors write) is skipped, as the JSON readers do.
    public init(name: String, bytes: [UInt8]) {
        self.name = name
        var lines: [[UInt8]] = []
        var current: [UInt8] = []
        let start = bytes.starts(with: [0xEF, 0xBB, 0xBF]) ? 3 : 0
        for byte in bytes[start...] {
            if byte == UInt8(ascii: "\n") {
                if current.last == UInt8(ascii: "\r") { current.removeLast() }
                lines.append(current)
                current = []
            } else {
                current.append(byte)
            }
        }
        if !current.isEmpty || lines.isEmpty { lines.append(current) }
        self.lines = lines
    }
}

/// A place in a source file: 1-based line, 1-based byte column, and how many bytes the
/// underlined token spans.
public struct SourceLocation: Hashable, Sendable {
    public var line: Int
    public var column: Int
    public var length: Int

    public init(line: Int, column: Int, length: Int = 1) {
        self.line = line
        self.column = column
        self.length = max(1, length)
    }

    /// The span from the start of `self` to the end of `other` (same line).
    public func through(_ other: SourceLocation) -> SourceLocation {
        guard other.line == line else { return self }
        return SourceLocation(line: line, column: column, length: other.column + other.length - column)
    }
}
