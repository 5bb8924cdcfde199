/// A lexical token of one `.nasm` line.
struct Token: Equatable {
    enum Kind: Equatable {
        /// A name: mnemonic, symbol or register (`add`, `loop_end`, `r3`).
        case identifier(String)
        /// A directive name including its dot (`.byte`), or `.` alone (the location counter).
        case directive(String)
        /// An integer or character literal, already evaluated.
        case integer(Int64)
        /// A string literal's bytes, escapes resolved.
        case string([UInt8])
        /// Punctuation and operators: `,` `:` `[` `]` `(` `)` `+` `-` `*` `/` `%` `<<` `>>` `&` `|` `^` `~`.
        case symbol(String)
    }

    var kind: Kind
    /// 0-based byte offset of the first byte in the line.
    var start: Int
    /// 0-based byte offset just past the last byte.
    var end: Int

    func location(line: Int) -> SourceLocation {
        SourceLocation(line: line, column: start + 1, length: end - start)
    }

    func isSymbol(_ text: String) -> Bool { kind == .symbol(text) }
}
