// libFuzzer target: bytes -> LineEditor, the key handling of `nmp debug` at a terminal (each
// byte a key press, escape sequences included). It must never trap; after every byte the
// cursor lies within the line and the line holds printable ASCII only; an accepted line goes
// on to DebuggerCommand.parse, as in a session, which must not trap either; the history
// stays within its limit. Built by fuzz/build.sh into fuzz/bin/fuzz-lineedit.
import NMPSimulator

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    var editor = LineEditor()
    for byte in UnsafeBufferPointer(start: data, count: size) {
        let outcome = editor.feed(byte)
        guard editor.cursor >= 0 && editor.cursor <= editor.line.count else {
            fatalError("cursor \(editor.cursor) outside a line of \(editor.line.count) bytes")
        }
        guard editor.line.allSatisfy({ (0x20...0x7E).contains($0) }) else { fatalError("non-printable byte in the line") }
        guard editor.history.count <= LineEditor.historyLimit else { fatalError("history of \(editor.history.count) lines") }
        if case .accepted(let line) = outcome {
            guard line.utf8.allSatisfy({ (0x20...0x7E).contains($0) }) else { fatalError("accepted a non-printable line") }
            _ = try? DebuggerCommand.parse(line)
        }
    }
    return 0
}
