/// The editing state of one input line at a terminal prompt, with a history of earlier
/// lines: the keys of readline's emacs mode that a debugger session needs, fed one byte at a
/// time (terminal escape sequences are assembled here). Pure state, no I/O, so it is tested
/// by feeding bytes; `nmp debug`'s `TerminalLineReader` puts the terminal in non-canonical mode and draws it.
///
/// Keys: printable ASCII inserts; Backspace (DEL or Ctrl-H) deletes left; Delete (ESC [3~)
/// deletes right; Left/Right (ESC [D/[C, Ctrl-B/F) and Home/End (ESC [H/[F, ESC [1~/[4~,
/// ESC OH/OF, Ctrl-A/E) move; Up/Down (ESC [A/[B, Ctrl-P/N) walk the history; Ctrl-U and
/// Ctrl-K kill to the start and to the end; Ctrl-W kills the word before the cursor; Ctrl-C
/// abandons the line; Ctrl-D deletes right, or ends the input on an empty line; Enter accepts.
/// Other bytes (non-ASCII, unknown escapes) are ignored.
public struct LineEditor {
    /// What a byte did.
    public enum Outcome: Equatable, Sendable {
        /// The line changed or the cursor moved (or nothing visible happened): redraw.
        case editing
        /// Enter: the line is complete (and was added to the history when not empty).
        case accepted(String)
        /// Ctrl-C: the line is abandoned.
        case cancelled
        /// Ctrl-D on an empty line: the end of the input.
        case endOfInput
    }

    /// The line being edited, as ASCII bytes.
    public private(set) var line: [UInt8] = []
    /// The cursor, 0 ... line.count.
    public private(set) var cursor = 0
    /// Earlier accepted lines, oldest first.
    public private(set) var history: [[UInt8]] = []
    /// The history entry shown (history.count: the line being typed).
    private var historyIndex = 0
    /// The line being typed while the history is browsed.
    private var draft: [UInt8] = []
    /// The bytes of an escape sequence so far (empty: none in progress).
    private var escape: [UInt8] = []
    /// At most this many history entries are kept.
    public static let historyLimit = 1000

    public init() {}

    /// The text of the line being edited.
    public var text: String { String(decoding: line, as: UTF8.self) }

    /// Starts a new line (keeping the history).
    public mutating func reset() {
        line = []
        cursor = 0
        draft = []
        escape = []
        historyIndex = history.count
    }

    /// Applies one input byte.
    public mutating func feed(_ byte: UInt8) -> Outcome {
        if !escape.isEmpty { return continueEscape(byte) }
        switch byte {
        case 0x1B: escape = [byte]
        case 0x0D, 0x0A: return accept()
        case 0x03:
            reset()
            return .cancelled
        case 0x04:
            if line.isEmpty { return .endOfInput }
            deleteRight()
        case 0x7F, 0x08: deleteLeft()
        case 0x01: cursor = 0
        case 0x05: cursor = line.count
        case 0x02: cursor = max(0, cursor - 1)
        case 0x06: cursor = min(line.count, cursor + 1)
        case 0x10: browse(by: -1)
        case 0x0E: browse(by: 1)
        case 0x15:
            line.removeSubrange(0..<cursor)
            cursor = 0
        case 0x0B: line.removeSubrange(cursor...)
        case 0x17: killWord()
        case 0x20...0x7E:
            line.insert(byte, at: cursor)
            cursor += 1
        default: break
        }
        return .editing
    }

    /// ESC [ X, ESC O X and ESC [ digits ~ (the forms xterm-like terminals send).
    private mutating func continueEscape(_ byte: UInt8) -> Outcome {
        escape.append(byte)
        if escape.count == 2 {
            if byte != UInt8(ascii: "[") && byte != UInt8(ascii: "O") { escape = [] }
            return .editing
        }
        // Parameter bytes (digits, ';') continue a CSI sequence; a final byte ends it.
        if (0x30...0x3F).contains(byte) && escape[1] == UInt8(ascii: "[") {
            if escape.count > 8 { escape = [] }   // not a key this editor knows
            return .editing
        }
        let parameters = String(decoding: escape[2..<(escape.count - 1)], as: UTF8.self)
        escape = []
        switch (byte, parameters) {
        case (UInt8(ascii: "A"), _): browse(by: -1)
        case (UInt8(ascii: "B"), _): browse(by: 1)
        case (UInt8(ascii: "C"), _): cursor = min(line.count, cursor + 1)
        case (UInt8(ascii: "D"), _): cursor = max(0, cursor - 1)
        case (UInt8(ascii: "H"), _), (UInt8(ascii: "~"), "1"), (UInt8(ascii: "~"), "7"): cursor = 0
        case (UInt8(ascii: "F"), _), (UInt8(ascii: "~"), "4"), (UInt8(ascii: "~"), "8"): cursor = line.count
        case (UInt8(ascii: "~"), "3"): deleteRight()
        default: break
        }
        return .editing
    }

    private mutating func accept() -> Outcome {
        let accepted = line
        if !accepted.isEmpty && history.last != accepted {
            history.append(accepted)
            if history.count > Self.historyLimit { history.removeFirst(history.count - Self.historyLimit) }
        }
        reset()
        return .accepted(String(decoding: accepted, as: UTF8.self))
    }

    private mutating func deleteLeft() {
        guard cursor > 0 else { return }
        line.remove(at: cursor - 1)
        cursor -= 1
    }

    private mutating func deleteRight() {
        guard cursor < line.count else { return }
        line.remove(at: cursor)
    }

    /// Ctrl-W: the spaces before the cursor, then the word before them.
    private mutating func killWord() {
        var start = cursor
        while start > 0 && line[start - 1] == 0x20 { start -= 1 }
        while start > 0 && line[start - 1] != 0x20 { start -= 1 }
        line.removeSubrange(start..<cursor)
        cursor = start
    }

    /// Up (-1) or down (+1) the history; the line being typed is kept as the newest entry.
    private mutating func browse(by step: Int) {
        let target = historyIndex + step
        guard target >= 0 && target <= history.count else { return }
        if historyIndex == history.count { draft = line }
        historyIndex = target
        line = target == history.count ? draft : history[target]
        cursor = line.count
    }
}
