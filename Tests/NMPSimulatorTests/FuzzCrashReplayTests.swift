import Foundation
import NMPTestSupport
import Testing
@testable import NMPSimulator

/// Every input the fuzz-config target (fuzz/FuzzMachineConfig.swift) ever crashed on, and
/// the tricky inputs kept with them (fuzz/crashes/config), replayed with the target's
/// checks: `MachineConfig(json:source:)` answers with a config or an error; an accepted
/// config passes `validate()` and its `jsonText()` reads back to an equal config; an error's
/// description is at most a few hundred bytes however long the key, string or number it
/// quotes, and comes quickly.
struct MachineConfigFuzzCrashReplayTests {
    @Test(arguments: repositoryFiles(in: "fuzz/crashes/config"))
    func configInput(_ name: String) throws {
        let url = repositoryRoot.appendingPathComponent("fuzz/crashes/config/\(name)")
        let bytes = [UInt8](try Data(contentsOf: url))
        let clock = ContinuousClock()
        let start = clock.now
        let config: MachineConfig
        do throws(ConfigError) {
            config = try MachineConfig(json: bytes, source: name)
        } catch {
            let elapsed = clock.now - start
            #expect(error.description.utf8.count <= 512, "\(name): \(error.description.utf8.count) bytes")
            #expect(elapsed < .seconds(2), "\(name): \(elapsed)")  // milliseconds; a wide margin for loaded machines
            return
        }
        #expect(throws: Never.self) { try config.validate(source: name) }
        #expect(try MachineConfig(json: Array(config.jsonText().utf8), source: "again") == config, "\(name)")
    }

    /// Quoting keeps every message short: at most 64 Unicode scalars of a key, 40 of a
    /// string or number, counted in scalars since one character may hold any number of
    /// combining marks (fuzz/crashes/config/*-quoted-in-full.json, *-in-summary.json).
    @Test func quotedValuesAreShortened() {
        let marks = "a" + String(repeating: "\u{301}", count: 1000)
        #expect(Suggestion.quoted(marks) == "a" + String(repeating: "\u{301}", count: 63) + "... (2001 bytes)")
        #expect(Suggestion.quoted("vlen") == "vlen")
        func message(_ json: String) -> String {
            do {
                _ = try MachineConfig(json: Array(json.utf8), source: "m.json")
                return ""
            } catch {
                return error.description
            }
        }
        let digits = "1" + String(repeating: "0", count: 500)
        #expect(message(#"{"vlen": \#(digits)}"#)
                == "m.json: field 'vlen': integer out of range (got \(digits.prefix(40))... (501 bytes))")
        #expect(message(#"{"packing": "\#(marks)"}"#)
                == "m.json: field 'packing': must be \"base3\" or \"2bit\" (got the string \"a\(String(repeating: "\u{301}", count: 39))... (2001 bytes)\")")
        #expect(message(#"{"energy": {"\#(marks)": 1}}"#).utf8.count < 300)
        #expect(message(#"{"rows": 32.\#(String(repeating: "5", count: 100))}"#).hasSuffix("(got 32.\(String(repeating: "5", count: 37))... (103 bytes))"))
    }
}
