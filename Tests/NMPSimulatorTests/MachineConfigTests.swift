import Foundation
import NMPTestSupport
import NMPTrits
import Testing
@testable import NMPSimulator

/// The JSON machine config: defaults against ISA.md 3.1, round trips, partial overrides,
/// and every class of rejection with the exact field it names.
struct MachineConfigTests {
    static let document: String = (try? String(contentsOf: repositoryRoot.appendingPathComponent("ISA.md"), encoding: .utf8)) ?? ""

    /// The lines of ISA.md from the heading that starts with `heading` to the next heading
    /// of level 1 or 2.
    static func section(_ heading: String) -> [Substring] {
        let lines = document.split(separator: "\n", omittingEmptySubsequences: false)
        guard let start = lines.firstIndex(where: { $0.hasPrefix(heading) }) else { return [] }
        let end = lines[(start + 1)...].firstIndex { $0.hasPrefix("# ") || $0.hasPrefix("## ") } ?? lines.endIndex
        return Array(lines[start..<end])
    }

    /// The fenced code blocks of a section with the given info string, in order.
    static func codeBlocks(_ lines: [Substring], language: String) -> [String] {
        var blocks: [String] = []
        var current: [Substring]?
        for line in lines {
            if current == nil, line == "```\(language)" {
                current = []
            } else if current != nil, line == "```" {
                blocks.append(current!.joined(separator: "\n"))
                current = nil
            } else {
                current?.append(line)
            }
        }
        return blocks
    }

    /// A JSON document as a flat map from dotted key to value (JSONSerialization, so that
    /// the check does not depend on the reader under test). Arrays are left whole.
    static func flatten(_ object: Any, prefix: String = "") -> [(String, Any)] {
        guard let dictionary = object as? [String: Any] else { return [(prefix, object)] }
        return dictionary.flatMap { key, value in flatten(value, prefix: prefix.isEmpty ? key : "\(prefix).\(key)") }
    }

    static func parse(_ json: String) throws(ConfigError) -> MachineConfig {
        try MachineConfig(json: Array(json.utf8), source: "machine.json")
    }

    // MARK: Defaults and writing

    /// Every row of ISA.md 3.1's table states the default that `jsonText()` writes, and
    /// every key `jsonText()` writes (outside `energy`) has a row.
    @Test func defaultsMatchTheISATable() throws {
        let rows = Self.section("## 3.1").filter { $0.hasPrefix("| `") }
        #expect(rows.count >= 27)
        let written = try JSONSerialization.jsonObject(with: Data(MachineConfig().jsonText().utf8))
        let values = Dictionary(uniqueKeysWithValues: Self.flatten(written))
        var documented: Set<String> = []
        for row in rows {
            let cells = row.split(separator: "|").map { $0.trimmingCharacters(in: .whitespaces) }
            let key = cells[0].trimmingCharacters(in: CharacterSet(charactersIn: "`"))
            let text = cells[1].trimmingCharacters(in: CharacterSet(charactersIn: "`"))
            documented.insert(key)
            if key == "energy" { continue }
            let value = try #require(values[key], "ISA.md documents '\(key)', which jsonText() does not write")
            if text.hasPrefix("\"") {
                #expect(value as? String == String(text.dropFirst().dropLast()), "\(key)")
            } else {
                let expected = try #require(Double(text), "default of \(key) is not a number: \(text)")
                #expect((value as? NSNumber)?.doubleValue == expected, "\(key): ISA.md says \(text), jsonText() writes \(value)")
            }
        }
        let writtenKeys = Set(values.keys.filter { !$0.hasPrefix("energy.") }).union(["energy"])
        #expect(writtenKeys == documented)
    }

    /// `jsonText()` writes the keys in the order of ISA.md 3.1's table, not alphabetically.
    @Test func keysAreWrittenInTheDocumentedOrder() {
        let documented = Self.section("## 3.1").filter { $0.hasPrefix("| `") }.map { row in
            String(row.dropFirst(3).prefix { $0 != "`" })
        }
        var written: [String] = []
        var parent: String?
        for line in MachineConfig().jsonText().split(separator: "\n") {
            let trimmed = line.drop { $0 == " " }
            let depth = (line.count - trimmed.count) / 2
            guard trimmed.hasPrefix("\""), depth == 1 || depth == 2 else { continue }
            let key = String(trimmed.dropFirst().prefix { $0 != "\"" })
            if depth == 1 {
                let isObject = trimmed.hasSuffix("{")
                parent = isObject ? key : nil
                if !isObject || key == "energy" { written.append(key) }
            } else if let parent, parent != "energy" {
                written.append("\(parent).\(key)")
            }
        }
        #expect(written == documented)
    }

    @Test(arguments: [false, true])
    func jsonTextRoundTrips(_ changed: Bool) throws {
        var config = MachineConfig()
        if changed {
            config.clockGHz = 0.1 + 0.2  // 0.30000000000000004: the shortest round-trip form
            config.vlen = 100
            config.rows = 7
            config.packing = .twoBit
            config.weightSRAM = SRAMConfig(size: 1 << 32, banks: 3, bankWidth: 5)
            config.activationSRAM = SRAMConfig(size: 4096, banks: 1, bankWidth: 65_536)
            config.dramSize = 1
            config.dramBytesPerCycle = 1
            config.dmaLatency = 0
            config.dmaQueueDepth = 65_536
            config.loopDepth = 1
            config.aluLatency = 0
            config.requantLatency = 1_000_000
            config.floatLatency = 0
            config.expLatency = 1_000_000
            config.floatLanes = 3
            config.branchPenalty = 0
            config.energy.tritAdd = 1e-300
            config.energy.dramRead = 999_999.999_999_9
            config.energy.staticPowerMW = 0
            config.energy.int32Div = 1.0 / 3.0
            config.energy.fp32Div = 1.0 / 7.0
            config.energy.sramCurve = [SRAMEnergyPoint(bytes: 1, picojoulesPer64Bit: 0.5)]
        }
        try config.validate()
        let text = config.jsonText()
        #expect(try Self.parse(text) == config)
        #expect(try JSONSerialization.jsonObject(with: Data(text.utf8)) is [String: Any])
    }

    @Test func partialOverrideKeepsEveryOtherDefault() throws {
        let config = try Self.parse("""
            { "vlen": 128, "packing": "2bit", "weightSRAM": { "banks": 4 },
              "energy": { "tritAdd": 0.01, "sramCurve": [ { "bytes": 1024, "picojoulesPer64Bit": 3 } ] } }
            """)
        var expected = MachineConfig()
        expected.vlen = 128
        expected.packing = .twoBit
        expected.weightSRAM.banks = 4
        expected.energy.tritAdd = 0.01
        expected.energy.sramCurve = [SRAMEnergyPoint(bytes: 1024, picojoulesPer64Bit: 3)]
        #expect(config == expected)
        #expect(try Self.parse("{}") == MachineConfig())
        #expect(try Self.parse("\u{FEFF}{ }\n") == MachineConfig())  // byte-order mark and whitespace
    }

    /// Doubles accept integer literals; exponents and negative zero are ordinary numbers.
    @Test func numberForms() throws {
        let config = try Self.parse(#"{ "clockGHz": 2, "energy": { "tritAdd": 7e-3, "tritSkip": -0.0, "dramRead": 1.625E2 } }"#)
        #expect(config.clockGHz == 2)
        #expect(config.energy.tritAdd == 0.007)
        #expect(config.energy.tritSkip == 0)
        #expect(config.energy.dramRead == 162.5)
        let escaped = try Self.parse(#"{ "pack\u0069ng": "\u0032bit" }"#)
        #expect(escaped.packing == .twoBit)
    }

    // MARK: Rejections

    struct Rejection: Sendable, CustomTestStringConvertible {
        var json: String
        var field: String
        var message: String
        var testDescription: String { "\(field.isEmpty ? "<document>" : field): \(message)" }

        init(_ json: String, _ field: String, _ message: String) {
            self.json = json
            self.field = field
            self.message = message
        }
    }

    static let rejections: [Rejection] = [
        // Wrong types.
        Rejection(#"{"vlen": "64"}"#, "vlen", #"must be an integer (got the string "64")"#),
        Rejection(#"{"vlen": true}"#, "vlen", "must be an integer (got true)"),
        Rejection(#"{"clockGHz": false}"#, "clockGHz", "must be a number (got false)"),
        Rejection(#"{"vlen": 1.5}"#, "vlen", "must be an integer (got 1.5)"),
        Rejection(#"{"vlen": 64.0}"#, "vlen", "must be an integer (got 64.0)"),
        Rejection(#"{"dramSize": 1e9}"#, "dramSize", "must be an integer (got 1e9)"),
        Rejection(#"{"vlen": null}"#, "vlen", "must be an integer (got null)"),
        Rejection(#"{"weightSRAM": []}"#, "weightSRAM", "must be an object (got an array)"),
        Rejection(#"{"weightSRAM": 5}"#, "weightSRAM", "must be an object (got 5)"),
        Rejection(#"{"energy": {"sramCurve": {}}}"#, "energy.sramCurve", "must be an array"),
        Rejection(#"{"energy": {"sramCurve": [1]}}"#, "energy.sramCurve[0]", "must be an object (got 1)"),
        Rejection(#"{"energy": {"sramCurve": [{"bytes": 8192.5, "picojoulesPer64Bit": 1}]}}"#, "energy.sramCurve[0].bytes", "must be an integer (got 8192.5)"),
        Rejection(#"{"packing": 3}"#, "packing", "must be a string (got 3)"),
        Rejection(#"{"packing": "3bit"}"#, "packing", #"must be "base3" or "2bit" (got the string "3bit")"#),
        // Out of range numbers.
        Rejection(#"{"clockGHz": 1e400}"#, "clockGHz", "number out of range (got 1e400)"),
        Rejection(#"{"energy": {"tritAdd": -1e400}}"#, "energy.tritAdd", "number out of range (got -1e400)"),
        Rejection(#"{"vlen": 9223372036854775808}"#, "vlen", "integer out of range (got 9223372036854775808)"),
        Rejection(#"{"dmaLatency": -99999999999999999999}"#, "dmaLatency", "integer out of range"),
        // Unknown and duplicate keys.
        Rejection(#"{"vlem": 64}"#, "vlem", "unknown key; did you mean 'vlen'?"),
        Rejection(#"{"weightSram": {}}"#, "weightSram", "unknown key; did you mean 'weightSRAM'?"),
        Rejection(#"{"weightSRAM": {"bank": 4}}"#, "weightSRAM.bank", "unknown key; did you mean 'banks'?"),
        Rejection(#"{"energy": {"tritadd": 0.1}}"#, "energy.tritadd", "unknown key; did you mean 'tritAdd'?"),
        Rejection(#"{"energy": {"sramCurve": [{"byte": 1, "picojoulesPer64Bit": 1}]}}"#, "energy.sramCurve[0].byte", "unknown key; did you mean 'bytes'?"),
        Rejection(#"{"activationSRAM": {"ports": 2}}"#, "activationSRAM.ports", "unknown key; expected 'size', 'banks', 'bankWidth'"),
        Rejection(#"{"frequency": 2}"#, "frequency", "unknown key (ISA.md 3.1 lists the config keys)"),
        Rejection(#"{"vlen": 64, "vlen": 32}"#, "vlen", "key given twice"),
        Rejection(#"{"energy": {"sramCurve": [{"bytes": 1}]}}"#, "energy.sramCurve[0]", "missing key 'picojoulesPer64Bit'"),
        // Constraints of ISA.md 3.1.
        Rejection(#"{"clockGHz": 0}"#, "clockGHz", "must be a finite number from 0.001 to 1000 (got 0.0)"),
        Rejection(#"{"clockGHz": 5e-324}"#, "clockGHz", "must be a finite number from 0.001 to 1000 (got 5e-324)"),
        Rejection(#"{"clockGHz": 1000.5}"#, "clockGHz", "must be a finite number from 0.001 to 1000 (got 1000.5)"),
        Rejection(#"{"energy": {"dramRead": 1.7e308}}"#, "energy.dramRead", "must be a finite number from 0 to 1000000 (got 1.7e+308)"),
        Rejection(#"{"energy": {"staticPowerMW": 1000000.5}}"#, "energy.staticPowerMW", "must be a finite number from 0 to 1000000"),
        Rejection(#"{"energy": {"sramCurve": [{"bytes": 8, "picojoulesPer64Bit": 1.7e308}]}}"#, "energy.sramCurve[0].picojoulesPer64Bit", "must be a finite number from 0 to 1000000"),
        Rejection(#"{"energy": {"sramCurve": [{"bytes": 281474976710657, "picojoulesPer64Bit": 1}]}}"#, "energy.sramCurve[0].bytes", "must be at most 281474976710656 (simulator limit)"),
        Rejection(#"{"vlen": 0}"#, "vlen", "must be at least 1 (got 0)"),
        Rejection(#"{"rows": 0}"#, "rows", "must be at least 1 (got 0)"),
        Rejection(#"{"rows": 65}"#, "rows", "must be at most vlen (64)"),
        Rejection(#"{"weightSRAM": {"size": 0}}"#, "weightSRAM.size", "must be at least 1 (got 0)"),
        Rejection(#"{"activationSRAM": {"size": -4096}}"#, "activationSRAM.size", "must be at least 1 (got -4096)"),
        Rejection(#"{"dramSize": 4294967297}"#, "dramSize", "must be at most 4294967296 (got 4294967297)"),
        Rejection(#"{"weightSRAM": {"size": 415}}"#, "weightSRAM.size", "at least one trit tile, ROWS * ROWBYTES = 32 * 13 = 416 bytes"),
        Rejection(#"{"packing": "2bit", "weightSRAM": {"size": 511}}"#, "weightSRAM.size", "ROWS * ROWBYTES = 32 * 16 = 512 bytes"),
        Rejection(#"{"activationSRAM": {"size": 255}}"#, "activationSRAM.size", "one accumulator register, 4 * VLEN = 256 bytes"),
        Rejection(#"{"weightSRAM": {"banks": 0}}"#, "weightSRAM.banks", "must be at least 1 (got 0)"),
        Rejection(#"{"activationSRAM": {"bankWidth": 0}}"#, "activationSRAM.bankWidth", "must be at least 1 (got 0)"),
        Rejection(#"{"dramBytesPerCycle": 0}"#, "dramBytesPerCycle", "must be at least 1 (got 0)"),
        Rejection(#"{"dmaQueueDepth": 0}"#, "dmaQueueDepth", "must be at least 1 (got 0)"),
        Rejection(#"{"loopDepth": -1}"#, "loopDepth", "must be at least 1 (got -1)"),
        Rejection(#"{"mulLatency": -1}"#, "mulLatency", "must be at least 0 (got -1)"),
        Rejection(#"{"floatLatency": -1}"#, "floatLatency", "must be at least 0 (got -1)"),
        Rejection(#"{"floatLatency": 2.5}"#, "floatLatency", "must be an integer (got 2.5)"),
        Rejection(#"{"expLatency": -1}"#, "expLatency", "must be at least 0 (got -1)"),
        Rejection(#"{"floatLanes": 0}"#, "floatLanes", "must be at least 1 (got 0)"),
        Rejection(#"{"floatLanes": -64}"#, "floatLanes", "must be at least 1 (got -64)"),
        Rejection(#"{"floatLanes": 1.5}"#, "floatLanes", "must be an integer (got 1.5)"),
        Rejection(#"{"energy": {"fp32Div": -1}}"#, "energy.fp32Div", "must be a finite number from 0 to 1000000 (got -1.0)"),
        Rejection(#"{"energy": {"fp32mul": 1}}"#, "energy.fp32mul", "unknown key; did you mean 'fp32Mul'?"),
        Rejection(#"{"dmaLatency": -1}"#, "dmaLatency", "must be at least 0 (got -1)"),
        Rejection(#"{"branchPenalty": -2}"#, "branchPenalty", "must be at least 0 (got -2)"),
        Rejection(#"{"energy": {"tritAdd": -0.5}}"#, "energy.tritAdd", "must be a finite number from 0 to 1000000 (got -0.5)"),
        Rejection(#"{"energy": {"staticPowerMW": -1}}"#, "energy.staticPowerMW", "must be a finite number from 0 to 1000000"),
        Rejection(#"{"energy": {"sramCurve": []}}"#, "energy.sramCurve", "must have at least one point"),
        Rejection(#"{"energy": {"sramCurve": [{"bytes": 0, "picojoulesPer64Bit": 1}]}}"#, "energy.sramCurve[0].bytes", "must be at least 1 (got 0)"),
        Rejection(#"{"energy": {"sramCurve": [{"bytes": 32768, "picojoulesPer64Bit": 20}, {"bytes": 16384, "picojoulesPer64Bit": 10}]}}"#,
                  "energy.sramCurve[1].bytes", "sizes must be strictly increasing: must be greater than 32768 (got 16384)"),
        Rejection(#"{"energy": {"sramCurve": [{"bytes": 8192, "picojoulesPer64Bit": 10}, {"bytes": 8192, "picojoulesPer64Bit": 10}]}}"#,
                  "energy.sramCurve[1].bytes", "strictly increasing"),
        Rejection(#"{"energy": {"sramCurve": [{"bytes": 8192, "picojoulesPer64Bit": -10}]}}"#, "energy.sramCurve[0].picojoulesPer64Bit", "must be a finite number from 0 to 1000000"),
        // Simulator limits.
        Rejection(#"{"vlen": 65537}"#, "vlen", "must be at most 65536 (simulator limit) (got 65537)"),
        Rejection(#"{"vlen": 65536, "rows": 65, "weightSRAM": {"size": 4294967296}, "activationSRAM": {"size": 1048576}}"#,
                  "rows", "rows * vlen must be at most 4194304 (simulator limit)"),
        Rejection(#"{"weightSRAM": {"banks": 65537}}"#, "weightSRAM.banks", "must be at most 65536 (simulator limit)"),
        Rejection(#"{"weightSRAM": {"bankWidth": 65537}}"#, "weightSRAM.bankWidth", "must be at most 65536 (simulator limit)"),
        Rejection(#"{"dramBytesPerCycle": 65537}"#, "dramBytesPerCycle", "must be at most 65536 (simulator limit)"),
        Rejection(#"{"dramBytesPerCycle": 4294967296}"#, "dramBytesPerCycle", "must be at most 65536 (simulator limit) (got 4294967296)"),
        Rejection(#"{"dmaQueueDepth": 65537}"#, "dmaQueueDepth", "must be at most 65536 (simulator limit)"),
        Rejection(#"{"loopDepth": 9223372036854775807}"#, "loopDepth", "must be at most 65536 (simulator limit)"),
        Rejection(#"{"divLatency": 1000001}"#, "divLatency", "must be at most 1000000 (simulator limit)"),
        Rejection(#"{"floatLatency": 1000001}"#, "floatLatency", "must be at most 1000000 (simulator limit) (got 1000001)"),
        Rejection(#"{"expLatency": 1000001}"#, "expLatency", "must be at most 1000000 (simulator limit) (got 1000001)"),
        Rejection(#"{"floatLanes": 65537}"#, "floatLanes", "must be at most 65536 (simulator limit) (got 65537)"),
        Rejection(#"{"branchPenalty": 1000001}"#, "branchPenalty", "must be at most 1000000 (simulator limit)"),
        Rejection(#"{"dmaLatency": 1000000001}"#, "dmaLatency", "must be at most 1000000000 (simulator limit)"),
        // Not a JSON object, or not JSON.
        Rejection("[1, 2]", "", "a machine config must be a JSON object (got an array)"),
        Rejection("64", "", "a machine config must be a JSON object (got 64)"),
        Rejection("", "", "invalid JSON at line 1, column 1: expected a JSON object, found an empty document"),
        Rejection("{\n  \"vlen\": 64,\n  \"rows\": 32 \"x\": 1\n}", "", "invalid JSON at line 3, column 14: expected ',' or '}', found '\"'"),
        Rejection(#"{"vlen": 64,}"#, "", "invalid JSON at line 1, column 13: expected a key in double quotes, found '}'"),
        Rejection(#"{"clockGHz": NaN}"#, "", "invalid JSON at line 1, column 14: expected a value, found 'N'"),
        Rejection(#"{"vlen": 064}"#, "", "leading zeros"),
        Rejection(#"{"vlen": 6"#, "", "expected ',' or '}', found end of file"),
        Rejection(#"{"vlen": 1} {}"#, "", "unexpected '{' after the JSON value"),
        Rejection("{\"packing\": \"base3\n\"}", "", "control character in string"),
        Rejection(#"{"packing": "\x"}"#, "", "invalid escape sequence"),
        Rejection(#"{"packing": "\ud800"}"#, "", "unpaired UTF-16 surrogate"),
        Rejection(#"{"packing": "base3}"#, "", "unterminated string"),
        Rejection(String(repeating: "[", count: 100) + String(repeating: "]", count: 100), "", "nested more than 64 levels deep"),
    ]

    @Test(arguments: rejections)
    func rejects(_ rejection: Rejection) {
        #expect {
            _ = try Self.parse(rejection.json)
        } throws: { error in
            guard let error = error as? ConfigError else { return false }
            #expect(error.source == "machine.json")
            #expect(error.field == rejection.field, "\(error)")
            #expect(error.message.contains(rejection.message), "\(error)")
            return true
        }
    }

    /// A key or value with control characters is quoted escaped: a newline or a terminal
    /// escape sequence in a file never reaches the terminal raw.
    @Test func controlCharactersAreEscapedInMessages() {
        #expect {
            _ = try Self.parse("{\"vl\\nen\\u001b[31m\": 1}")
        } throws: { error in
            let message = (error as? ConfigError)?.description ?? ""
            return !message.contains("\n") && !message.contains("\u{1B}") && message.contains("vl\\nen\\u{1B}[31m")
        }
        #expect {
            _ = try Self.parse("{\"packing\": \"ba\\tse3\"}")
        } throws: { error in
            let message = (error as? ConfigError)?.description ?? ""
            return !message.contains("\t") && message.contains("ba\\tse3")
        }
    }

    @Test func invalidUTF8IsRejected() {
        let bytes: [UInt8] = Array(#"{"packing": ""#.utf8) + [0xC3, 0x28] + Array(#""}"#.utf8)
        #expect(throws: ConfigError.self) { try MachineConfig(json: bytes, source: "x.json") }
    }

    @Test func errorDescriptionNamesSourceAndField() {
        let field = ConfigError(source: "machine.json", field: "weightSRAM.banks", message: "must be at least 1 (got 0)")
        #expect(field.description == "machine.json: field 'weightSRAM.banks': must be at least 1 (got 0)")
        let document = ConfigError(source: "machine.json", field: "", message: "invalid JSON at line 1, column 1: x")
        #expect(document.description == "machine.json: invalid JSON at line 1, column 1: x")
    }

    /// A config built in code is checked by `validate()` with the same messages.
    @Test func validateChecksConfigsBuiltInCode() throws {
        try MachineConfig().validate()
        var config = MachineConfig()
        config.energy.fp16Mul = .nan
        #expect(throws: ConfigError(source: "<config>", field: "energy.fp16Mul", message: "must be a finite number from 0 to 1000000 (got nan)")) {
            try config.validate()
        }
        config = MachineConfig()
        config.clockGHz = .infinity
        #expect(throws: ConfigError(source: "run", field: "clockGHz", message: "must be a finite number from 0.001 to 1000 (got inf)")) {
            try config.validate(source: "run")
        }
    }

    /// The simulator limits themselves are accepted.
    @Test func limitsAreInclusive() throws {
        let config = try Self.parse("""
            { "vlen": 65536, "rows": 64, "weightSRAM": { "size": 4294967296, "banks": 65536, "bankWidth": 65536 },
              "activationSRAM": { "size": 262144 }, "dramSize": 4294967296, "dramBytesPerCycle": 65536,
              "dmaLatency": 1000000000, "dmaQueueDepth": 65536, "loopDepth": 65536, "divLatency": 1000000,
              "floatLatency": 1000000, "expLatency": 1000000, "floatLanes": 65536, "branchPenalty": 1000000 }
            """)
        #expect(config.rows * config.vlen == MachineConfig.maxMatrixTrits)
    }

    // MARK: ISA.md 3.4 and 3.5

    /// The example config of ISA.md 3.5 is valid and means what the text says.
    @Test func exampleConfigOfTheISAParses() throws {
        let block = try #require(Self.codeBlocks(Self.section("## 3.5"), language: "json").first)
        let config = try Self.parse(block)
        #expect(config.vlen == 128 && config.rows == 64 && config.packing == .twoBit)
        #expect(config.weightSRAM == SRAMConfig(size: 524_288, banks: 32, bankWidth: 8))
        #expect(config.activationSRAM == MachineConfig().activationSRAM)
        #expect(config.energy.sramCurve.count == 2)
        #expect(config.energy.tritAdd == MachineConfig().energy.tritAdd)
    }

    /// The error lines shown in ISA.md 3.5 are what the reader really says.
    @Test(arguments: [
        (#"{"weightSRAM": {"banks": 0}}"#, "machine.json: field 'weightSRAM.banks': must be at least 1 (got 0)"),
        (#"{"vlem": 64}"#, "machine.json: field 'vlem': unknown key; did you mean 'vlen'?"),
        (#"{"energy": {"sramCurve": [{"bytes": 32768, "picojoulesPer64Bit": 20}, {"bytes": 16384, "picojoulesPer64Bit": 10}]}}"#,
         "machine.json: field 'energy.sramCurve[1].bytes': sizes must be strictly increasing: must be greater than 32768 (got 16384)"),
        ("{\n  \"vlen\": 64,\n  \"rows\": 32 \"x\": 1\n}", "machine.json: invalid JSON at line 3, column 14: expected ',' or '}', found '\"'"),
    ])
    func errorExamplesOfTheISAAreReal(_ json: String, _ line: String) {
        #expect(Self.codeBlocks(Self.section("## 3.5"), language: "text").joined(separator: "\n").contains(line))
        #expect(throws: ConfigError.self) { try Self.parse(json) }
        do {
            _ = try Self.parse(json)
        } catch {
            #expect(error.description == line)
        }
    }

    /// The `energy` object shown in ISA.md 3.4 is exactly what `jsonText()` writes.
    @Test func energyObjectOfTheISAIsCurrent() throws {
        let block = try #require(Self.codeBlocks(Self.section("## 3.4"), language: "json").first)
        let indented = block.split(separator: "\n", omittingEmptySubsequences: false).map { "  " + $0 }.joined(separator: "\n")
        #expect(MachineConfig().jsonText().contains(indented), "regenerate the block from `nmp config`")
    }

    // MARK: Robustness

    /// Random corruptions of a valid config never crash the reader: each is accepted or
    /// rejected with a ConfigError.
    @Test func corruptedDocumentsNeverCrash() {
        var rng = SplitMix64(seed: 0x00C0_FF16)
        let base = Array(MachineConfig().jsonText().utf8)
        let alphabet = Array(#"{}[],:"\ 0123456789.eE+-truefalsnl"#.utf8) + [0x00, 0x80, 0xFF, 0x0A]
        var accepted = 0
        for _ in 0..<2_000 {
            var bytes = base
            for _ in 0...(rng.next() % 4) {
                let position = Int(rng.next() % UInt64(bytes.count))
                switch rng.next() % 3 {
                case 0: bytes[position] = alphabet[Int(rng.next() % UInt64(alphabet.count))]
                case 1: bytes.remove(at: position)
                default: bytes.insert(alphabet[Int(rng.next() % UInt64(alphabet.count))], at: position)
                }
            }
            if (try? MachineConfig(json: bytes, source: "fuzz")) != nil { accepted += 1 }
        }
        #expect(accepted < 2_000)
    }
}
