import Foundation
import NMPRuntime
import NMPISA
import NMPSimulator

/// The report of `nmp model`.
struct ModelReport {
    var source: String
    var decode: DecoderSimulation
    var prefill: DecoderSimulation?

    private var model: ModelConfig { decode.model }

    func text() -> String {
        let m = model
        var out = "model    \(source): \(m.modelType), hidden \(m.hiddenSize), FFN \(m.intermediateSize) (\(m.activation.rawValue)), "
            + "\(m.layers) layers, \(m.attentionHeads)/\(m.keyValueHeads) heads x \(m.headDim), vocab \(m.vocabSize)\n"
        out += "machine  \(RunReport.machineSummary(decode.machine))\n\n"
        out += Table(header: ["parameters", "count", "bytes as stored"], rows: [
            ["ternary (q k v o gate up down)", RunReport.int(m.ternaryParameters), RunReport.int(decode.packedWeightBytes) + " packed"],
            ["embedding", RunReport.int(m.embeddingParameters), RunReport.int(2 * m.embeddingParameters) + " bf16"],
            ["lm_head (own weights)", RunReport.int(m.lmHeadParameters), RunReport.int(2 * m.lmHeadParameters) + " bf16"],
            ["norms", RunReport.int(m.normParameters), RunReport.int(2 * m.normParameters) + " bf16"],
        ], rightAligned: [1, 2]).render() + "\n"
        out += section("decode token (context \(decode.context))", decode)
        if let prefill { out += "\n" + section("prefill of \(prefill.tokens) tokens, per token", prefill) }
        return out
    }

    private func section(_ title: String, _ s: DecoderSimulation) -> String {
        let layers = Double(s.model.layers), tokens = Double(s.tokens)
        var out = "== \(title)\n\n"
        out += Table(header: ["projection", "out x in", "cycles/token", "DRAM bytes/token", "energy uJ/token", "MAC util"],
                     rows: s.projections.map { p in
                         [p.shape.name, "\(p.shape.outFeatures) x \(p.shape.inFeatures)",
                          RunReport.int(Int(Double(p.result.counters.cycles) * layers / tokens)),
                          RunReport.int(Int(Double(p.result.events[.dramRead] + p.result.events[.dramWrite]) * layers / tokens)),
                          String(format: "%.2f", p.result.energy.total * layers / tokens / 1e6),
                          String(format: "%.1f %%", p.result.macUtilization * 100)]
                     }, rightAligned: [2, 3, 4, 5]).render()
        out += "(each row: one layer's projection x \(s.model.layers) layers)\n\n"
        out += Table(header: ["host operation", "MACs/token", "other ops", "DRAM bytes", "est. uJ", "note"],
                     rows: s.hostOperations.map { h in
                         [h.name, RunReport.int(h.macs), RunReport.int(h.operations), RunReport.int(h.dramBytes),
                          String(format: "%.2f", h.picojoules / 1e6), h.note]
                     }, rightAligned: [1, 2, 3, 4]).render()
        out += "(host operations are estimates: FP16 MAC/add energy, DRAM at the table's price, time = DRAM bytes / bandwidth)\n\n"
        var categories = CaseTable<EnergyReport.Category, Double>()
        for p in s.projections {
            for (category, pj) in p.result.energy.byCategory { categories[category] += pj * layers / tokens }
        }
        let total = s.picojoulesPerToken
        out += Table(header: ["energy per token", "uJ", "share"],
                     rows: EnergyReport.Category.allCases.map { category in
                         ["projections: " + category.rawValue, String(format: "%.2f", (categories[category]) / 1e6),
                          RunReport.percent(categories[category], total)]
                     } + [["host operations (estimated)", String(format: "%.2f", s.hostPicojoulesPerToken / 1e6),
                           RunReport.percent(s.hostPicojoulesPerToken, total)],
                          ["total", String(format: "%.2f", total / 1e6), "100.0 %"]],
                     rightAligned: [1, 2]).render() + "\n"
        let base = s.fp16
        out += Table(header: ["per token", "ternary machine", "FP16 baseline", "ratio"], rows: [
            ["weight bytes (projections)", RunReport.int(s.packedWeightBytes), RunReport.int(base.weightBytes),
             String(format: "%.2fx", Double(base.weightBytes) / Double(s.packedWeightBytes))],
            ["cycles (projections + host)", RunReport.int(Int(s.cyclesPerToken)), RunReport.int(Int(base.cyclesPerToken)),
             String(format: "%.2fx", base.cyclesPerToken / s.cyclesPerToken)],
            ["latency", RunReport.time(s.cyclesPerToken / (s.machine.clockGHz * 1e9)),
             RunReport.time(base.cyclesPerToken / (s.machine.clockGHz * 1e9)), ""],
            ["tokens/s", String(format: "%.1f", s.tokensPerSecond), String(format: "%.1f", s.machine.clockGHz * 1e9 / base.cyclesPerToken), ""],
            ["energy", String(format: "%.4f J", s.picojoulesPerToken / 1e12), String(format: "%.4f J", base.picojoulesPerToken / 1e12),
             String(format: "%.2fx", base.picojoulesPerToken / s.picojoulesPerToken)],
            ["DRAM traffic", RunReport.int(Int(s.dramBytesPerToken)), "", ""],
        ], rightAligned: [1, 2, 3]).render()
        out += String(format: "MAC utilization of the projections: %.1f %% of peak, %.1f %% of the roofline bound (%.0f trit-MACs/cycle)\n",
                      s.macUtilization * 100, s.rooflineUtilization * 100, s.rooflineMACsPerCycle)
        out += String(format: "energy split: ternary projections %.1f %%, host operations %.1f %%\n",
                      s.ternaryPicojoulesPerToken / s.picojoulesPerToken * 100, s.hostPicojoulesPerToken / s.picojoulesPerToken * 100)
        return out
    }

    func json() -> JSONValue {
        func simulation(_ s: DecoderSimulation) -> JSONValue {
            let base = s.fp16
            return .object([
                ("tokens", .int(s.tokens)), ("context", .int(s.context)),
                ("cycles_per_token", .number(s.cyclesPerToken)), ("ternary_cycles_per_token", .number(s.ternaryCyclesPerToken)),
                ("host_cycles_per_token", .number(s.hostCyclesPerToken)), ("tokens_per_second", .number(s.tokensPerSecond)),
                ("energy_pj_per_token", .number(s.picojoulesPerToken)), ("ternary_energy_pj_per_token", .number(s.ternaryPicojoulesPerToken)),
                ("host_energy_pj_per_token", .number(s.hostPicojoulesPerToken)), ("dram_bytes_per_token", .number(s.dramBytesPerToken)),
                ("mac_utilization", .number(s.macUtilization)), ("roofline_utilization", .number(s.rooflineUtilization)),
                ("projections", .array(s.projections.map { p in
                    .object([("name", .string(p.shape.name)), ("out_features", .int(p.shape.outFeatures)), ("in_features", .int(p.shape.inFeatures)),
                             ("cycles_per_layer", .int(p.result.counters.cycles)), ("packed_bytes", .int(p.packedBytes)),
                             ("dram_bytes_per_layer", .int(p.result.events[.dramRead] + p.result.events[.dramWrite])),
                             ("energy_pj_per_layer", .number(p.result.energy.total)), ("mac_utilization", .number(p.result.macUtilization)),
                             ("energy_pj_by_category", .object(EnergyReport.Category.allCases.map { ($0.key, .number(p.result.energy.byCategory[$0])) }))])
                })),
                ("host_operations", .array(s.hostOperations.map { h in
                    .object([("name", .string(h.name)), ("macs", .int(h.macs)), ("operations", .int(h.operations)),
                             ("dram_bytes", .int(h.dramBytes)), ("energy_pj", .number(h.picojoules)), ("cycles", .number(h.cycles))])
                })),
                ("fp16_baseline", .object([("weight_bytes", .int(base.weightBytes)), ("cycles_per_token", .number(base.cyclesPerToken)),
                                           ("energy_pj_per_token", .number(base.picojoulesPerToken))])),
                ("ratios", .object([("memory", .number(Double(base.weightBytes) / Double(s.packedWeightBytes))),
                                    ("latency", .number(base.cyclesPerToken / s.cyclesPerToken)),
                                    ("energy", .number(base.picojoulesPerToken / s.picojoulesPerToken))])),
            ])
        }
        let m = model
        var fields: [(String, JSONValue)] = [
            ("schema", .string("nmp-model/1")), ("hf_config", .string(source)),
            ("ternary_parameters", .int(m.ternaryParameters)), ("embedding_parameters", .int(m.embeddingParameters)),
            ("lm_head_parameters", .int(m.lmHeadParameters)), ("norm_parameters", .int(m.normParameters)),
            ("packed_weight_bytes", .int(decode.packedWeightBytes)),
            ("cycles_per_token", .number(decode.cyclesPerToken)), ("tokens_per_second", .number(decode.tokensPerSecond)),
            ("energy_pj_per_token", .number(decode.picojoulesPerToken)),
            ("decode", simulation(decode)),
        ]
        if let prefill { fields.append(("prefill", simulation(prefill))) }
        fields.append(("config", .raw(decode.machine.jsonText().trimmingCharacters(in: .whitespacesAndNewlines))))
        return .object(fields)
    }
}
