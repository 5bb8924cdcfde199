import Foundation
import NMPTestSupport
import Testing
@testable import NMPSimulator

/// The energy tables: the default's sourced values, the 71.4x check, the presets, and the
/// SRAM curve (its arithmetic on the `bitnet-7nm` preset's points, Horowitz's at 45 nm).
struct EnergyTableTests {
    let table = TechnologyPreset.named("bitnet-7nm")!.energy

    /// The b1.58 paper's "71.4 times" less arithmetic energy for matrix multiplication at
    /// 7 nm is an FP16 multiply and add per MAC against one INT8 add: (0.16 + 0.34) / 0.007,
    /// in every preset built on BitNet's Table 2; 45 nm gives (0.4 + 1.1) / 0.03 = 50.
    @Test(arguments: ["7nm-lpddr", "7nm-hbm2", "bitnet-7nm"])
    func reproducesTheBitNetRatio(_ preset: String) throws {
        let table = try #require(TechnologyPreset.named(preset)).energy
        let ratio = (table.fp16Add + table.fp16Mul) / table.tritAdd
        #expect(abs(ratio - 500.0 / 7.0) < 1e-9)
        #expect((ratio * 10).rounded() / 10 == 71.4)
        let h = try #require(TechnologyPreset.named("45nm")).energy
        #expect(abs((h.fp16Add + h.fp16Mul) / h.tritAdd - 50) < 1e-9)
    }

    /// Each default (the 7nm-lpddr preset) is its source's figure or the stated derivation
    /// from it (ISA.md 3.4).
    @Test func defaultsFollowTheirSources() {
        let table = EnergyTable()
        #expect(table == TechnologyPreset.standard.energy && TechnologyPreset.standard.name == "7nm-lpddr")
        // BitNet (arXiv 2310.11453) Table 2, 7 nm.
        #expect(table.tritAdd == 0.007 && table.tritSub == 0.007 && table.int8Op == 0.007)
        #expect(table.tritSkip == 0)
        #expect(table.fp16Add == 0.16 && table.fp16Mul == 0.34)
        #expect(table.fp32Add == 0.38 && table.fp32Mul == 1.31)
        // Horowitz 45 nm figures scaled by BitNet's INT8 7 nm / 45 nm ratios.
        #expect(abs(table.int32Add - 0.1 * (0.007 / 0.03)) < 1e-15)
        #expect(abs(table.int32Mul - 3.1 * (0.07 / 0.2)) < 1e-12)
        // Estimates: 32 add steps per divide, 5 int8 operations per unpacked byte.
        #expect(abs(table.int32Div - 32 * table.int32Add) < 1e-12)
        #expect(abs(table.tritUnpack - 5 * table.int8Op) < 1e-15)
        // Estimate: an iterative float32 divider, about 10 float32 multiplies.
        #expect(abs(table.fp32Div - 10 * table.fp32Mul) < 1e-12)
        // Estimate: memories at 45 nm (Han: 1 pJ per 32-bit register access; Horowitz: 10,
        // 20, 100 pJ per 64 bits) times BitNet's FP32-add ratio 0.38 / 0.9.
        let scale = 0.38 / 0.9
        #expect(abs(table.registerRead - 0.25 * scale) < 1e-15 && table.registerWrite == table.registerRead)
        #expect(zip(table.sramCurve, [(8192, 10.0), (32768, 20.0), (1_048_576, 100.0)]).allSatisfy {
            $0.bytes == $1.0 && abs($0.picojoulesPer64Bit - $1.1 * scale) < 1e-12
        })
        // Dally, Hot Chips 2023: LPDDR, 640 pJ per 32-bit word.
        #expect(table.dramRead == 640.0 / 4 && table.dramWrite == 640.0 / 4)
        // Instruction fetch: one 4-byte word from an 8 KiB array on the same curve.
        #expect(abs(table.instruction - 4 * table.sramPicojoulesPerByte(size: 8192)) < 1e-12)
        #expect(table.staticPowerMW == 20)
    }

    /// The presets: every energy key priced once with a source, in ISA.md 3.4's order; the
    /// memory figures as ISA.md's preset table gives them.
    @Test(arguments: TechnologyPreset.all.map(\.name))
    func presetsPriceEveryKey(_ name: String) throws {
        let preset = try #require(TechnologyPreset.named(name))
        #expect(preset.prices.map(\.key) == EnergyTable.keys)
        #expect(preset.prices.allSatisfy { !$0.source.isEmpty })
        var config = MachineConfig()
        config.energy = preset.energy
        #expect(throws: Never.self) { try config.validate() }
        let dram = ["7nm-lpddr": 160.0, "7nm-hbm2": 3.97 * 8, "bitnet-7nm": 162.5, "45nm": 162.5][name]
        #expect(preset.energy.dramRead == dram && preset.energy.dramWrite == dram)
        #expect(MachineConfigTests.section("## 3.4").contains { $0.hasPrefix("| `\(name)`") }, "ISA.md 3.4 lists \(name)")
    }

    /// `bitnet-7nm` is the table nmp used before presets.
    @Test func bitnet7nmIsTheFormerDefault() {
        #expect(table.instruction == 5 && table.registerRead == 0.25 && table.registerWrite == 0.25)
        #expect(table.dramRead == 1300.0 / 8 && table.dramWrite == 1300.0 / 8)
        #expect(table.sramCurve == [
            SRAMEnergyPoint(bytes: 8192, picojoulesPer64Bit: 10),
            SRAMEnergyPoint(bytes: 32768, picojoulesPer64Bit: 20),
            SRAMEnergyPoint(bytes: 1_048_576, picojoulesPer64Bit: 100),
        ])
        var other = EnergyTable()
        other = other.replacing(with: table, except: ["dramRead", "sramCurve"])
        #expect(other.instruction == 5 && other.dramRead == 160 && other.dramWrite == 162.5 && other.sramCurve == EnergyTable().sramCurve)
    }

    /// At Horowitz's three array sizes the price is his figure per 64 bits, divided by 8,
    /// exactly.
    @Test(arguments: [(8192, 10.0), (32768, 20.0), (1_048_576, 100.0)])
    func curvePointsAreExact(_ size: Int, _ per64Bit: Double) {
        #expect(table.sramPicojoulesPerByte(size: size) == per64Bit / 8)
    }

    /// Between points the curve is linear in log2(size): computed here by hand.
    @Test func interpolatesAtTheDefaultSRAMSizes() {
        // 256 KiB = 2^18 lies between 2^15 (20 pJ) and 2^20 (100 pJ).
        let weight = (20.0 + (18.0 - 15.0) / (20.0 - 15.0) * 80.0) / 8  // 68 / 8
        #expect(weight == 8.5)
        #expect(abs(table.sramPicojoulesPerByte(size: 262_144) - weight) < 1e-12)
        let activation = (20.0 + (16.0 - 15.0) / (20.0 - 15.0) * 80.0) / 8  // 36 / 8
        #expect(abs(table.sramPicojoulesPerByte(size: 65_536) - activation) < 1e-12)
        // 16 KiB = 2^14, between 2^13 (10 pJ) and 2^15 (20 pJ).
        #expect(abs(table.sramPicojoulesPerByte(size: 16_384) - 15.0 / 8) < 1e-12)
        #expect(abs(table.sramPicojoulesPerByte(size: MachineConfig().weightSRAM.size) - 8.5) < 1e-12)
    }

    /// Outside its points the curve extends its end segments, and never goes below 0.
    @Test func extrapolatesAndFloorsAtZero() {
        // 2 MiB = 2^21: last segment, 20 + (21 - 15) / 5 * 80 = 116 per 64 bits.
        #expect(abs(table.sramPicojoulesPerByte(size: 2_097_152) - 116.0 / 8) < 1e-12)
        // 4 KiB = 2^12: first segment, 10 + (12 - 13) / 2 * 10 = 5 per 64 bits.
        #expect(abs(table.sramPicojoulesPerByte(size: 4096) - 5.0 / 8) < 1e-12)
        // 2 KiB and below would be negative: floored at 0.
        #expect(table.sramPicojoulesPerByte(size: 2048) == 0)
        #expect(table.sramPicojoulesPerByte(size: 1) == 0)
        #expect(table.sramPicojoulesPerByte(size: 0) == 0)
        var single = EnergyTable()
        single.sramCurve = [SRAMEnergyPoint(bytes: 1024, picojoulesPer64Bit: 12)]
        #expect(single.sramPicojoulesPerByte(size: 1) == 1.5)
        #expect(single.sramPicojoulesPerByte(size: 1 << 30) == 1.5)
        single.sramCurve = []
        #expect(single.sramPicojoulesPerByte(size: 4096) == 0)
    }

    /// A larger SRAM never costs less per byte.
    @Test func monotonicInSize() {
        var rng = SplitMix64(seed: 0x5EA7)
        var sizes = (0...32).map { 1 << $0 } + (0..<500).map { _ in Int(rng.next() % (1 << 32)) + 1 }
        sizes.sort()
        let prices = sizes.map { table.sramPicojoulesPerByte(size: $0) }
        for i in 1..<prices.count {
            #expect(prices[i] >= prices[i - 1], "size \(sizes[i - 1]) -> \(sizes[i])")
        }
    }

    /// The defaults printed in ISA.md 3.4's table are the table's values, rounded to the
    /// digits shown.
    @Test func isaTableShowsTheDefaults() throws {
        let lines = MachineConfigTests.section("## 3.4")
        let values = try #require(JSONSerialization.jsonObject(with: Data(MachineConfig().jsonText().utf8)) as? [String: Any])
        let energy = try #require(values["energy"] as? [String: Any])
        var checked: Set<String> = []
        for row in lines where row.hasPrefix("| `") {
            let cells = row.split(separator: "|").map { $0.trimmingCharacters(in: .whitespaces) }
            let keys = cells[0].split(separator: ",").map { $0.trimmingCharacters(in: CharacterSet(charactersIn: " `")) }
            guard keys.allSatisfy({ energy[$0] is NSNumber }) else { continue }
            let numbers = cells[1].prefix { $0 != "(" }.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
            for (i, key) in keys.enumerated() {
                let shown = numbers.count == keys.count ? numbers[i] : numbers[0]
                let value = try #require(Double(shown), "\(key): '\(shown)'")
                let decimals = shown.split(separator: ".").dropFirst().first?.count ?? 0
                let actual = (energy[key] as! NSNumber).doubleValue
                #expect(abs(actual - value) <= 0.5 * pow(10, -Double(decimals)), "\(key): ISA.md shows \(shown), the default is \(actual)")
                checked.insert(key)
            }
        }
        let scalarKeys = Set(energy.keys.filter { $0 != "sramCurve" })
        #expect(checked == scalarKeys)
    }

    /// ISA.md 3.4's table of per-byte SRAM prices matches the curve.
    @Test func isaSRAMPricesMatchTheCurve() throws {
        let rows = MachineConfigTests.section("## 3.4").filter { $0.contains(" = 2^") && $0.hasPrefix("| ") }
        #expect(rows.count == 3)
        for row in rows {
            let cells = row.split(separator: "|").map { $0.trimmingCharacters(in: .whitespaces) }
            let exponent = try #require(Int(cells[1].split(separator: "^").last!))
            let text = String(cells[3].split(separator: ",").first!)
            let shown = try #require(Double(text), "\(row)")
            let digits = text.split(separator: ".").dropFirst().first?.count ?? 0
            #expect(abs(EnergyTable().sramPicojoulesPerByte(size: 1 << exponent) - shown) <= 0.5 * pow(10, -Double(digits)), "\(row)")
        }
    }
}
