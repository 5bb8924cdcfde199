import NMPISA
import NMPSimulator

/// Compiles and runs one FP16 linear layer (`HalfLinearPlan`) on its own: the FP16
/// baseline's projection kernel, for tests against an independent reference.
enum HalfLinearLayer {
    /// Runs `weights` (row-major `out x in` binary16 bit patterns) on `tokens` tokens of
    /// `input` (row-major float32 `[tokens, in]`); returns the float32 outputs `[tokens, out]`
    /// and the run's report.
    static func run(weights: [UInt16], outFeatures: Int, input: [Float], tokens: Int,
                    config: MachineConfig) throws(CompileError) -> (outputs: [Float], result: RunResult, plan: HalfLinearPlan) {
        let inFeatures = input.count / max(1, tokens)
        let plan = try HalfLinearPlan(tokens: tokens, inFeatures: inFeatures, outFeatures: outFeatures, config: config)
        guard weights.count == outFeatures * inFeatures, input.count == tokens * inFeatures else {
            throw CompileError("\(weights.count) weights and \(input.count) inputs for a \(outFeatures) x \(inFeatures) layer over \(tokens) token(s)")
        }
        var builder = ProgramBuilder(packing: config.packing)
        builder.enterRegion("fp16 linear")
        HalfLinearCodegen(plan: plan, weights: plan.weightAddress, input: plan.inputAddress, output: plan.outputAddress).emit(into: &builder)
        builder.emit(.halt)
        var dram = HalfTilePacker.tiles(weights, rows: outFeatures, columns: inFeatures, config: config)
        dram += [UInt8](repeating: 0, count: plan.inputAddress - dram.count)
        DRAMImage.appendFloats(input, to: &dram)
        let simulator: Simulator
        do {
            simulator = try Simulator(image: builder.image(dram: dram), config: config)
        } catch {
            throw CompileError("cannot load the compiled layer: \(error.description)")
        }
        let result = simulator.run()
        if let trap = result.trap {
            throw CompileError("the compiled layer trapped: \(trap.cause.rawValue) at pc \(trap.pc), cycle \(trap.cycle): \(trap.detail)")
        }
        guard let words = DRAMImage.words(simulator, at: plan.outputAddress, count: tokens * outFeatures) else {
            throw CompileError("internal error: the output region is outside DRAM")
        }
        return (words.map { Float(bitPattern: $0) }, result, plan)
    }
}
