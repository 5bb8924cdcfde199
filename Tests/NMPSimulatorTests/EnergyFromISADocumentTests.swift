import Foundation
import NMPISA
import NMPSimulator
import NMPTestSupport
import Testing

/// The energy table and the energy of a run against the numbers written in ISA.md, not
/// against the code's own `picojoules(per:)` or `EnergyTable` defaults: ISA.md 3.4's table
/// of defaults and its JSON block, read from the document and compared with `EnergyTable()`
/// both ways; and one run whose total energy is a sum of ISA.md's prices written out by hand.
struct EnergyFromISADocumentTests {
    static let document: String = (try? String(contentsOf: repositoryRoot.appendingPathComponent("ISA.md"), encoding: .utf8)) ?? ""

    /// The lines of the section whose heading starts with `heading`, up to the next heading
    /// of level 1 or 2.
    static func lines(of heading: String) -> [Substring] {
        let all = document.split(separator: "\n", omittingEmptySubsequences: false)
        guard let start = all.firstIndex(where: { $0.hasPrefix(heading) }) else { return [] }
        let end = all[(start + 1)...].firstIndex { $0.hasPrefix("# ") || $0.hasPrefix("## ") } ?? all.endIndex
        return Array(all[start..<end])
    }

    /// The cells of a markdown table row, trimmed.
    static func cells(_ row: Substring) -> [String] {
        row.split(separator: "|", omittingEmptySubsequences: false).dropFirst().dropLast()
            .map { $0.trimmingCharacters(in: .whitespaces) }
    }

    /// The `key` names in a cell such as "`registerRead`, `registerWrite`".
    static func keys(in cell: String) -> [String] {
        cell.split(separator: "`", omittingEmptySubsequences: false).enumerated().filter { $0.offset % 2 == 1 }.map { String($0.element) }
    }

    /// One row of ISA.md 3.4's table of defaults.
    struct Row {
        let keys: [String]
        /// The default as written, before any "(= ...)" derivation: "0.0233", "0.16, 0.34".
        let shown: String
        /// The derivation in "(= ...)", if any: "0.1 * 0.007 / 0.03", "32 * `int32Add`".
        let derivation: String?
    }

    /// The rows of the table of defaults: those whose header is `| key | default | ...`.
    static func defaultRows() -> [Row] {
        var rows: [Row] = []
        var inTable = false
        for line in lines(of: "## 3.4") {
            if line.hasPrefix("| key | default |") { inTable = true; continue }
            guard inTable else { continue }
            guard line.hasPrefix("|") else { break }
            if line.hasPrefix("|---") { continue }
            let row = cells(line)
            let value = row[1]
            var derivation: String?
            if let open = value.range(of: "(= "), let close = value.range(of: ")", range: open.upperBound..<value.endIndex) {
                derivation = String(value[open.upperBound..<close.lowerBound])
            }
            let shown = value.prefix { $0 != "(" }.trimmingCharacters(in: .whitespaces)
            rows.append(Row(keys: keys(in: row[0]), shown: shown, derivation: derivation))
        }
        return rows
    }

    /// The JSON block of defaults in ISA.md 3.4 (`"energy": { ... }`), parsed with
    /// JSONSerialization as the member of an object.
    static func jsonDefaults() throws -> [String: Any] {
        var block: [Substring] = []
        var inside = false
        for line in lines(of: "## 3.4") {
            if !inside, line == "```json" { inside = true; continue }
            if inside, line == "```" { break }
            if inside { block.append(line) }
        }
        let text = "{" + block.joined(separator: "\n") + "}"
        let object = try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any]
        return try #require(object?["energy"] as? [String: Any], "ISA.md 3.4 has no JSON block with an \"energy\" object")
    }

    /// The stored properties of `EnergyTable()`, by name: what the code has, found by
    /// reflection rather than by the JSON writer or the config reader.
    static func tableValues() -> [String: Any] {
        var values: [String: Any] = [:]
        for child in Mirror(reflecting: EnergyTable()).children {
            if let label = child.label { values[label] = child.value }
        }
        return values
    }

    /// A number written with `decimals` digits after the point stands for any value within
    /// half a unit of its last digit.
    static func decimals(_ shown: String) -> Int { shown.split(separator: ".").dropFirst().first?.count ?? 0 }

    /// A derivation of the form `a * b / c ...` (numbers and `key` names, * and / only)
    /// evaluated left to right, with keys taken from `values`.
    static func evaluate(_ derivation: String, _ values: [String: Double]) -> Double? {
        let tokens = derivation.split(separator: " ").map(String.init)
        func operand(_ token: String) -> Double? {
            token.hasPrefix("`") ? values[token.trimmingCharacters(in: CharacterSet(charactersIn: "`"))] : Double(token)
        }
        guard let first = tokens.first, var result = operand(first), tokens.count % 2 == 1 else { return nil }
        var i = 1
        while i < tokens.count {
            guard let rhs = operand(tokens[i + 1]) else { return nil }
            switch tokens[i] {
            case "*": result *= rhs
            case "/": result /= rhs
            default: return nil
            }
            i += 2
        }
        return result
    }

    @Test func documentHasTheTableAndTheBlock() throws {
        #expect(Self.defaultRows().count >= 15)
        #expect(try Self.jsonDefaults().count >= 20)
        #expect(Self.tableValues().count >= 20)
    }

    /// The keys: ISA.md's table, ISA.md's JSON block and `EnergyTable`'s stored properties
    /// name the same set, each key once in the table.
    @Test func theSameKeysInTheTableTheBlockAndTheCode() throws {
        let tableKeys = Self.defaultRows().flatMap(\.keys)
        #expect(tableKeys.count == Set(tableKeys).count, "a key appears twice in ISA.md 3.4's table: \(tableKeys)")
        let code = Set(Self.tableValues().keys)
        let documented = Set(tableKeys)
        #expect(documented.subtracting(code).isEmpty, "in ISA.md's table but not in EnergyTable: \(documented.subtracting(code).sorted())")
        #expect(code.subtracting(documented).isEmpty, "in EnergyTable but not in ISA.md's table: \(code.subtracting(documented).sorted())")
        let block = Set(try Self.jsonDefaults().keys)
        #expect(block.subtracting(code).isEmpty, "in ISA.md's JSON block but not in EnergyTable: \(block.subtracting(code).sorted())")
        #expect(code.subtracting(block).isEmpty, "in EnergyTable but not in ISA.md's JSON block: \(code.subtracting(block).sorted())")
    }

    /// Every event of ISA.md 3.3's table is an `EnergyEvent` and vice versa, and every event
    /// except the four SRAM events (priced by `sramCurve`, as 3.4 says) has a price key of its
    /// own name in 3.4's table; the remaining keys are the curve and static power (the FP16
    /// prices became the FP16 array's events `fp16Mul` and `fp16Add`, ISA.md 3.3).
    @Test func everyEventOfSection33HasItsPrice() {
        var events: [String] = []
        var inTable = false
        for line in Self.lines(of: "## 3.3") {
            if line.hasPrefix("| event |") { inTable = true; continue }
            guard inTable else { continue }
            guard line.hasPrefix("|") else { break }
            if line.hasPrefix("|---") { continue }
            events += Self.keys(in: Self.cells(line)[0])
        }
        #expect(Set(events) == Set(EnergyEvent.allCases.map(\.rawValue)))
        let sramEvents: Set = ["weightSRAMRead", "weightSRAMWrite", "activationSRAMRead", "activationSRAMWrite"]
        let priced = Set(events).subtracting(sramEvents)
        let keys = Set(Self.defaultRows().flatMap(\.keys))
        #expect(priced.subtracting(keys).isEmpty, "events without a price key: \(priced.subtracting(keys).sorted())")
        #expect(keys.subtracting(priced) == ["sramCurve", "staticPowerMW"])
    }

    /// Each value of ISA.md's JSON block is exactly `EnergyTable()`'s; each value in the
    /// table is the code's value (exactly where written without a derivation, else rounded to
    /// the digits shown), and each "(= ...)" derivation evaluates to it.
    @Test func defaultsEqualTheDocumentedNumbers() throws {
        let code = Self.tableValues()
        let block = try Self.jsonDefaults()
        var scalars: [String: Double] = [:]
        for (key, value) in code {
            if let number = value as? Double { scalars[key] = number }
        }
        #expect(scalars.count == code.count - 1, "every key but sramCurve holds a Double")
        for (key, value) in scalars {
            let documented = try #require((block[key] as? NSNumber)?.doubleValue, "\(key) missing from the JSON block")
            // Within one ulp: Foundation's JSON parser on Linux can miss the last bit of a
            // 17-digit number (the block is printed from the code, shortest round-trip form).
            #expect(abs(documented - value) <= value.ulp, "\(key): ISA.md's JSON block says \(documented), EnergyTable() has \(value)")
        }
        for row in Self.defaultRows() where row.keys != ["sramCurve"] {
            let numbers = row.shown.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
            #expect(numbers.count == 1 || numbers.count == row.keys.count, "\(row.keys): '\(row.shown)'")
            for (i, key) in row.keys.enumerated() {
                let shown = numbers.count == row.keys.count ? numbers[i] : numbers[0]
                let written = try #require(Double(shown), "\(key): '\(shown)' is not a number")
                let value = try #require(scalars[key], "\(key)")
                if row.derivation == nil {
                    #expect(value == written, "\(key): ISA.md's table says \(shown), EnergyTable() has \(value)")
                } else {
                    let halfUnit = 0.5 * pow(10, -Double(Self.decimals(shown)))
                    #expect(abs(value - written) <= halfUnit, "\(key): ISA.md's table shows \(shown), EnergyTable() has \(value)")
                }
            }
            if let derivation = row.derivation {
                let derived = try #require(Self.evaluate(derivation, scalars), "cannot evaluate '\(derivation)'")
                for key in row.keys {
                    let value = try #require(scalars[key])
                    #expect(abs(derived - value) <= 1e-12 * abs(value), "\(key): ISA.md derives \(derivation) = \(derived), EnergyTable() has \(value)")
                }
            }
        }
    }

    /// The SRAM curve: the table's "10, 20, 100 at 8192, 32768, 1048576 bytes", the JSON
    /// block's array and `EnergyTable().sramCurve` are the same points.
    @Test func sramCurveEqualsTheDocumentedPoints() throws {
        let row = try #require(Self.defaultRows().first { $0.keys == ["sramCurve"] })
        let parts = row.shown.components(separatedBy: " at ")
        #expect(parts.count == 2, "'\(row.shown)'")
        let energies = parts[0].split(separator: ",").compactMap { Double($0.trimmingCharacters(in: .whitespaces)) }
        let sizes = parts[1].replacingOccurrences(of: "bytes", with: "").split(separator: ",").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }
        let curve = EnergyTable().sramCurve
        #expect(sizes == curve.map(\.bytes))
        // The table rounds to the digits it shows (the JSON block below is exact).
        let shown = parts[0].split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        #expect(energies.count == curve.count)
        for (i, point) in curve.enumerated() where i < energies.count {
            #expect(abs(energies[i] - point.picojoulesPer64Bit) <= 0.5 * pow(10, -Double(Self.decimals(shown[i]))), "\(shown[i])")
        }
        let points = try #require(try Self.jsonDefaults()["sramCurve"] as? [[String: Any]])
        #expect(points.compactMap { ($0["bytes"] as? NSNumber)?.intValue } == curve.map(\.bytes))
        let parsed = points.compactMap { ($0["picojoulesPer64Bit"] as? NSNumber)?.doubleValue }
        #expect(parsed.count == curve.count && zip(parsed, curve).allSatisfy { abs($0 - $1.picojoulesPer64Bit) <= $1.picojoulesPer64Bit.ulp })
        #expect(points.allSatisfy { Set($0.keys) == ["bytes", "picojoulesPer64Bit"] })
    }

    // MARK: - One run priced by hand

    /// Eight instructions: scalar, one `ldv` and one `stv` of 8 lanes, a multiply and a DMA
    /// of the stored bytes to DRAM.
    ///
    /// Cycles by ISA.md chapter 6 (default latencies; 6.1, 6.2, 6.5, 6.6):
    ///
    ///     pc  instruction            issue  why
    ///     0   addi  r1, r0, 8          0    r1 ready at 1
    ///     1   setvl r0, r1             1    vl ready at 2
    ///     2   ldv   v0, [r0 + 16]      2    8 bytes in word 2: banks 1; v0 ready at 2 + 0 + 2 = 4
    ///     3   stv   v0, [r0 + 32]      4    could issue at 3; v0 ready at 4 (data 1)
    ///     4   mul   r3, r1, r1         5    r3 ready at 5 + 3 = 8
    ///     5   addi  r2, r0, 32         6    r2 ready at 7
    ///     6   dmas  r0, r2, r1         7    start 8, duration 100 + ceil(8 / 64) = 101, end 109
    ///     7   halt                   109    could issue at 8; the transfer ends at 109 (drain 101)
    ///
    /// Total: 110 cycles = 8 instructions + 102 stall cycles.
    ///
    /// Events by the "Energy:" lines of ISA.md chapter 7 (vl = 8, len = 8):
    ///
    ///     instruction          8  (1 each)
    ///     registerRead        48  addi 4 + setvl 4 + ldv 4 + stv (4 + vl) 12 + mul 8 + addi 4 + dmas 12
    ///     registerWrite       24  addi 4 + setvl 4 + ldv vl 8 + mul 4 + addi 4
    ///     int32Add             5  addi, setvl, ldv, stv, addi
    ///     int32Mul             1  mul
    ///     activationSRAMRead  16  ldv vl 8 + dmas len 8
    ///     activationSRAMWrite  8  stv vl 8
    ///     dramWrite            8  dmas len 8
    static let program = """
                .adata
                .space 16
        src:    .byte 1, 2, 3, 4, 5, 6, 7, 8
                .text
                addi  r1, r0, 8
                setvl r0, r1
                ldv   v0, [r0 + 16]
                stv   v0, [r0 + 32]
                mul   r3, r1, r1
                addi  r2, r0, 32
                dmas  r0, r2, r1
                halt
        """

    /// The machines the program runs on, and the expected total energy on each, written as
    /// ISA.md's prices times the counts above (not computed with the code's table).
    static let pricedRuns: [(name: String, config: MachineConfig, picojoules: Double)] = {
        // Default machine (ISA.md 3.1, 3.4): activation SRAM 64 KiB = 2^16 on the SRAM
        // curve: 20 + (16 - 15) / (20 - 15) * 80 = 36 pJ per 64 bits, 36 / 8 = 4.5 pJ per
        // byte; static 20 mW at 1 GHz = 20 pJ per cycle.
        // The `bitnet-7nm` preset (ISA.md 3.4: 7 nm arithmetic, 45 nm memories).
        var bitnet = MachineConfig()
        bitnet.energy = TechnologyPreset.named("bitnet-7nm")!.energy
        let defaults = 8 * 5.0                  /* instruction */
            + 48 * 0.25                         /* registerRead */
            + 24 * 0.25                         /* registerWrite */
            + 5 * (0.1 * 0.007 / 0.03)          /* int32Add = 0.0233 */
            + 1 * 1.085                         /* int32Mul */
            + (16 + 8) * (36.0 / 8)             /* activationSRAMRead + Write at 4.5 pJ/byte */
            + 8 * 162.5                         /* dramWrite */
            + 110 * (20.0 / 1.0)                /* static: 20 mW / 1 GHz per cycle */
        // 3667.2016666...
        // A 8 KiB activation SRAM (a curve point: 10 pJ per 64 bits, 1.25 per byte) and a
        // 2 GHz clock (20 mW / 2 GHz = 10 pJ per cycle); banks and latencies unchanged, so
        // the same 110 cycles.
        var small = bitnet
        small.activationSRAM.size = 8192
        small.clockGHz = 2
        let smallTotal = 8 * 5.0 + 48 * 0.25 + 24 * 0.25 + 5 * (0.1 * 0.007 / 0.03) + 1 * 1.085
            + (16 + 8) * (10.0 / 8)             /* activation SRAM at 1.25 pJ/byte */
            + 8 * 162.5
            + 110 * (20.0 / 2.0)                /* static: 10 pJ per cycle */
        // 2489.2016666...
        // The default, 7nm-lpddr: memories at 45 nm times 0.38 / 0.9, so instruction 10 *
        // 0.38 / 0.9 / 8 * 4, registers 0.25 * 0.38 / 0.9, the 64 KiB activation SRAM at
        // (20 + (16 - 15) / 5 * 80) * 0.38 / 0.9 / 8 = 36 * 0.38 / 0.9 / 8 pJ per byte,
        // DRAM 160 pJ per byte; arithmetic and static as above.
        let scale = 0.38 / 0.9
        let lpddr = 8 * (10 * scale / 8 * 4) + 48 * (0.25 * scale) + 24 * (0.25 * scale)
            + 5 * (0.1 * 0.007 / 0.03) + 1 * 1.085
            + (16 + 8) * (36.0 * scale / 8)
            + 8 * 160.0
            + 110 * (20.0 / 1.0)
        return [("bitnet-7nm", bitnet, defaults), ("bitnet-7nm, 8 KiB activation SRAM, 2 GHz", small, smallTotal),
                ("default (7nm-lpddr)", MachineConfig(), lpddr)]
    }()

    @Test(arguments: pricedRuns.indices)
    func totalEnergyOfATinyProgramIsTheHandSum(_ index: Int) throws {
        let (name, config, expected) = Self.pricedRuns[index]
        let run = try Run(Self.program, config: config)
        #expect(run.result.halted, "\(name)")
        #expect(run.cycles == 110, "\(name): cycles \(run.cycles), ISA.md's rules give 110")
        #expect(run.result.counters.retired == 8)
        // The DMA really moved the stored vector to DRAM.
        #expect(run.simulator.read(.dram, at: 0, count: 8) == [1, 2, 3, 4, 5, 6, 7, 8], "\(name)")
        let total = run.result.energy.total
        #expect(abs(total - expected) <= 1e-9 * expected, "\(name): total \(total) pJ, by hand \(expected) pJ")
    }

    /// The two hand sums, evaluated: a check of the arithmetic in the comments above.
    @Test func handSumsAreWhatTheCommentsSay() {
        #expect(abs(Self.pricedRuns[0].picojoules - 3667.2016666666667) < 1e-9)
        #expect(abs(Self.pricedRuns[1].picojoules - 2489.2016666666667) < 1e-9)
    }
}
