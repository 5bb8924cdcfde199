import NMPSimulator
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Reads lines from a terminal with `LineEditor`'s editing and history: for each line the
/// terminal leaves canonical mode and echo (so that keys arrive one at a time), the line is
/// redrawn after every key, and the terminal's settings are restored before the line is
/// returned, so the debugger's output and Ctrl-C during a long `continue` behave as usual.
/// Used only when both stdin and stdout are terminals; pipes and scripts read plain lines.
final class TerminalLineReader {
    private var editor = LineEditor()
    private let write: (String) -> Void

    /// `write` shows the prompt and the line (the console's standard output).
    init(write: @escaping (String) -> Void) {
        self.write = write
    }

    /// The next line after `prompt`, or nil at the end of the input (Ctrl-D on an empty
    /// line, or stdin closed). Falls back to `readLine` if the terminal cannot be set.
    func readLine(prompt: String) -> String? {
        var saved = termios()
        guard tcgetattr(STDIN_FILENO, &saved) == 0 else {
            write(prompt)
            return Swift.readLine(strippingNewline: true)
        }
        var raw = saved
        raw.c_lflag &= ~tcflag_t(ICANON | ECHO | ISIG)
        withUnsafeMutableBytes(of: &raw.c_cc) { cc in
            cc[Int(VMIN)] = 1
            cc[Int(VTIME)] = 0
        }
        guard tcsetattr(STDIN_FILENO, TCSANOW, &raw) == 0 else {
            write(prompt)
            return Swift.readLine(strippingNewline: true)
        }
        defer { _ = tcsetattr(STDIN_FILENO, TCSANOW, &saved) }
        editor.reset()
        write(prompt)
        var byte: UInt8 = 0
        while true {
            let count = read(STDIN_FILENO, &byte, 1)
            if count < 0 && errno == EINTR { continue }
            guard count == 1 else {
                write("\n")
                return nil
            }
            switch editor.feed(byte) {
            case .editing:
                // Redraw: back to the line's start, prompt and text, clear the rest, cursor back.
                let back = editor.line.count - editor.cursor
                write("\r" + prompt + editor.text + "\u{1B}[K" + (back > 0 ? "\u{1B}[\(back)D" : ""))
            case .accepted(let line):
                write("\n")
                return line
            case .cancelled:
                write("^C\n" + prompt)
            case .endOfInput:
                write("\n")
                return nil
            }
        }
    }
}
