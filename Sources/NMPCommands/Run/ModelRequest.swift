import NMPRuntime
import NMPSimulator

/// What `nmp model` simulates of a model on a machine: a decode token after `context` cached
/// tokens and, with a prompt length, a prefill from position 0. `nmp sweep` runs the same
/// request on every point's machine.
struct ModelRequest {
    var model: ModelConfig
    var context: Int
    var promptTokens: Int?
    var kvFormat: KVCacheFormat
    var maxCycles: Int

    /// The passes' plans, made before any simulation: a request the machine or the model
    /// cannot take fails at once, not after the decode step has been simulated.
    func plans(on machine: MachineConfig) throws(CompileError) -> (decode: DecoderPlan, prefill: DecoderPlan?) {
        let decode = try DecoderPlan(model: model, machine: machine, tokens: 1, context: context, kvFormat: kvFormat)
        let prefill = try promptTokens.map { (tokens: Int) throws(CompileError) -> DecoderPlan in
            try DecoderPlan(model: model, machine: machine, tokens: tokens, context: 0, kvFormat: kvFormat)
        }
        return (decode, prefill)
    }

    /// Simulates planned passes; `progress` gives each pass's progress callback from its name.
    /// With a `timeline`, each pass is also drawn on it (one process per pass; no progress then).
    func simulate(_ plans: (decode: DecoderPlan, prefill: DecoderPlan?), timeline: Timeline? = nil,
                  progress: (String) -> ((Int, Int) -> Void)? = { _ in nil }) throws(CompileError) -> (decode: DecoderSimulation, prefill: DecoderSimulation?) {
        func simulate(_ plan: DecoderPlan, _ what: String) throws(CompileError) -> DecoderSimulation {
            guard let pass = timeline?.pass(what) else { return try DecoderSimulation(plan: plan, maxCycles: maxCycles, progress: progress(what)) }
            let simulation = try DecoderSimulation(plan: plan, maxCycles: maxCycles, trace: { pass.record($0) })
            pass.finish(cycles: simulation.run.result.counters.cycles, trap: nil,
                        regions: RegionLabel.decoder(simulation.run.program.builder.regions.names))
            return simulation
        }
        let decode = try simulate(plans.decode, "decode token at context \(Format.count(context))")
        let prefill = try plans.prefill.map { (plan: DecoderPlan) throws(CompileError) -> DecoderSimulation in
            try simulate(plan, "prefill of \(Format.count(plan.tokens)) tokens")
        }
        return (decode, prefill)
    }
}
