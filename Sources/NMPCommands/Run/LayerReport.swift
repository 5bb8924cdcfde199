import Foundation
import NMPRuntime
import NMPSimulator

/// The report of `nmp layer`: what the layer cost on the machine, per token.
struct LayerReport {
    var weights: TernaryWeights
    var tokens: Int
    var plan: BitLinearPlan
    var result: RunResult
    var bitExact: Bool

    var cyclesPerToken: Double { Double(result.counters.cycles) / Double(tokens) }
    var tokensPerSecond: Double { result.seconds > 0 ? Double(tokens) / result.seconds : 0 }
    var dramBytes: Int { (result.events[.dramRead]) + (result.events[.dramWrite]) }

    func text() -> String {
        let c = result.counters
        var out = "BitLinear \(weights.columns) -> \(weights.rows), \(tokens) token(s): outputs \(bitExact ? "bit-exact with" : "DIFFER from") the reference\n"
        out += "machine  \(RunReport.machineSummary(result.config))\n\n"
        let rows: [[String]] = [
            ["ternary weights", RunReport.int(weights.rows * weights.columns), "trits", "\(RunReport.int(plan.blocks * plan.blockBytes)) packed bytes"],
            ["cycles", RunReport.int(c.cycles), "cycles", RunReport.time(result.seconds)],
            ["cycles per token", String(format: "%.0f", cyclesPerToken), "cycles", ""],
            ["tokens per second", String(format: "%.1f", tokensPerSecond), "tokens/s", "at \(result.config.clockGHz) GHz"],
            ["trit-MAC utilization", String(format: "%.1f", result.macUtilization * 100), "%", "of \(result.config.peakTritMACsPerCycle) per cycle"],
            ["DRAM traffic", RunReport.int(dramBytes), "bytes", String(format: "%.2f GB/s", result.dramBandwidthGBps)],
            ["energy", String(format: "%.1f", result.energy.total / 1e3), "nJ", String(format: "%.1f nJ/token", result.energy.total / 1e3 / Double(tokens))],
        ]
        out += Table(header: ["", "value", "unit", "note"], rows: rows, rightAligned: [1]).render() + "\n"
        let stalls = StallCause.allCases.filter { (c.stalls[$0]) > 0 }
        out += Table(header: ["stall cause", "cycles"], rows: stalls.map { [$0.rawValue, RunReport.int(c.stalls[$0])] },
                     rightAligned: [1]).render() + "\n"
        let categories = result.energy.byCategory
        out += Table(header: ["energy", "nJ", "share"], rows: EnergyReport.Category.allCases.map { category in
            [category.rawValue, String(format: "%.2f", (categories[category]) / 1e3), RunReport.percent(categories[category], result.energy.total)]
        }, rightAligned: [1, 2]).render()
        return out
    }

    func json() -> JSONValue {
        let c = result.counters
        return .object([
            ("schema", .string("nmp-layer/1")),
            ("in_features", .int(weights.columns)), ("out_features", .int(weights.rows)), ("tokens", .int(tokens)),
            ("bit_exact", .bool(bitExact)),
            ("ternary_parameters", .int(weights.rows * weights.columns)),
            ("packed_weight_bytes", .int(plan.blocks * plan.blockBytes)),
            ("cycles", .int(c.cycles)), ("instructions", .int(c.retired)),
            ("cycles_per_token", .number(cyclesPerToken)), ("tokens_per_second", .number(tokensPerSecond)),
            ("energy_pj", .number(result.energy.total)), ("energy_pj_per_token", .number(result.energy.total / Double(tokens))),
            ("dram_bytes", .int(dramBytes)), ("mac_utilization", .number(result.macUtilization)),
            ("stalls", .object(StallCause.allCases.map { ($0.rawValue, .int(c.stalls[$0])) })),
            ("energy_pj_by_category", .object(EnergyReport.Category.allCases.map { ($0.key, .number(result.energy.byCategory[$0])) })),
            ("config", .raw(result.config.jsonText().trimmingCharacters(in: .whitespacesAndNewlines))),
        ])
    }
}
