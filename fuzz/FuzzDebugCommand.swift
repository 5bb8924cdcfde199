// libFuzzer target: bytes -> DebuggerCommand.parse (one line of `nmp debug`). It must never
// trap, whatever the line holds (any bytes, read as UTF-8 with replacement characters, as
// readLine gives them); a rejection's message is short (at most `maxMessageBytes`, however
// long the line) and holds no control character (a terminal escape must not reach the
// terminal); an accepted command is within its documented ranges, and parsing is a
// function of the line alone. Built by fuzz/build.sh into fuzz/bin/fuzz-debug.
import NMPSimulator

/// The longest error message accepted: one line on a terminal, give or take.
let maxMessageBytes = 512

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let line = String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self)
    let command: DebuggerCommand
    do {
        command = try DebuggerCommand.parse(line)
    } catch {
        guard error.message.utf8.count <= maxMessageBytes else {
            fatalError("message of \(error.message.utf8.count) bytes: \(String(error.message.unicodeScalars.prefix(200)))...")
        }
        if let control = error.message.unicodeScalars.first(where: { $0.value < 0x20 || (0x7F...0x9F).contains($0.value) }) {
            fatalError("message holds control character U+\(String(control.value, radix: 16)): \(error.message)")
        }
        return 0
    }
    switch command {
    case .step(let n):
        guard n >= 1 else { fatalError("step \(n)") }
    case .until(let cycle):
        guard cycle >= 0 else { fatalError("until \(cycle)") }
    case .delete(let number?):
        guard number >= 1 else { fatalError("delete \(number)") }
    case .watch(let range), .examine(let range):
        guard (1...DebuggerCommand.maxCount).contains(range.count) else { fatalError("count \(range.count)") }
        if case .address(let address) = range.location, address < 0 { fatalError("address \(address)") }
    case .print(let register, _):
        guard register.count <= 3 else { fatalError("register '\(register)'") }
    default:
        break
    }
    guard (try? DebuggerCommand.parse(line)) == command else { fatalError("parsing '\(line)' twice differs") }
    return 0
}
