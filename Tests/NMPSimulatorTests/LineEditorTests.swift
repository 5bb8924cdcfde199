import Foundation
import NMPSimulator
import Testing

/// `nmp debug`'s line editor, fed the bytes a terminal sends; each expected line is worked out
/// by hand from the keys.
struct LineEditorTests {
    /// Feeds `keys` (escape sequences written out) and returns the outcomes that end a line.
    static func type(_ keys: String, into editor: inout LineEditor) -> [LineEditor.Outcome] {
        Array(keys.utf8).map { editor.feed($0) }.filter { $0 != .editing }
    }

    static let esc = "\u{1B}"

    @Test(arguments: [
        ("step 3\r", "step 3"),
        ("stpe\u{7F}\u{7F}ep\r", "step"),                                // backspace twice
        ("tep\u{01}s\r", "step"),                                        // Ctrl-A, insert at start
        ("sep\(esc)[D\(esc)[Dt\r", "step"),                              // left twice, insert
        ("xstep\u{01}\(esc)[3~\r", "step"),                              // Home, Delete
        ("step\(esc)[H\(esc)[F 2\r", "step 2"),                          // Home, End
        ("step\(esc)OH\(esc)OF 2\r", "step 2"),                          // SS3 Home/End
        ("step\(esc)[1~\(esc)[4~ 2\r", "step 2"),                        // vt Home/End
        ("break loop\u{17}\u{17}print r1\r", "print r1"),                // Ctrl-W twice
        ("x asram:0:4\u{15}regs\r", "regs"),                             // Ctrl-U
        ("regs now\u{02}\u{02}\u{02}\u{02}\u{0B}\r", "regs"),            // Ctrl-B x4, Ctrl-K
        ("regs\u{02}\u{06}!\r", "regs!"),                                // Ctrl-B, Ctrl-F
        ("step\u{04}\r", "step"),                                        // Ctrl-D at the end deletes nothing
        ("ste\u{01}\u{04}\r", "te"),                                     // Ctrl-D deletes right
        ("st\u{C3}\u{A9}ep\u{07}\r", "step"),                            // non-ASCII and BEL ignored
        ("step\(esc)[1;5C\(esc)[99X\r", "step"),                         // unknown sequences ignored
    ])
    func editsTheLine(keys: String, expected: String) {
        var editor = LineEditor()
        #expect(Self.type(keys, into: &editor) == [.accepted(expected)])
    }

    @Test func historyWalksBackAndKeepsTheDraft() {
        var editor = LineEditor()
        #expect(Self.type("step\rregs\rregs\r\r", into: &editor) == [.accepted("step"), .accepted("regs"), .accepted("regs"), .accepted("")])
        #expect(editor.history.map { String(decoding: $0, as: UTF8.self) } == ["step", "regs"])   // no repeats, no empty line
        // Up twice reaches "step"; a third up stays there; down, down returns to the draft.
        #expect(Self.type("pr\(Self.esc)[A\(Self.esc)[A\(Self.esc)[A", into: &editor) == [])
        #expect(editor.text == "step")
        #expect(Self.type("\(Self.esc)[B", into: &editor) == [])
        #expect(editor.text == "regs")
        #expect(Self.type("\u{0E}", into: &editor) == [])                 // Ctrl-N
        #expect(editor.text == "pr")
        #expect(Self.type("\u{10} 2\r", into: &editor) == [.accepted("regs 2")])   // Ctrl-P, edit, accept
    }

    @Test func controlCAbandonsAndControlDEndsOnlyAnEmptyLine() {
        var editor = LineEditor()
        #expect(Self.type("continue\u{03}", into: &editor) == [.cancelled])
        #expect(editor.text == "")
        #expect(Self.type("s\u{04}", into: &editor) == [])                // not empty: not the end
        #expect(Self.type("\u{7F}\u{04}", into: &editor) == [.endOfInput])
    }

    @Test func historyIsBounded() {
        var editor = LineEditor()
        for n in 0..<(LineEditor.historyLimit + 5) { _ = Self.type("step \(n)\r", into: &editor) }
        #expect(editor.history.count == LineEditor.historyLimit)
        #expect(String(decoding: editor.history[0], as: UTF8.self) == "step 5")
    }
}

/// The fuzz target's seeds (fuzz/corpus/lineedit), fed as the target feeds them, with its checks.
struct LineEditorSeedTests {
    static let corpus = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("../../fuzz/corpus/lineedit").standardized

    @Test func seedsKeepTheEditorsInvariants() throws {
        let seeds = try FileManager.default.contentsOfDirectory(atPath: Self.corpus.path).sorted()
        #expect(seeds.count >= 3)
        for name in seeds {
            var editor = LineEditor()
            for byte in try Data(contentsOf: Self.corpus.appendingPathComponent(name)) {
                if case .accepted(let line) = editor.feed(byte) {
                    #expect(line.utf8.allSatisfy { (0x20...0x7E).contains($0) }, "\(name)")
                    _ = try? DebuggerCommand.parse(line)
                }
                #expect(editor.cursor >= 0 && editor.cursor <= editor.line.count, "\(name)")
            }
        }
    }
}
