import Foundation
import NMPRuntime
import NMPSimulator
import NMPSupport

/// The report of `nmp model`: every operation of a decoder token as simulated.
struct ModelReport {
    var source: String
    /// Where the energy prices came from.
    var energyOrigin: EnergyOrigin
    var decode: DecoderSimulation
    var prefill: DecoderSimulation?

    private var model: ModelConfig { decode.model }

    func text() -> String {
        let m = model
        var out = "model    \(source): \(m.modelType), hidden \(Format.count(m.hiddenSize)), FFN \(Format.count(m.intermediateSize)) (\(m.activation.rawValue)), "
            + "\(Format.count(m.layers)) layer\(m.layers == 1 ? "" : "s"), \(m.attentionHeads)/\(m.keyValueHeads) heads x \(m.headDim), vocab \(Format.count(m.vocabSize))\n"
        out += "machine  \(RunReport.machineSummary(decode.machine)); float unit \(decode.machine.floatLanes) lanes\n"
        out += "energy   \(energyOrigin.text)\n"
        out += "KV cache \(decode.plan.kvFormat.rawValue) in DRAM; LM head bf16 on the float unit; argmax left to the host\n\n"
        out += Table(header: ["parameters", "count", "bytes as stored"], rows: [
            ["ternary (q k v o gate up down)", Format.count(m.ternaryParameters), Format.count(decode.packedWeightBytes) + " packed"],
            ["embedding", Format.count(m.embeddingParameters), Format.count(2 * Double(m.embeddingParameters)) + " bf16"],
            ["lm_head (own weights)", Format.count(m.lmHeadParameters), Format.count(2 * Double(m.lmHeadParameters)) + " bf16"],
            ["norms", Format.count(m.normParameters), Format.count(2 * Double(m.normParameters)) + " bf16"],
        ], rightAligned: [1, 2]).render()
        if !decode.plan.fitsDRAM {
            out += "note: the whole model needs \(Format.count(decode.plan.fullModelDRAMBytes)) bytes of DRAM; this machine has \(Format.count(decode.machine.dramSize)) (dramSize). The simulation runs \(decode.plan.simulatedLayers) layers, which fit.\n"
        }
        out += "\n" + section("decode token (context \(Format.count(decode.context)))", decode)
        if let prefill {
            out += "\n" + section(prefill.tokens == 1 ? "prefill of 1 token" : "prefill of \(Format.count(prefill.tokens)) tokens, per token", prefill)
        }
        return out
    }

    /// "12,345 (dmaWait 80.1 %)": the stall cycles (times `scale`) and the largest cause's share.
    private static func stallSummary(_ op: OperationCost, scale: Double) -> String {
        let total = op.stallCycles
        guard total > 0, let top = StallCause.allCases.max(by: { op.stalls[$0] < op.stalls[$1] }) else { return "0" }
        return "\(Format.count(Double(total) * scale)) (\(top.rawValue) \(Format.percent(op.stalls[top], of: total)))"
    }

    private func operationTable(_ ops: [OperationCost], scale: Double, machine: MachineConfig) -> String {
        let unit = EnergyUnit.fitting(ops.reduce(0) { $0 + $1.energy(machine).total } * scale)
        let rows = ops.map { op -> [String] in
            [op.operation.rawValue, op.operation.unit.rawValue, Format.count(Double(op.cycles) * scale),
             Self.stallSummary(op, scale: scale),
             Format.count(Double(op.dramBytes) * scale), Format.energy(op.energy(machine).total * scale, in: unit),
             Format.percent(op.utilization(machine)), Format.percent(op.boundCycles(machine), of: Double(op.cycles))]
        }
        return Table(header: ["operation", "unit", "cycles", "stall cycles (top cause)", "DRAM bytes", "energy \(unit.rawValue)", "unit util", "of bound"],
                     rows: rows, rightAligned: [2, 3, 4, 5, 6, 7]).render()
            + "(of bound: the operation's fewest possible cycles, its DRAM bytes at the DMA bandwidth or its work at its unit's peak, over its cycles)\n"
    }

    /// Where each operation's cycles beyond its bound go: its stall cycles by cause (per
    /// token), and the cycles it spends above its bound.
    private func stallTable(_ ops: [OperationCost], scale: Double, machine: MachineConfig) -> String {
        let causes = StallCause.allCases
        let rows = ops.map { op -> [String] in
            [op.operation.rawValue, Format.count(Double(op.cycles) * scale), Format.count(op.boundCycles(machine) * scale),
             Format.count(max(0, Double(op.cycles) - op.boundCycles(machine)) * scale)]
                + causes.map { Format.count(Double(op.stalls[$0]) * scale) }
        }
        return Table(header: ["operation", "cycles", "bound", "above bound"] + causes.map(\.rawValue),
                     rows: rows, rightAligned: Set(1...(3 + causes.count))).render()
            + "(stall cycles by cause, ISA.md 6.7: sramPort also counts the float unit's and the float matrix products' cycles beyond the first)\n"
    }

    private func section(_ title: String, _ s: DecoderSimulation) -> String {
        let tokens = Double(s.tokens)
        var out = "== \(title)\n\n"
        for note in s.plan.scheduleNotes { out += "schedule: \(note)\n" }
        if !s.plan.scheduleNotes.isEmpty { out += "\n" }
        out += operationTable(s.operations, scale: 1 / tokens, machine: s.machine)
        out += "(per token, all \(Format.count(s.model.layers)) layers; every operation simulated: \(Format.percent(s.simulatedShare)) of cycles and energy)\n\n"
        out += "where the cycles go, per token:\n"
        out += stallTable(s.operations, scale: 1 / tokens, machine: s.machine) + "\n"
        out += "one layer (any after the first), per token:\n"
        out += operationTable(s.layerOperations, scale: 1 / tokens, machine: s.machine) + "\n"
        let categories = Self.energyByCategory(s)
        let total = s.picojoulesPerToken
        let unit = EnergyUnit.fitting(total)
        out += Table(header: ["energy per token", unit.rawValue, "share"],
                     rows: categories.map { category, pJ in [category.rawValue, Format.energy(pJ, in: unit), Format.percent(pJ, of: total)] }
                         + [["total", Format.energy(total, in: unit), "100.0 %"]],
                     rightAligned: [1, 2]).render() + "\n"
        let base = s.fp16
        let clock = s.machine.clockGHz * 1e9
        let comparisonUnit = EnergyUnit.fitting(max(s.picojoulesPerToken, base.picojoulesPerToken))
        let bound = s.boundCycles / tokens
        let idealTernary = s.idealRooflineCyclesPerToken(weightBytes: s.packedWeightBytes)
        let idealFP16 = s.idealRooflineCyclesPerToken(weightBytes: base.weightBytes)
        out += Table(header: ["per token", "ternary machine", "FP16 baseline", "ratio"], rows: [
            ["weight bytes (projections)", Format.count(s.packedWeightBytes), Format.count(base.weightBytes),
             Format.ratio(Double(base.weightBytes) / Double(s.packedWeightBytes))],
            ["cycles", Format.count(s.cyclesPerToken), Format.count(base.cyclesPerToken), Format.ratio(base.cyclesPerToken / s.cyclesPerToken)],
            ["bound (cycles)", Format.count(bound), Format.count(base.boundCyclesPerToken), Format.ratio(base.boundCyclesPerToken / bound)],
            ["of bound", Format.percent(bound, of: s.cyclesPerToken), Format.percent(base.boundCyclesPerToken, of: base.cyclesPerToken), ""],
            ["ideal roofline (cycles)", Format.count(idealTernary), Format.count(idealFP16), Format.ratio(idealFP16 / idealTernary)],
            ["of ideal roofline", Format.percent(idealTernary, of: s.cyclesPerToken), Format.percent(idealFP16, of: base.cyclesPerToken), ""],
            ["latency", Format.time(s.cyclesPerToken / clock), Format.time(base.cyclesPerToken / clock), ""],
            ["tokens/s", Format.number(s.tokensPerSecond, decimals: 1), Format.number(clock / base.cyclesPerToken, decimals: 1), ""],
            ["energy (\(comparisonUnit.rawValue))", Format.energy(s.picojoulesPerToken, in: comparisonUnit),
             Format.energy(base.picojoulesPerToken, in: comparisonUnit), Format.ratio(base.picojoulesPerToken / s.picojoulesPerToken)],
            ["DRAM traffic (bytes)", Format.count(s.dramBytesPerToken),
             base.simulated ? Format.count(Double(base.dramBytes) / tokens) : "",
             base.simulated ? Format.ratio(Double(base.dramBytes) / tokens / s.dramBytesPerToken) : ""],
        ], rightAligned: [1, 2, 3]).render()
        out += !base.simulated
            ? "(FP16 baseline ESTIMATED, because \(s.baselineEstimateReason ?? "it was not simulated"); its projections at the roofline of FP16 weights on this memory system, its other operations as simulated here)\n"
            : "(FP16 baseline simulated: the same machine with an FP16 array of equal peak MACs in place of the ternary one (hgemm, ISA.md 6.12), the same compiler and schedules; bound: the sum of each operation's bound)\n"
        out += "(ideal roofline: the projections' weights read from DRAM once per pass with the other operations' bytes as simulated, or the MACs at the array's peak"
            + (s.tokens > 1 ? "; the schedules read each weight tile once per group of up to 8 tokens, the array's accumulators: enough to feed the array from ternary weights, not from fp16 ones)\n" : ")\n")
        out += "MAC utilization: \(Format.percent(s.macUtilization)) of peak over the whole token; roofline: \(Format.percent(s.rooflineUtilization)) "
            + "of the bound of \(Format.count(s.rooflineCycles / tokens)) cycles/token (all DRAM bytes at \(s.machine.dramBytesPerCycle) B/cycle, or the trit-MACs at peak)\n"
        return out
    }

    /// A pass's energy per token by category, pJ: what the text, the JSON and the plot show.
    static func energyByCategory(_ s: DecoderSimulation) -> CaseTable<EnergyReport.Category, Double> {
        CaseTable { category in s.operations.reduce(0) { $0 + $1.energy(s.machine).byCategory[category] } / Double(s.tokens) }
    }

    func json() -> JSONValue {
        func operation(_ op: OperationCost, _ tokens: Double, _ machine: MachineConfig) -> JSONValue {
            .object([("name", .string(op.operation.rawValue)), ("unit", .string(op.operation.unit.rawValue)),
                     ("cycles", .number(Double(op.cycles) / tokens)), ("dram_bytes", .number(Double(op.dramBytes) / tokens)),
                     ("energy_pj", .number(op.energy(machine).total / tokens)), ("simulated", .bool(true)),
                     ("stall_cycles", .object(StallCause.allCases.map { ($0.rawValue, .number(Double(op.stalls[$0]) / tokens)) })),
                     ("utilization", .number(op.utilization(machine))),
                     ("bound_cycles", .number(op.boundCycles(machine) / tokens))])
        }
        func simulation(_ s: DecoderSimulation) -> JSONValue {
            let base = s.fp16
            let tokens = Double(s.tokens)
            return .object([
                ("tokens", .int(s.tokens)), ("context", .int(s.context)), ("kv_cache", .string(s.plan.kvFormat.rawValue)),
                ("cycles_per_token", .number(s.cyclesPerToken)), ("tokens_per_second", .number(s.tokensPerSecond)),
                ("energy_pj_per_token", .number(s.picojoulesPerToken)), ("dram_bytes_per_token", .number(s.dramBytesPerToken)),
                ("mac_utilization", .number(s.macUtilization)), ("roofline_utilization", .number(s.rooflineUtilization)),
                ("roofline_cycles_per_token", .number(s.rooflineCycles / tokens)), ("simulated_share", .number(s.simulatedShare)),
                ("operations", .array(s.operations.map { operation($0, tokens, s.machine) })),
                ("layer_operations", .array(s.layerOperations.map { operation($0, tokens, s.machine) })),
                ("energy_pj_by_category", .object(Self.energyByCategory(s).map { category, pJ in (category.key, .number(pJ)) })),
                ("fp16_baseline", .object([("weight_bytes", .int(base.weightBytes)), ("cycles_per_token", .number(base.cyclesPerToken)),
                                           ("energy_pj_per_token", .number(base.picojoulesPerToken)),
                                           ("bound_cycles_per_token", .number(base.boundCyclesPerToken)),
                                           ("ideal_roofline_cycles_per_token", .number(s.idealRooflineCyclesPerToken(weightBytes: base.weightBytes))),
                                           ("projections_estimated", .bool(!base.simulated)),
                                           ("estimate_reason", s.baselineEstimateReason.map { .string($0) } ?? .null),
                                           ("operations", .array(base.operations.map { operation($0, tokens, s.machine) }))])),
                ("bound_cycles_per_token", .number(s.boundCycles / tokens)),
                ("ideal_roofline_cycles_per_token", .number(s.idealRooflineCyclesPerToken(weightBytes: s.packedWeightBytes))),
                ("schedule_notes", .array(s.plan.scheduleNotes.map { .string($0) })),
                ("ratios", .object([("memory", .number(Double(base.weightBytes) / Double(s.packedWeightBytes))),
                                    ("latency", .number(base.cyclesPerToken / s.cyclesPerToken)),
                                    ("energy", .number(base.picojoulesPerToken / s.picojoulesPerToken))])),
            ])
        }
        let m = model
        var fields: [(String, JSONValue)] = [
            ("schema", .string("nmp-model/2")), ("hf_config", .string(source)),
            ("ternary_parameters", .int(m.ternaryParameters)), ("embedding_parameters", .int(m.embeddingParameters)),
            ("lm_head_parameters", .int(m.lmHeadParameters)), ("norm_parameters", .int(m.normParameters)),
            ("packed_weight_bytes", .int(decode.packedWeightBytes)),
            ("full_model_dram_bytes", .int(decode.plan.fullModelDRAMBytes)), ("fits_dram", .bool(decode.plan.fitsDRAM)),
            ("cycles_per_token", .number(decode.cyclesPerToken)), ("tokens_per_second", .number(decode.tokensPerSecond)),
            ("energy_pj_per_token", .number(decode.picojoulesPerToken)),
            ("simulated_share", .number(min(decode.simulatedShare, prefill?.simulatedShare ?? 1))),
            ("decode", simulation(decode)),
        ]
        if let prefill { fields.append(("prefill", simulation(prefill))) }
        fields.append(("config", .raw(decode.machine.jsonText().trimmingCharacters(in: .whitespacesAndNewlines))))
        fields.append(("energy_prices", energyOrigin.json))
        return .object(fields)
    }
}
