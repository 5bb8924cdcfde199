import Foundation
import NMPRuntime
import NMPSimulator

/// The report of `nmp layer`: what the layer cost on the machine, per token.
struct LayerReport {
    var weights: TernaryWeights
    var tokens: Int
    var plan: BitLinearPlan
    var result: RunResult
    /// Where the energy prices came from.
    var energyOrigin: EnergyOrigin
    var bitExact: Bool
    /// How the inputs were read, when it matters (e.g. float64 converted to float32).
    var inputConversions: [String] = []

    var cyclesPerToken: Double { Double(result.counters.cycles) / Double(tokens) }
    var tokensPerSecond: Double { result.seconds > 0 ? Double(tokens) / result.seconds : 0 }
    var dramBytes: Int { (result.events[.dramRead]) + (result.events[.dramWrite]) }

    func text() -> String {
        let c = result.counters
        let energy = result.energy
        let unit = EnergyUnit.fitting(energy.total)
        var out = "BitLinear \(Format.count(weights.columns)) -> \(Format.count(weights.rows)), \(Format.count(tokens)) token\(tokens == 1 ? "" : "s"): "
            + "outputs \(bitExact ? "bit-exact with" : "DIFFER from") the reference\n"
        if !inputConversions.isEmpty { out += "input    \(inputConversions.joined(separator: "; "))\n" }
        out += "machine  \(RunReport.machineSummary(result.config))\n"
        out += "energy   \(energyOrigin.text)\n\n"
        let rows: [[String]] = [
            ["ternary weights", Format.count(weights.rows * weights.columns), "trits", "\(Format.count(plan.blocks * plan.blockBytes)) packed bytes"],
            ["cycles", Format.count(c.cycles), "cycles", Format.time(result.seconds)],
            ["cycles per token", Format.count(cyclesPerToken), "cycles", ""],
            ["tokens per second", Format.number(tokensPerSecond, decimals: 1), "tokens/s", "at \(result.config.clockGHz) GHz"],
            ["trit-MAC utilization", Format.number(result.macUtilization * 100, decimals: 1), "%", "of \(Format.count(result.config.peakTritMACsPerCycle)) per cycle"],
            ["DRAM traffic", Format.count(dramBytes), "bytes", Format.number(result.dramBandwidthGBps, decimals: 2) + " GB/s"],
            ["energy", Format.energy(energy.total, in: unit), unit.rawValue, Format.energy(energy.total / Double(tokens)) + "/token"],
        ]
        out += Table(header: ["", "value", "unit", "note"], rows: rows, rightAligned: [1]).render() + "\n"
        let stalls = c.stalls.filter { $0.1 > 0 }
        out += Table(header: ["stall cause", "cycles"], rows: stalls.map { [$0.0.rawValue, Format.count($0.1)] },
                     rightAligned: [1]).render() + "\n"
        out += Table(header: ["energy", unit.rawValue, "share"], rows: energy.byCategory.map { category, pJ in
            [category.rawValue, Format.energy(pJ, in: unit), Format.percent(pJ, of: energy.total)]
        }, rightAligned: [1, 2]).render()
        return out
    }

    func json() -> JSONValue {
        let c = result.counters
        return .object([
            ("schema", .string("nmp-layer/1")),
            ("in_features", .int(weights.columns)), ("out_features", .int(weights.rows)), ("tokens", .int(tokens)),
            ("bit_exact", .bool(bitExact)),
            ("energy_prices", energyOrigin.json),
            ("input_conversions", .array(inputConversions.map { .string($0) })),
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
