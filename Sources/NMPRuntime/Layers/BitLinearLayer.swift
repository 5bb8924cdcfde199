import NMPAssembler
import NMPISA
import NMPSimulator

/// One BitLinear compiled for a machine: the plan, the program and its image.
public struct CompiledBitLinear: Sendable {
    public let plan: BitLinearPlan
    /// The generated program, `.nasm` text that `nmp asm` accepts.
    public let source: String
    /// The program with the packed weights and the inputs in its DRAM section.
    public let image: MicrocodeImage
}

/// What running a compiled BitLinear gave: the machine's outputs and its report.
public struct BitLinearRun: Sendable {
    /// `[tokens, out]` int32 sums xq . Wq^T, row-major.
    public let accumulators: [Int32]
    /// `[tokens, out]` float32 outputs Float(acc) / s * gamma, row-major.
    public let outputs: [Float]
    /// Cycles, stalls, traffic and energy of the run.
    public let result: RunResult
}

/// Compiles and runs BitLinear layers on the simulated machine.
public enum BitLinearLayer {
    /// Compiles `weights` (out x in trits and their scale) for `tokens` tokens of `input`
    /// (row-major float32 `[tokens, in]`) on `config`.
    public static func compile(weights: TernaryWeights, input: [Float], tokens: Int,
                               config: MachineConfig) throws(CompileError) -> CompiledBitLinear {
        let plan = try BitLinearPlan(tokens: tokens, inFeatures: weights.columns, outFeatures: weights.rows, config: config)
        guard input.count == tokens * weights.columns else {
            throw CompileError("the input has \(input.count) values; \(tokens) token(s) of \(weights.columns) features need \(tokens * weights.columns)")
        }
        if let bad = input.firstIndex(where: { !$0.isFinite }) {
            throw CompileError("input value \(bad) (token \(bad / weights.columns), feature \(bad % weights.columns)) is \(input[bad]); activations must be finite")
        }
        guard weights.scale.isFinite else { throw CompileError("the weight scale is \(weights.scale); it must be finite") }
        let source = BitLinearCodegen.source(plan: plan, weightScale: weights.scale)
        let assembled = Assembler.assemble(source: source, fileName: "bitlinear.nasm")
        guard var image = assembled.image else {
            throw CompileError("internal error: the generated program does not assemble:\n" + assembled.renderedDiagnostics)
        }
        var dram = WeightPacker.tiles(weights.trits, rows: weights.rows, columns: weights.columns, config: config)
        dram += [UInt8](repeating: 0, count: plan.inputAddress - dram.count)
        dram.reserveCapacity(dram.count + 4 * input.count)
        for value in input {
            let bits = value.bitPattern
            dram += [UInt8(truncatingIfNeeded: bits), UInt8(truncatingIfNeeded: bits >> 8),
                     UInt8(truncatingIfNeeded: bits >> 16), UInt8(truncatingIfNeeded: bits >> 24)]
        }
        image.dramData = dram
        return CompiledBitLinear(plan: plan, source: source, image: image)
    }

    /// Runs a compiled layer and collects its outputs from DRAM.
    public static func run(_ compiled: CompiledBitLinear, maxCycles: Int = Simulator.defaultMaxCycles) throws(CompileError) -> BitLinearRun {
        let plan = compiled.plan
        let simulator: Simulator
        do {
            simulator = try Simulator(image: compiled.image, config: plan.config)
        } catch {
            throw CompileError("cannot load the compiled layer: \(error.description)")
        }
        let result = simulator.run(maxCycles: maxCycles)
        if let trap = result.trap {
            throw CompileError("the compiled layer trapped: \(trap.cause.rawValue) at pc \(trap.pc), cycle \(trap.cycle): \(trap.detail)")
        }
        guard let staged = simulator.read(.dram, at: plan.outputAddress, count: plan.groups * plan.blocks * plan.stagingBytes) else {
            throw CompileError("internal error: the output region is outside DRAM")
        }
        let rows = plan.config.rows
        var accumulators = [Int32](repeating: 0, count: plan.tokens * plan.outFeatures)
        var outputs = [Float](repeating: 0, count: plan.tokens * plan.outFeatures)
        func word(_ offset: Int) -> UInt32 {
            UInt32(staged[offset]) | UInt32(staged[offset + 1]) << 8 | UInt32(staged[offset + 2]) << 16 | UInt32(staged[offset + 3]) << 24
        }
        for token in 0..<plan.tokens {
            let (g, slot) = token.quotientAndRemainder(dividingBy: plan.group)
            for b in 0..<plan.blocks {
                let base = (g * plan.blocks + b) * plan.stagingBytes
                for r in 0..<plan.rows(inBlock: b) {
                    let index = token * plan.outFeatures + b * rows + r
                    accumulators[index] = Int32(bitPattern: word(base + 4 * (slot * rows + r)))
                    outputs[index] = Float(bitPattern: word(base + 4 * ((plan.group + slot) * rows + r)))
                }
            }
        }
        return BitLinearRun(accumulators: accumulators, outputs: outputs, result: result)
    }
}
