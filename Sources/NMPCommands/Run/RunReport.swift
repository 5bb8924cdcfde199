import Foundation
import NMPAssembler
import NMPISA
import NMPSimulator

/// The report of one `nmp run`: an aligned text table for people, a JSON object for
/// machines (schema in README.md, "nmp run --json").
struct RunReport {
    var program: String
    var configSource: String
    /// Where the energy prices came from.
    var energyOrigin: EnergyOrigin
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
        out += "energy   \(energyOrigin.text)\n"
        if let trap = result.trap {
            out += "outcome  trapped: \(trap.cause.rawValue) at pc \(trap.pc), cycle \(trap.cycle)\n\n"
        } else {
            out += "outcome  halted at pc \(finalPC)\n\n"
        }

        var rows: [[String]] = []
        let unit = EnergyUnit.fitting(energy.total)
        rows.append(["cycles", Format.count(counters.cycles), "cycles", Format.time(result.seconds)])
        rows.append(["instructions retired", Format.count(counters.retired), "instr", "IPC " + Format.number(result.instructionsPerCycle, decimals: 3)])
        rows.append(["trit-MACs", Format.count(counters.tritMACs), "MACs",
                     Format.percent(result.macUtilization) + " of peak " + Format.count(config.peakTritMACsPerCycle) + "/cycle"])
        let halfMACs = result.events[.fp16Mul]
        if halfMACs > 0 {
            // The FP16 array's products (hgemm): one fp16Mul per MAC, the same peak as the ternary array's.
            let share = counters.cycles > 0 ? Double(halfMACs) / (Double(counters.cycles) * Double(config.peakTritMACsPerCycle)) : 0
            rows.append(["fp16 MACs", Format.count(halfMACs), "MACs", Format.percent(share) + " of peak " + Format.count(config.peakTritMACsPerCycle) + "/cycle"])
        }
        rows.append(["DRAM bandwidth", Format.number(result.dramBandwidthGBps, decimals: 2), "GB/s",
                     Format.percent(result.dramBandwidthUtilization) + " of " + Format.count(config.dramBytesPerCycle) + " B/cycle"])
        rows.append(["energy", Format.energy(energy.total, in: unit), unit.rawValue,
                     counters.retired > 0 ? Format.energy(energy.total / Double(counters.retired)) + "/instruction" : ""])
        out += Table(header: ["summary", "value", "unit", "note"], rows: rows, rightAligned: [1]).render() + "\n"

        let stallTotal = counters.stalls.values.reduce(0, +)
        out += Table(header: ["stall cause", "cycles", "share of cycles"],
                     rows: StallCause.allCases.map { cause in
                         [cause.rawValue, Format.count(counters.stalls[cause]), Format.percent(counters.stalls[cause], of: counters.cycles)]
                     } + [["total", Format.count(stallTotal), Format.percent(stallTotal, of: counters.cycles)]],
                     rightAligned: [1, 2]).render() + "\n"

        let groups = counters.retiredByGroup
        out += Table(header: ["instruction class", "retired", "share"],
                     rows: InstructionGroup.allCases.map { group in
                         [group.title, Format.count(groups[group]), Format.percent(groups[group], of: counters.retired)]
                     }, rightAligned: [1, 2]).render() + "\n"

        let events = result.events
        func bytes(_ e: EnergyEvent) -> String { Format.count(events[e]) }
        out += Table(header: ["traffic", "read (bytes)", "written (bytes)"], rows: [
            ["register file", bytes(.registerRead), bytes(.registerWrite)],
            ["weight SRAM", bytes(.weightSRAMRead), bytes(.weightSRAMWrite)],
            ["activation SRAM", bytes(.activationSRAMRead), bytes(.activationSRAMWrite)],
            ["DRAM", bytes(.dramRead), bytes(.dramWrite)],
        ], rightAligned: [1, 2]).render() + "\n"

        out += Table(header: ["trit operation", "count", "share"], rows: [
            ["add (+1)", Format.count(counters.tritAdd), Format.percent(counters.tritAdd, of: counters.tritMACs)],
            ["subtract (-1)", Format.count(counters.tritSub), Format.percent(counters.tritSub, of: counters.tritMACs)],
            ["skip (0)", Format.count(counters.tritSkip), Format.percent(counters.tritSkip, of: counters.tritMACs)],
        ], rightAligned: [1, 2]).render() + "\n"

        let categories = energy.byCategory
        out += Table(header: ["energy", unit.rawValue, "share"],
                     rows: categories.map { category, pJ in
                         [category.rawValue, Format.energy(pJ, in: unit), Format.percent(pJ, of: energy.total)]
                     } + [["total", Format.energy(energy.total, in: unit), "100.0 %"]], rightAligned: [1, 2]).render()
        return out
    }

    static func machineSummary(_ c: MachineConfig) -> String {
        "vlen \(c.vlen), rows \(c.rows), \(c.packing.rawValue), \(c.clockGHz) GHz; wsram \(Format.count(c.weightSRAM.size)) B "
            + "(\(c.weightSRAM.banks)x\(c.weightSRAM.bankWidth) B), asram \(Format.count(c.activationSRAM.size)) B "
            + "(\(c.activationSRAM.banks)x\(c.activationSRAM.bankWidth) B); DRAM \(Format.count(c.dramSize)) B, "
            + "DMA \(Format.count(c.dramBytesPerCycle)) B/cycle + \(Format.count(c.dmaLatency)) cycles"
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
            ("energy_prices", energyOrigin.json),
        ]
        if !dumps.isEmpty { fields.append(("dumps", .array(dumps))) }
        return .object(fields)
    }

}
