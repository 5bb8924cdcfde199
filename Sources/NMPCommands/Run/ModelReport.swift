import Foundation
import NMPRuntime
import NMPSimulator
import NMPSupport

/// The report of `nmp model`.
struct ModelReport {
    var source: String
    var decode: DecoderSimulation
    var prefill: DecoderSimulation?

    private var model: ModelConfig { decode.model }

    func text() -> String {
        let m = model
        var out = "model    \(source): \(m.modelType), hidden \(Format.count(m.hiddenSize)), FFN \(Format.count(m.intermediateSize)) (\(m.activation.rawValue)), "
            + "\(Format.count(m.layers)) layer\(m.layers == 1 ? "" : "s"), \(m.attentionHeads)/\(m.keyValueHeads) heads x \(m.headDim), vocab \(Format.count(m.vocabSize))\n"
        out += "machine  \(RunReport.machineSummary(decode.machine))\n\n"
        out += Table(header: ["parameters", "count", "bytes as stored"], rows: [
            ["ternary (q k v o gate up down)", Format.count(m.ternaryParameters), Format.count(decode.packedWeightBytes) + " packed"],
            ["embedding", Format.count(m.embeddingParameters), Format.count(2 * Double(m.embeddingParameters)) + " bf16"],
            ["lm_head (own weights)", Format.count(m.lmHeadParameters), Format.count(2 * Double(m.lmHeadParameters)) + " bf16"],
            ["norms", Format.count(m.normParameters), Format.count(2 * Double(m.normParameters)) + " bf16"],
        ], rightAligned: [1, 2]).render() + "\n"
        out += section("decode token (context \(Format.count(decode.context)))", decode)
        if let prefill {
            out += "\n" + section(prefill.tokens == 1 ? "prefill of 1 token" : "prefill of \(Format.count(prefill.tokens)) tokens, per token", prefill)
        }
        return out
    }

    private func section(_ title: String, _ s: DecoderSimulation) -> String {
        let layers = Double(s.model.layers), tokens = Double(s.tokens)
        var out = "== \(title)\n\n"
        let projectionUnit = EnergyUnit.fitting(s.ternaryPicojoulesPerToken)
        out += Table(header: ["projection", "out x in", "cycles/token", "DRAM bytes/token", "energy \(projectionUnit.rawValue)/token", "MAC util"],
                     rows: s.projections.map { p in
                         [p.shape.name, "\(Format.count(p.shape.outFeatures)) x \(Format.count(p.shape.inFeatures))",
                          Format.count(Double(p.result.counters.cycles) * layers / tokens),
                          Format.count(Double(p.result.events[.dramRead] + p.result.events[.dramWrite]) * layers / tokens),
                          Format.energy(p.result.energy.total * layers / tokens, in: projectionUnit),
                          Format.percent(p.result.macUtilization)]
                     }, rightAligned: [2, 3, 4, 5]).render()
        out += "(each row: one layer's projection x \(Format.count(s.model.layers)) layer\(s.model.layers == 1 ? "" : "s"))\n\n"
        let hostUnit = EnergyUnit.fitting(s.hostPicojoulesPerToken)
        out += Table(header: ["host operation", "MACs/token", "other ops", "DRAM bytes", "est. \(hostUnit.rawValue)", "note"],
                     rows: s.hostOperations.map { h in
                         [h.name, Format.count(h.macs), Format.count(h.operations), Format.count(h.dramBytes),
                          Format.energy(h.picojoules, in: hostUnit), h.note]
                     }, rightAligned: [1, 2, 3, 4]).render()
        out += "(host operations are estimates: FP16 MAC/add energy, DRAM at the table's price, time = DRAM bytes / bandwidth)\n\n"
        var categories = CaseTable<EnergyReport.Category, Double>()
        for p in s.projections {
            for (category, pj) in p.result.energy.byCategory { categories[category] += pj * layers / tokens }
        }
        let total = s.picojoulesPerToken
        let unit = EnergyUnit.fitting(total)
        out += Table(header: ["energy per token", unit.rawValue, "share"],
                     rows: categories.map { category, pJ in
                         ["projections: " + category.rawValue, Format.energy(pJ, in: unit), Format.percent(pJ, of: total)]
                     } + [["host operations (estimated)", Format.energy(s.hostPicojoulesPerToken, in: unit),
                           Format.percent(s.hostPicojoulesPerToken, of: total)],
                          ["total", Format.energy(total, in: unit), "100.0 %"]],
                     rightAligned: [1, 2]).render() + "\n"
        let base = s.fp16
        let clock = s.machine.clockGHz * 1e9
        let comparisonUnit = EnergyUnit.fitting(max(s.picojoulesPerToken, base.picojoulesPerToken))
        out += Table(header: ["per token", "ternary machine", "FP16 baseline", "ratio"], rows: [
            ["weight bytes (projections)", Format.count(s.packedWeightBytes), Format.count(base.weightBytes),
             Format.ratio(Double(base.weightBytes) / Double(s.packedWeightBytes))],
            ["cycles (projections + host)", Format.count(s.cyclesPerToken), Format.count(base.cyclesPerToken),
             Format.ratio(base.cyclesPerToken / s.cyclesPerToken)],
            ["latency", Format.time(s.cyclesPerToken / clock), Format.time(base.cyclesPerToken / clock), ""],
            ["tokens/s", Format.number(s.tokensPerSecond, decimals: 1), Format.number(clock / base.cyclesPerToken, decimals: 1), ""],
            ["energy (\(comparisonUnit.rawValue))", Format.energy(s.picojoulesPerToken, in: comparisonUnit),
             Format.energy(base.picojoulesPerToken, in: comparisonUnit),
             Format.ratio(base.picojoulesPerToken / s.picojoulesPerToken)],
            ["DRAM traffic (bytes)", Format.count(s.dramBytesPerToken), "", ""],
        ], rightAligned: [1, 2, 3]).render()
        out += "MAC utilization of the projections: \(Format.percent(s.macUtilization)) of peak, \(Format.percent(s.rooflineUtilization)) "
            + "of the roofline bound (\(Format.count(s.rooflineMACsPerCycle)) trit-MACs/cycle)\n"
        out += "energy split: ternary projections \(Format.percent(s.ternaryPicojoulesPerToken, of: s.picojoulesPerToken)), "
            + "host operations \(Format.percent(s.hostPicojoulesPerToken, of: s.picojoulesPerToken))\n"
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
