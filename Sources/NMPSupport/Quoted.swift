/// Text from user input as an error message quotes it: never longer than a limit, and never
/// with a raw control character (a newline or a terminal escape sequence in a key would
/// otherwise reach the terminal as is).
public enum Quoted {
    /// `text` with control characters escaped (`\n`, `\t`, `\r`, `\u{1B}`) and, beyond
    /// `limit` Unicode scalars, cut there and followed by "... (N bytes)". Counted in scalars,
    /// not characters: one character may hold any number of combining marks.
    public static func text(_ text: String, limit: Int) -> String {
        var shown = ""
        var count = 0
        for scalar in text.unicodeScalars {
            if count == limit { return shown + "... (\(text.utf8.count) bytes)" }
            count += 1
            switch scalar {
            case "\n": shown += "\\n"
            case "\t": shown += "\\t"
            case "\r": shown += "\\r"
            case _ where scalar.value < 0x20 || (0x7F...0x9F).contains(scalar.value):
                shown += "\\u{" + String(scalar.value, radix: 16, uppercase: true) + "}"
            default: shown.unicodeScalars.append(scalar)
            }
        }
        return shown
    }
}
