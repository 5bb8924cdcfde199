import Foundation
import NMPSimulator

/// `nmp config`: the machine configuration, as JSON or as a table of derived quantities.
enum ConfigCommand: Command {
    static let name = "config"
    static let summary = "print the machine config: the defaults, or a JSON config merged over them"
    static let help = """
        usage: nmp config [--config <file.json>] [--tech NAME] [--derived | --sources | --ranges [--markdown]]

        Prints the machine configuration as JSON with every key, in the order of ISA.md
        3.1: the built-in defaults, or the given config file merged over them and
        validated. The output is itself a valid config file.

        options:
          --config <file>   a JSON machine config: any subset of the keys (ISA.md 3.5)
          --tech NAME       energy prices of a technology preset (ISA.md 3.4): \(TechnologyPreset.all.map(\.name).joined(separator: ", "))
                            (default \(TechnologyPreset.defaultName)); a config file's own energy keys win
          --sources         print every energy price with its value and source (the preset's,
                            or the config file's), estimates marked
          --derived         print the derived quantities (ISA.md 3.2) and the SRAM
                            energies (3.4) as a table instead of the JSON
          --ranges          print the allowed range of every numeric key (ISA.md 3.5)
          --markdown        with --ranges: the Markdown table ISA.md embeds
          -h, --help        show this help

        exit status: 0 printed, 1 unreadable or invalid config file, 2 bad command line.
        """

    static func run(_ arguments: [String], console: Console) throws(CommandError) -> Int32 {
        let args = try Arguments(arguments, flags: ["--derived", "--ranges", "--markdown", "--sources"], values: [["--config"], ["--tech"]])
        guard args.positional.isEmpty else { throw .usage("unexpected argument '\(args.positional[0])'") }
        if args.flags.contains("--ranges") {
            console.out(args.flags.contains("--markdown") ? rangesMarkdown() + "\n" : rangesTable())
            return ExitCode.success
        }
        guard !args.flags.contains("--markdown") else { throw .usage("--markdown goes with --ranges") }
        guard !(args.flags.contains("--derived") && args.flags.contains("--sources")) else { throw .usage("give --derived or --sources, not both") }
        let choice = try MachineChoice.load(args)
        if args.flags.contains("--derived") {
            console.out(derivedTable(choice.config))
        } else if args.flags.contains("--sources") {
            console.out(sourcesTable(choice))
        } else {
            console.out(choice.config.jsonText() + "\n")
        }
        return ExitCode.success
    }

    /// Every energy price of `choice` with its value and where it comes from.
    static func sourcesTable(_ choice: MachineChoice) -> String {
        let origin = choice.origin
        let rows: [[String]] = origin.preset.prices.map { price in
            let fromFile = origin.fromConfig.contains(price.key)
            let source = fromFile ? "\(origin.configPath ?? "config file") (overrides the preset)" : price.source
            return [price.key, choice.config.energy.text(of: price.key) ?? "", EnergyTable.unit(of: price.key),
                    fromFile ? "config" : (price.estimate ? "estimate" : "sourced"), source]
        }
        return "energy prices: \(origin.preset.name): \(origin.preset.summary)"
            + (origin.fromConfig.isEmpty ? "" : "; from \(origin.configPath ?? "the config file"): \(origin.fromConfig.joined(separator: ", "))") + "\n\n"
            + Table(header: ["key", "value", "unit", "kind", "source"], rows: rows, rightAligned: [1]).render()
            + "\nSources: [H] Horowitz, ISSCC 2014 (45 nm), as tabulated by Dally, Hot Chips 2023; [B] BitNet, arXiv 2310.11453, Table 2;\n"
            + "[Han] arXiv 1506.02626, Figure 1; [OC] O'Connor et al., MICRO 2017; [D] Dally, Hot Chips 2023 keynote. ISA.md 3.4 has the derivations.\n"
    }

    /// The machine config of a command: the defaults when `path` is nil, else the JSON file
    /// at `path` merged over them and validated. Errors name the file and the field
    /// (`machine.json: field 'vlen': must be at least 1 (got 0)`) and exit with status 1.
    static func loadConfig(_ path: String?) throws(CommandError) -> MachineConfig {
        guard let path else { return MachineConfig() }
        return try loadConfig(bytes: try Files.read(path), path: path)
    }

    /// `loadConfig` of a file's bytes already read.
    static func loadConfig(bytes: [UInt8], path: String) throws(CommandError) -> MachineConfig {
        do {
            return try MachineConfig(json: bytes, source: path)
        } catch {
            throw .failure(error.description)
        }
    }

    /// The range of every numeric config key, from the simulator's key table.
    static func rangesTable() -> String {
        Table(header: ["config key", "allowed values", "upper bound"],
              rows: MachineConfig.ranges.map { [$0.key, $0.range, $0.limit ? "simulator limit" : "machine constraint"] }).render()
    }

    /// `rangesTable` as the Markdown table between ISA.md's GENERATED CONFIG RANGES markers.
    static func rangesMarkdown() -> String {
        (["| config key | allowed values (inclusive) | upper bound is |", "|---|---|---|"]
            + MachineConfig.ranges.map { "| `\($0.key)` | \($0.range) | \($0.limit ? "a simulator limit" : "a machine constraint") |" })
            .joined(separator: "\n")
    }

    /// ISA.md 3.2's derived quantities and the per-byte SRAM energies, one row each.
    static func derivedTable(_ config: MachineConfig) -> String {
        let energy = config.energy
        let rows: [[String]] = [
            ["tritsPerByte", Format.count(config.tritsPerByte), "packing \"\(config.packing.rawValue)\""],
            ["ROWBYTES", Format.count(config.rowBytes), "ceil(VLEN / tritsPerByte), bytes of one packed trit row"],
            ["tile bytes", Format.count(config.tileBytes), "ROWS * ROWBYTES, bytes one ldm reads"],
            ["peak trit-MACs per cycle", Format.count(config.peakTritMACsPerCycle), "ROWS * VLEN"],
            ["peak trit-MACs per second", format(Double(config.peakTritMACsPerCycle) * config.clockGHz * 1e9), "ROWS * VLEN * clockGHz * 10^9"],
            ["weight SRAM bytes per cycle", Format.count(config.weightSRAM.bytesPerCycle), "weightSRAM.banks * weightSRAM.bankWidth"],
            ["activation SRAM bytes per cycle", Format.count(config.activationSRAM.bytesPerCycle), "activationSRAM.banks * activationSRAM.bankWidth"],
            ["weight SRAM pJ per byte", format(energy.sramPicojoulesPerByte(size: config.weightSRAM.size)), "sramCurve at \(Format.count(config.weightSRAM.size)) bytes"],
            ["activation SRAM pJ per byte", format(energy.sramPicojoulesPerByte(size: config.activationSRAM.size)), "sramCurve at \(Format.count(config.activationSRAM.size)) bytes"],
            ["DRAM GB/s", format(Double(config.dramBytesPerCycle) * config.clockGHz), "dramBytesPerCycle * clockGHz"],
            ["static pJ per cycle", format(energy.staticPowerMW / config.clockGHz), "staticPowerMW / clockGHz"],
        ]
        return Table(header: ["quantity", "value", "definition"], rows: rows).render()
    }

    /// Integral values as grouped integers, others to 6 significant digits.
    private static func format(_ value: Double) -> String {
        value == value.rounded() ? Format.count(value) : String(format: "%.6g", value)
    }
}
