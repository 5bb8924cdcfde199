import Foundation
import NMPSimulator
import Testing
@testable import NMPCommands

/// `nmp config`: defaults, merged files, errors naming the field, the derived table.
struct ConfigCommandTests {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    func write(_ text: String, named name: String = "machine.json") throws -> String {
        let path = try temporaryDirectory().appendingPathComponent(name).path
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    @Test func printsTheDefaultsAsJSONThatReadsBack() throws {
        let run = Run("config")
        #expect(run.status == 0)
        #expect(run.err.isEmpty)
        #expect(try MachineConfig(json: Array(run.out.utf8), source: "stdout") == MachineConfig())
        #expect(try JSONSerialization.jsonObject(with: Data(run.out.utf8)) is [String: Any])
        // The output is itself a config file.
        let again = Run("config", "--config", try write(run.out))
        #expect(again.status == 0 && again.out == run.out)
    }

    @Test func printsAFileMergedOverTheDefaults() throws {
        let path = try write(#"{ "vlen": 128, "weightSRAM": { "banks": 4 } }"#)
        let run = Run("config", "--config", path)
        #expect(run.status == 0, "\(run.err)")
        var expected = MachineConfig()
        expected.vlen = 128
        expected.weightSRAM.banks = 4
        #expect(try MachineConfig(json: Array(run.out.utf8), source: "stdout") == expected)
        #expect(Run("config", "--config=\(path)").out == run.out)
    }

    @Test(arguments: [
        (#"{ "weightSRAM": { "banks": 0 } }"#, "field 'weightSRAM.banks': must be at least 1 (got 0)"),
        (#"{ "vlem": 64 }"#, "field 'vlem': unknown key; did you mean 'vlen'?"),
        (#"{ "energy": { "tritAdd": true } }"#, "field 'energy.tritAdd': must be a number (got true)"),
        ("{ \"vlen\": 64,\n  \"rows\" 32 }", "invalid JSON at line 2, column 10: expected ':' after the key, found '3'"),
    ])
    func badFilesExitOneNamingFileAndField(_ json: String, _ message: String) throws {
        let path = try write(json, named: "bad.json")
        let run = Run("config", "--config", path)
        #expect(run.status == 1)
        #expect(run.out.isEmpty)
        #expect(run.err == "nmp config: error: \(path): \(message)\n")
    }

    @Test func unreadableFileExitsOne() throws {
        let run = Run("config", "--config", "/nonexistent/machine.json")
        #expect(run.status == 1)
        #expect(run.err.contains("cannot read '/nonexistent/machine.json': no such file"))
        let directory = try temporaryDirectory().path
        #expect(Run("config", "--config", directory).status == 1)
    }

    /// The value column of the row `name` of a `--derived` table.
    func value(_ name: String, in output: String) -> String? {
        output.split(separator: "\n").first { $0.hasPrefix(name + "  ") }
            .flatMap { $0.dropFirst(name.count).split(separator: " ").first.map(String.init) }
    }

    @Test func derivedTableShowsTheQuantitiesOfSection32() throws {
        let run = Run("config", "--derived")
        #expect(run.status == 0)
        #expect(value("ROWBYTES", in: run.out) == "13")
        #expect(value("tile bytes", in: run.out) == "416")
        #expect(value("peak trit-MACs per cycle", in: run.out) == "2,048")
        #expect(value("peak trit-MACs per second", in: run.out) == "2,048,000,000,000")
        #expect(value("weight SRAM bytes per cycle", in: run.out) == "256")
        #expect(value("activation SRAM bytes per cycle", in: run.out) == "128")
        // The 7nm-lpddr curve: (20 + 3/5 * 80) * 0.38 / 0.9 / 8 and (20 + 1/5 * 80) * 0.38 / 0.9 / 8.
        #expect(value("weight SRAM pJ per byte", in: run.out) == "3.58889")
        #expect(value("activation SRAM pJ per byte", in: run.out) == "1.9")
        #expect(value("DRAM GB/s", in: run.out) == "64")
        #expect(value("static pJ per cycle", in: run.out) == "20")
        let other = Run("config", "--derived", "--config", try write(#"{ "packing": "2bit", "clockGHz": 1.5 }"#))
        #expect(value("ROWBYTES", in: other.out) == "16")
        #expect(value("tile bytes", in: other.out) == "512")
        #expect(value("peak trit-MACs per second", in: other.out) == "3,072,000,000,000")
        #expect(value("DRAM GB/s", in: other.out) == "96")
    }

    @Test(arguments: [["config", "extra"], ["config", "--config"], ["config", "--nope"], ["config", "--derived=yes"]])
    func usageErrorsExitTwo(_ arguments: [String]) {
        let run = Run(arguments)
        #expect(run.status == 2, "\(arguments): \(run.err)")
        #expect(run.err.contains("usage: nmp config"))
    }

    @Test func helpAndListing() {
        #expect(Run("config", "--help").out.contains("usage: nmp config [--config <file.json>] [--tech NAME] [--derived | --sources | --ranges [--markdown]]"))
        #expect(Run("--help").out.contains("  config "))
    }

    @Test func loadConfigHelper() throws {
        #expect(try ConfigCommand.loadConfig(nil) == MachineConfig())
        let good = try write(#"{ "rows": 16 }"#)
        #expect(try ConfigCommand.loadConfig(good).rows == 16)
        let bad = try write(#"{ "rows": 0 }"#, named: "bad.json")
        #expect {
            _ = try ConfigCommand.loadConfig(bad)
        } throws: { error in
            guard let error = error as? CommandError else { return false }
            return error.status == ExitCode.failure && error.message == "\(bad): field 'rows': must be at least 1 (got 0)"
        }
    }

    /// ISA.md 3.5's range table is the one `nmp config --ranges --markdown` prints from the
    /// simulator's key table.
    @Test func rangeTableOfTheISAIsCurrent() throws {
        let isa = try String(contentsOf: Self.repository.appendingPathComponent("ISA.md"), encoding: .utf8)
        let begin = "<!-- BEGIN GENERATED CONFIG RANGES (nmp config --ranges --markdown) -->\n"
        let start = try #require(isa.range(of: begin)).upperBound
        let end = try #require(isa.range(of: "<!-- END GENERATED CONFIG RANGES -->")).lowerBound
        let run = Run("config", "--ranges", "--markdown")
        #expect(run.status == 0)
        #expect(String(isa[start..<end]) == run.out, "regenerate with: nmp config --ranges --markdown")
    }

    /// Every range bound is accepted and the value just outside it is rejected, naming the field.
    @Test func everyRangeIsEnforcedAtItsBounds() throws {
        for (key, range, _) in MachineConfig.ranges where !key.contains("*") && !key.contains("[") && !key.hasSuffix("sramCurve") {
            let parts = range.components(separatedBy: " ... ")
            guard parts.count == 2, let high = Double(parts[1]) else { continue }
            let path = key.split(separator: ".").map(String.init)
            func json(_ value: String) -> String {
                path.count == 2 ? "{\"\(path[0])\": {\"\(path[1])\": \(value)}}" : "{\"\(path[0])\": \(value)}"
            }
            let integral = !range.contains(".")
            let beyond = integral ? String(Int(high) + 1) : String(high * 1.5)
            let run = Run("config", "--config", try write(json(beyond)))
            #expect(run.status == 1, "\(key) = \(beyond)")
            #expect(run.err.contains("field '\(key)'"), "\(key): \(run.err)")
        }
    }
}

/// `--tech NAME`: the energy prices of a technology preset, under a config file's own keys.
struct TechnologyPresetCommandTests {
    let helper = ConfigCommandTests()

    @Test func sourcesListEveryPriceAndTheConfigWins() throws {
        let file = try helper.write(#"{ "energy": { "dramRead": 50, "staticPowerMW": 5 } }"#)
        let run = Run("config", "--tech", "45nm", "--config", file, "--sources")
        #expect(run.status == 0, "\(run.err)")
        #expect(run.out.contains("energy prices: 45nm: 45 nm logic and memories throughout"))
        #expect(run.out.contains("from \(file): dramRead, staticPowerMW"))
        let rows = run.out.split(separator: "\n").filter { line in EnergyTable.keys.contains { line.hasPrefix($0 + " ") } }
        #expect(rows.count == EnergyTable.keys.count)
        #expect(rows.contains { $0.hasPrefix("dramRead ") && $0.contains("50") && $0.contains("config") && $0.contains(file) })
        #expect(rows.contains { $0.hasPrefix("dramWrite ") && $0.contains("162.5") && $0.contains("sourced") })
        #expect(rows.contains { $0.hasPrefix("fp32Div ") && $0.contains("estimate") })
        // The JSON config: the preset's prices, the file's two keys.
        let json = Run("config", "--tech", "7nm-hbm2", "--config", file)
        let config = try MachineConfig(json: Array(json.out.utf8), source: "out")
        #expect(config.energy.dramRead == 50 && config.energy.staticPowerMW == 5 && config.energy.dramWrite == 3.97 * 8)
        #expect(config.energy.instruction == TechnologyPreset.named("7nm-hbm2")!.energy.instruction)
    }

    @Test func reportsNameThePresetAndTheOverrides() throws {
        let file = try helper.write(#"{ "energy": { "dramWrite": 1 } }"#)
        let program = RuntimeCommandTests.repository.appendingPathComponent("programs/dma_double_buffer.nasm").path
        let plain = Run("run", program, "--json")
        let hbm = Run("run", program, "--tech", "7nm-hbm2", "--config", file, "--json")
        #expect(plain.status == 0 && hbm.status == 0, "\(hbm.err)")
        let a = try #require(try JSONSerialization.jsonObject(with: Data(plain.out.utf8)) as? [String: Any])
        let b = try #require(try JSONSerialization.jsonObject(with: Data(hbm.out.utf8)) as? [String: Any])
        let prices = try #require(b["energy_prices"] as? [String: Any])
        #expect(prices["preset"] as? String == "7nm-hbm2" && prices["preset_given"] as? Bool == true)
        #expect(prices["from_config"] as? [String] == ["dramWrite"])
        #expect((a["energy_prices"] as? [String: Any])?["preset"] as? String == TechnologyPreset.defaultName)
        // DRAM at 3.97 pJ/bit instead of 20: the DMA-heavy program costs less.
        #expect((b["energy_pj"] as? Double ?? .infinity) < (a["energy_pj"] as? Double ?? 0))
        #expect(Run("run", program, "--tech", "45nm").out.contains("prices of the 45nm preset (--tech)"))
    }

    @Test(arguments: [["config", "--tech", "5nm"], ["run", "programs/dot_product.nasm", "--tech", "tsmc"],
                      ["model", "--hf-config", "x.json", "--tech", ""], ["config", "--derived", "--sources"]])
    func unknownPresetIsAUsageErrorListingTheKnownOnes(_ arguments: [String]) {
        let run = Run(arguments)
        #expect(run.status == 2, "\(arguments): \(run.err)")
        if arguments.contains("--tech") {
            #expect(run.err.contains("is not a technology preset; use one of: 7nm-lpddr, 7nm-hbm2, bitnet-7nm, 45nm"), "\(run.err)")
        }
    }
}
