import NMPSweep
import NMPRuntime
import NMPSimulator

/// `nmp model --csv`: one row per pass, layer and operation, per token, with the columns a
/// SCALE-Sim user looks for (its COMPUTE_REPORT's total and stall cycles and utilization,
/// its DETAILED_ACCESS_REPORT's SRAM and DRAM reads and writes) in nmp's terms.
///
/// Every layer 0 ... L-1 has its rows. The report simulates the first two layers; every
/// later one runs the same code on other addresses and costs exactly what the second one
/// does, so its rows repeat the second layer's numbers and say so in `source_layer`. The
/// rows of a pass therefore add up to the report's per-token totals.
struct ModelCSV {
    let report: ModelReport

    static var header: [String] {
        ["pass", "tokens", "layer", "source_layer", "operation", "unit", "cycles", "instructions", "stall_cycles"]
            + StallCause.allCases.map { "stall_\($0.rawValue)_cycles" }
            + ["bound_cycles", "unit_utilization_pct", "of_bound_pct", "trit_macs", "float_lane_ops",
               "weight_sram_read_bytes", "weight_sram_write_bytes", "activation_sram_read_bytes", "activation_sram_write_bytes",
               "dram_read_bytes", "dram_write_bytes", "energy_uJ"]
    }

    func render() -> String {
        var csv = CSVTable(header: Self.header)
        for (name, s) in [("decode", report.decode)] + (report.prefill.map { [("prefill", $0)] } ?? []) {
            for (layer, source, op) in Self.rows(s) {
                csv.rows.append(Self.row(name, s, layer: layer, source: source, op))
            }
        }
        return csv.render()
    }

    /// The pass's operations in program order, every layer spelled out: (layer, the
    /// simulated layer whose numbers it has, cost); layers are nil for once-per-pass operations.
    static func rows(_ s: DecoderSimulation) -> [(Int?, Int?, OperationCost)] {
        let parts = s.run.operations
        let simulated = s.plan.simulatedLayers
        let before = parts.prefix { $0.layer == nil }
        let after = parts.reversed().prefix { $0.layer == nil }.reversed()
        var out: [(Int?, Int?, OperationCost)] = before.map { (nil, nil, $0) }
        for layer in 0..<s.model.layers {
            let source = min(layer, simulated - 1)
            for part in parts where part.layer == source { out.append((layer, source, part)) }
        }
        return out + after.map { (nil, nil, $0) }
    }

    static func row(_ pass: String, _ s: DecoderSimulation, layer: Int?, source: Int?, _ op: OperationCost) -> [String] {
        let tokens = Double(s.tokens)
        func perToken(_ n: Int) -> String { CSVTable.number(Double(n) / tokens) }
        let bound = op.boundCycles(s.machine)
        return [pass, String(s.tokens), layer.map(String.init) ?? "", source.map(String.init) ?? "",
                op.operation.rawValue, op.operation.unit.rawValue, perToken(op.cycles), perToken(op.retired), perToken(op.stallCycles)]
            + StallCause.allCases.map { perToken(op.stalls[$0]) }
            + [CSVTable.number(bound / tokens), CSVTable.number(op.utilization(s.machine) * 100),
               CSVTable.number(op.cycles > 0 ? bound / Double(op.cycles) * 100 : 0),
               perToken(op.tritMACs), perToken(op.floatLaneOps),
               perToken(op.events[.weightSRAMRead]), perToken(op.events[.weightSRAMWrite]),
               perToken(op.events[.activationSRAMRead]), perToken(op.events[.activationSRAMWrite]),
               perToken(op.events[.dramRead]), perToken(op.events[.dramWrite]),
               CSVTable.number(op.energy(s.machine).total / tokens / 1e6)]
    }
}
