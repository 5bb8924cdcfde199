import Foundation
import NMPSimulator

/// `nmp config`: the machine configuration, as JSON or as a table of derived quantities.
enum ConfigCommand: Command {
    static let name = "config"
    static let summary = "print the machine config: the defaults, or a JSON config merged over them"
    static let help = """
        usage: nmp config [--config <file.json>] [--derived | --ranges [--markdown]]

        Prints the machine configuration as JSON with every key, in the order of ISA.md
        3.1: the built-in defaults, or the given config file merged over them and
        validated. The output is itself a valid config file.

        options:
          --config <file>   a JSON machine config: any subset of the keys (ISA.md 3.5)
          --derived         print the derived quantities (ISA.md 3.2) and the SRAM
                            energies (3.4) as a table instead of the JSON
          --ranges          print the allowed range of every numeric key (ISA.md 3.5)
          --markdown        with --ranges: the Markdown table ISA.md embeds
          -h, --help        show this help

        exit status: 0 printed, 1 unreadable or invalid config file, 2 bad command line.
        """

    static func run(_ arguments: [String], console: Console) throws(CommandError) -> Int32 {
        let args = try Arguments(arguments, flags: ["--derived", "--ranges", "--markdown"], values: [["--config"]])
        guard args.positional.isEmpty else { throw .usage("unexpected argument '\(args.positional[0])'") }
        if args.flags.contains("--ranges") {
            console.out(args.flags.contains("--markdown") ? rangesMarkdown() + "\n" : rangesTable())
            return ExitCode.success
        }
        guard !args.flags.contains("--markdown") else { throw .usage("--markdown goes with --ranges") }
        let config = try loadConfig(args.values["--config"])
        if args.flags.contains("--derived") {
            console.out(derivedTable(config))
        } else {
            console.out(config.jsonText() + "\n")
        }
        return ExitCode.success
    }

    /// The machine config of a command: the defaults when `path` is nil, else the JSON file
    /// at `path` merged over them and validated. Errors name the file and the field
    /// (`machine.json: field 'vlen': must be at least 1 (got 0)`) and exit with status 1.
    static func loadConfig(_ path: String?) throws(CommandError) -> MachineConfig {
        guard let path else { return MachineConfig() }
        let bytes = try Files.read(path)
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
