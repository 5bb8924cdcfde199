/// Formats diagnostics like clang: `file:line:col: error: message`, the source line, and a
/// caret with tildes under the span; notes follow in the same form.
public struct DiagnosticRenderer: Sendable {
    public let file: SourceFile

    public init(file: SourceFile) {
        self.file = file
    }

    /// All diagnostics, one block each, ending with a summary line when there are any
    /// errors or warnings ("2 errors, 1 warning generated.").
    public func render(_ diagnostics: [Diagnostic]) -> String {
        var out = diagnostics.map(render).joined()
        let errors = diagnostics.filter { $0.severity == .error }.count
        let warnings = diagnostics.filter { $0.severity == .warning }.count
        var parts: [String] = []
        if errors > 0 { parts.append("\(errors) error\(errors == 1 ? "" : "s")") }
        if warnings > 0 { parts.append("\(warnings) warning\(warnings == 1 ? "" : "s")") }
        if !parts.isEmpty { out += parts.joined(separator: " and ") + " generated.\n" }
        return out
    }

    /// One diagnostic with its notes.
    public func render(_ diagnostic: Diagnostic) -> String {
        var out = block(diagnostic.severity, diagnostic.message, diagnostic.location, quote: true)
        for note in diagnostic.notes {
            // A note without a place of its own belongs to its diagnostic's line.
            out += block(.note, note.message, note.location ?? diagnostic.location, quote: note.location != nil)
        }
        return out
    }

    private func block(_ severity: Severity, _ message: String, _ location: SourceLocation?, quote: Bool) -> String {
        guard let location else { return "\(file.name): \(severity.rawValue): \(message)\n" }
        var out = "\(file.name):\(location.line):\(location.column): \(severity.rawValue): \(message)\n"
        let bytes = location.line <= file.lines.count ? file.lines[location.line - 1] : []
        guard quote, !bytes.isEmpty else { return out }
        // Control characters would garble the terminal; show them as U+FFFD, one for one,
        // so the caret still lines up.
        let line = String(String(decoding: bytes, as: UTF8.self).map { ch -> Character in
            ch == "\t" || !(ch.unicodeScalars.first.map { $0.value < 0x20 || $0.value == 0x7F } ?? false) ? ch : "\u{FFFD}"
        })
        out += line + "\n"
        // Columns count bytes; the caret line counts characters, and keeps tabs so that it
        // lines up under the quoted text in a terminal.
        let before = bytes.prefix(max(0, location.column - 1))
        let indent = String(decoding: before, as: UTF8.self).map { $0 == "\t" ? "\t" : " " }.joined()
        let spanEnd = min(bytes.count, location.column - 1 + location.length)
        let spanBytes = spanEnd > before.count ? bytes[before.count..<spanEnd] : []
        let width = max(1, String(decoding: spanBytes, as: UTF8.self).count)
        out += indent + "^" + String(repeating: "~", count: width - 1) + "\n"
        return out
    }
}
