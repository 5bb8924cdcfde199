// libFuzzer target: bytes -> MachineConfig(json:source:) (a JSON machine config, ISA.md 3.5,
// over the strict JSON parser). It must never trap; a config it accepts passes validate()
// and its jsonText() reads back to an equal config; an error's description stays short (at
// most `maxMessageBytes`, even for megabyte keys, strings and numbers: they are quoted
// shortened) and comes quickly. Built by fuzz/build.sh into fuzz/bin/fuzz-config.
import NMPSimulator

/// The longest error description accepted: "a few hundred bytes".
let maxMessageBytes = 512
/// The longest a rejection may take (ASan build, ~4 KB input): generous, since the fuzzer
/// shares the machine; a quadratic path over a 4 KB input takes far longer.
let maxErrorDuration = Duration.milliseconds(500)

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    let clock = ContinuousClock()
    let start = clock.now
    let config: MachineConfig
    do {
        config = try MachineConfig(json: bytes, source: "fuzz.json")
    } catch {
        let text = error.description
        let elapsed = clock.now - start
        guard text.utf8.count <= maxMessageBytes else {
            fatalError("error description of \(text.utf8.count) bytes (field \(error.field.utf8.count) bytes, message \(error.message.utf8.count) bytes): \(String(text.unicodeScalars.prefix(200)))...")
        }
        guard elapsed <= maxErrorDuration else { fatalError("rejecting \(size) bytes took \(elapsed): \(text)") }
        return 0
    }
    do {
        try config.validate(source: "fuzz.json")
    } catch {
        fatalError("an accepted config fails validate(): \(error)")
    }
    let text = config.jsonText()
    do {
        let again = try MachineConfig(json: Array(text.utf8), source: "fuzz.jsonText.json")
        guard again == config else { fatalError("jsonText() reads back to another config:\n\(text)") }
    } catch {
        fatalError("jsonText() does not read back: \(error)\n\(text)")
    }
    return 0
}
