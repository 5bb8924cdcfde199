import Foundation
import NMPAssembler
import NMPISA
import NMPSimulator

/// The report of one `nmp run`: an aligned text table for people, a JSON object for
/// machines (schema in README.md, "nmp run --json").
struct RunReport {
    var program: String
    var configSource: String
    var result: RunResult
    /// The pc the run stopped at (halt's, or the trapping instruction's).
    var finalPC: Int

    static let schema = "nmp-run/1"

    // MARK: Text

    func text() -> String {
        let counters = result.counters
        let config = result.config
        let energy = result.energy
        var out = "program  \(program)\n"
        out += "machine  \(Self.machineSummary(config)) (\(configSource))\n"
        if let trap = result.trap {
            out += "outcome  trapped: \(trap.cause.rawValue) at pc \(trap.pc), cycle \(trap.cycle)\n\n"
        } else {
            out += "outcome  halted at pc \(finalPC)\n\n"
        }

        var rows: [[String]] = []
        rows.append(["cycles", Self.int(counters.cycles), "cycles", Self.time(result.seconds)])
        rows.append(["instructions retired", Self.int(counters.retired), "instr", String(format: "IPC %.3f", result.instructionsPerCycle)])
        rows.append(["trit-MACs", Self.int(counters.tritMACs), "MACs",
                     String(format: "%.1f %% of peak %d/cycle", result.macUtilization * 100, config.peakTritMACsPerCycle)])
        rows.append(["DRAM bandwidth", String(format: "%.2f", result.dramBandwidthGBps), "GB/s",
                     String(format: "%.1f %% of %d B/cycle", result.dramBandwidthUtilization * 100, config.dramBytesPerCycle)])
        rows.append(["energy", String(format: "%.1f", energy.total), "pJ",
                     counters.retired > 0 ? String(format: "%.2f pJ/instruction", energy.total / Double(counters.retired)) : ""])
        out += Table(header: ["summary", "value", "unit", "note"], rows: rows, rightAligned: [1]).render() + "\n"

        let stallTotal = counters.stalls.values.reduce(0, +)
        out += Table(header: ["stall cause", "cycles", "share of cycles"],
                     rows: StallCause.allCases.map { cause in
                         [cause.rawValue, Self.int(counters.stalls[cause]), Self.percent(counters.stalls[cause], counters.cycles)]
                     } + [["total", Self.int(stallTotal), Self.percent(stallTotal, counters.cycles)]],
                     rightAligned: [1, 2]).render() + "\n"

        let groups = counters.retiredByGroup
        out += Table(header: ["instruction class", "retired", "share"],
                     rows: InstructionGroup.allCases.map { group in
                         [group.title, Self.int(groups[group]), Self.percent(groups[group], counters.retired)]
                     }, rightAligned: [1, 2]).render() + "\n"

        let events = result.events
        func bytes(_ e: EnergyEvent) -> String { Self.int(events[e]) }
        out += Table(header: ["traffic", "read (bytes)", "written (bytes)"], rows: [
            ["register file", bytes(.registerRead), bytes(.registerWrite)],
            ["weight SRAM", bytes(.weightSRAMRead), bytes(.weightSRAMWrite)],
            ["activation SRAM", bytes(.activationSRAMRead), bytes(.activationSRAMWrite)],
            ["DRAM", bytes(.dramRead), bytes(.dramWrite)],
        ], rightAligned: [1, 2]).render() + "\n"

        out += Table(header: ["trit operation", "count", "share"], rows: [
            ["add (+1)", Self.int(counters.tritAdd), Self.percent(counters.tritAdd, counters.tritMACs)],
            ["subtract (-1)", Self.int(counters.tritSub), Self.percent(counters.tritSub, counters.tritMACs)],
            ["skip (0)", Self.int(counters.tritSkip), Self.percent(counters.tritSkip, counters.tritMACs)],
        ], rightAligned: [1, 2]).render() + "\n"

        let categories = energy.byCategory
        out += Table(header: ["energy", "pJ", "share"],
                     rows: EnergyReport.Category.allCases.map { category in
                         [category.rawValue, String(format: "%.1f", categories[category]),
                          Self.percent(categories[category], energy.total)]
                     } + [["total", String(format: "%.1f", energy.total), "100.0 %"]], rightAligned: [1, 2]).render()
        return out
    }

    static func machineSummary(_ c: MachineConfig) -> String {
        "vlen \(c.vlen), rows \(c.rows), \(c.packing.rawValue), \(c.clockGHz) GHz; wsram \(c.weightSRAM.size) B "
            + "(\(c.weightSRAM.banks)x\(c.weightSRAM.bankWidth) B), asram \(c.activationSRAM.size) B "
            + "(\(c.activationSRAM.banks)x\(c.activationSRAM.bankWidth) B); DMA \(c.dramBytesPerCycle) B/cycle + \(c.dmaLatency) cycles"
    }

    // MARK: JSON

    func json(trap trapText: String?, dumps: [JSONValue]) -> JSONValue {
        let counters = result.counters
        let energy = result.energy
        let groups = counters.retiredByGroup
        let events = result.events
        var fields: [(String, JSONValue)] = [
            ("schema", .string(Self.schema)),
            ("program", .string(program)),
            ("halted", .bool(result.halted)),
        ]
        if let trap = result.trap {
            fields.append(("trap", .object([
                ("cause", .string(trap.cause.rawValue)), ("pc", .int(trap.pc)),
                ("word", trap.word.map { .string("0x" + hex($0, digits: 8)) } ?? .null),
                ("instruction", trapText.map { .string($0) } ?? .null),
                ("cycle", .int(trap.cycle)), ("detail", .string(trap.detail)),
            ])))
        } else {
            fields.append(("trap", .null))
        }
        fields += [
            ("cycles", .int(counters.cycles)),
            ("instructions", .int(counters.retired)),
            ("energy_pj", .number(energy.total)),
            ("seconds", .number(result.seconds)),
            ("ipc", .number(result.instructionsPerCycle)),
            ("mac_utilization", .number(result.macUtilization)),
            ("dram_bandwidth_gbps", .number(result.dramBandwidthGBps)),
            ("instructions_by_class", .object(InstructionGroup.allCases.map { ($0.rawValue, .int(groups[$0])) })),
            ("instructions_by_opcode", .object(counters.retiredByOpcode.filter { $0.1 > 0 }.map { ($0.0.mnemonic, .int($0.1)) })),
            ("stalls", .object(StallCause.allCases.map { ($0.rawValue, .int(counters.stalls[$0])) })),
            ("trit_ops", .object([("add", .int(counters.tritAdd)), ("sub", .int(counters.tritSub)), ("skip", .int(counters.tritSkip))])),
            ("traffic_bytes", .object([
                ("register_file", .object([("read", .int(events[.registerRead])), ("write", .int(events[.registerWrite]))])),
                ("weight_sram", .object([("read", .int(events[.weightSRAMRead])), ("write", .int(events[.weightSRAMWrite]))])),
                ("activation_sram", .object([("read", .int(events[.activationSRAMRead])),
                                             ("write", .int(events[.activationSRAMWrite]))])),
                ("dram", .object([("read", .int(events[.dramRead])), ("write", .int(events[.dramWrite]))])),
            ])),
            ("events", .object(EnergyEvent.allCases.map { ($0.rawValue, .int(events[$0])) })),
            ("energy_pj_by_category", .object(EnergyReport.Category.allCases.map { ($0.key, .number(energy.byCategory[$0])) })),
            ("energy_pj_by_event", .object(EnergyEvent.allCases.map { ($0.rawValue, .number(energy.byEvent[$0])) })),
            ("config", .raw(result.config.jsonText().trimmingCharacters(in: .whitespacesAndNewlines))),
        ]
        if !dumps.isEmpty { fields.append(("dumps", .array(dumps))) }
        return .object(fields)
    }

    // MARK: Formatting

    /// 1234567 -> "1,234,567".
    static func int(_ n: Int) -> String {
        let digits = String(n.magnitude)
        var out = ""
        for (i, c) in digits.enumerated() {
            if i > 0 && (digits.count - i) % 3 == 0 { out.append(",") }
            out.append(c)
        }
        return (n < 0 ? "-" : "") + out
    }

    static func percent(_ part: Int, _ whole: Int) -> String { percent(Double(part), Double(whole)) }

    static func percent(_ part: Double, _ whole: Double) -> String {
        whole > 0 ? String(format: "%.1f %%", part / whole * 100) : "-"
    }

    /// Seconds with a readable unit.
    static func time(_ seconds: Double) -> String {
        switch seconds {
        case ..<1e-6: String(format: "%.1f ns", seconds * 1e9)
        case ..<1e-3: String(format: "%.2f us", seconds * 1e6)
        case ..<1: String(format: "%.2f ms", seconds * 1e3)
        default: String(format: "%.3f s", seconds)
        }
    }
}
