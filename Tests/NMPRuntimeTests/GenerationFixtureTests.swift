import Foundation
import NMPRuntime
import NMPSimulator
import NMPTestSupport
import Testing

/// Real checkpoint files written by the `gguf` and `safetensors` Python packages
/// (Tests/NMPRuntimeTests/Fixtures/generate/make_generate_fixtures.py): one tiny model in
/// four files, read back weight by weight against what the script wrote, and generating on
/// the machine the tokens a float32 NumPy reference generates.
enum GenerationFixtures {
    static let folder = repositoryRoot.appendingPathComponent("Tests/NMPRuntimeTests/Fixtures/generate")
    static func path(_ name: String) -> String { folder.appendingPathComponent(name).path }
    static func npy(_ name: String) throws -> NPYArray {
        try NPY.read([UInt8](Data(contentsOf: folder.appendingPathComponent(name))), source: name)
    }
    /// Every checkpoint of the fixture model.
    static let checkpoints = ["tq2_0.gguf", "tq1_0.gguf", "i2_s.gguf", "safetensors"]
    static let promptIDs: [Int] = (try? npy("prompt_ids.npy").int32s()?.map(Int.init)) ?? []
    static let generatedIDs: [Int] = (try? npy("generated_ids.npy").int32s()?.map(Int.init)) ?? []

    /// A machine with room for the model (the default DRAM is plenty; less keeps tests light).
    static var machine: MachineConfig {
        var m = MachineConfig()
        m.dramSize = 1 << 24
        return m
    }

    /// Greedy generation on the machine through a `DecoderSession`: the tokens and the logits
    /// each came from.
    static func generate(_ weights: DecoderWeights, prompt: [Int], steps: Int, kvFormat: KVCacheFormat,
                         machine: MachineConfig = machine) throws -> (ids: [Int], logits: [[Float]]) {
        let session = try DecoderSession(weights: weights, machine: machine, capacity: prompt.count + steps,
                                         maxTokens: prompt.count, kvFormat: kvFormat)
        var input = prompt, ids: [Int] = [], logits: [[Float]] = []
        for _ in 0..<steps {
            let run = try session.step(input)
            let next = Greedy.argmax(run.logits)
            ids.append(next)
            logits.append(run.logits)
            input = [next]
        }
        return (ids, logits)
    }
}

struct GenerationFixtureTests {
    /// Every trit, scale, norm weight and embedding value of each file equals what the
    /// script wrote (its own arrays, not another reader's output).
    @Test(arguments: GenerationFixtures.checkpoints)
    func everyWeightReadsBack(_ name: String) throws {
        let w = try Checkpoint.open(GenerationFixtures.path(name)).source.weights()
        let c = w.config
        #expect(c.layers == 2 && c.hiddenSize == 256 && c.intermediateSize == 256)
        #expect(c.attentionHeads == 4 && c.keyValueHeads == 2 && c.headDim == 64)
        #expect(c.activation == .relu2 && c.tiedEmbeddings && c.ropeTheta == 500_000)
        // GGUF stores the epsilon as float32; the machine uses it as float32 either way.
        #expect(Float(c.rmsNormEps) == Float(1e-5))
        #expect(c.maxPositions == 64)
        let codes = try #require(try GenerationFixtures.npy("trit_codes.npy").int8s()).map { UInt8(bitPattern: $0) }
        let expectedTrits = codes.flatMap { byte in (0..<4).map { Int8((byte >> (2 * $0)) & 3) - 1 } }
        let trits = w.layers.flatMap { layer in layer.projections.flatMap(\.weights.trits) }
        #expect(trits.count == expectedTrits.count)
        #expect(trits == expectedTrits, "\(name): trits")
        let scales = w.layers.flatMap { layer in layer.projections.map(\.weights.scale) }
        #expect(scales == (try GenerationFixtures.npy("scales.npy").floats()), "\(name): scales")
        let norms = w.layers.flatMap { $0.inputNorm + $0.attentionSubNorm + $0.postAttentionNorm + $0.ffnSubNorm } + w.finalNorm
        #expect(norms.map(BFloat16.float) == (try GenerationFixtures.npy("norms.npy").floats()), "\(name): norms")
        #expect(w.embedding.map(w.tableFormat.float) == (try GenerationFixtures.npy("embedding.npy").floats()), "\(name): embedding")
        #expect(w.tableFormat == (name.hasSuffix(".gguf") ? .fp16 : .bf16))
    }

    /// The NumPy reference's greedy tokens, with a float32 KV cache as the reference keeps
    /// one; its logits within 1e-4 (the step margins are at least 0.048, README).
    @Test(arguments: GenerationFixtures.checkpoints)
    func generatesTheReferenceTokens(_ name: String) throws {
        let weights = try Checkpoint.open(GenerationFixtures.path(name)).source.weights()
        let expected = try GenerationFixtures.npy("logits.npy").floats()
        let vocab = weights.config.vocabSize
        let steps = GenerationFixtures.generatedIDs.count
        try #require(steps > 0 && expected.count == steps * vocab)
        let (ids, logits) = try GenerationFixtures.generate(weights, prompt: GenerationFixtures.promptIDs, steps: steps, kvFormat: .fp32)
        #expect(ids == GenerationFixtures.generatedIDs, "\(name)")
        var largest: Float = 0
        for (step, row) in logits.enumerated() {
            for (i, value) in row.enumerated() { largest = max(largest, abs(value - expected[step * vocab + i])) }
        }
        #expect(largest <= 1e-4, "\(name): max |logit - NumPy| = \(largest)")
    }

    /// A session that reads the checkpoint piece by piece equals one given the weights.
    @Test(arguments: GenerationFixtures.checkpoints)
    func streamedSessionEqualsTheLoadedOne(_ name: String) throws {
        let checkpoint = try Checkpoint.open(GenerationFixtures.path(name))
        let loaded = try DecoderSession(weights: checkpoint.source.weights(), machine: GenerationFixtures.machine, capacity: 8, maxTokens: 5)
        let streamed = try DecoderSession(source: checkpoint.source, machine: GenerationFixtures.machine, capacity: 8, maxTokens: 5)
        #expect(streamed.tableFormat == loaded.tableFormat)
        var input = Array(GenerationFixtures.promptIDs.prefix(5))
        for _ in 0..<3 {
            let (a, b) = (try loaded.step(input), try streamed.step(input))
            #expect(a.logits.map(\.bitPattern) == b.logits.map(\.bitPattern))
            #expect(a.result.counters.cycles == b.result.counters.cycles)
            input = [Greedy.argmax(a.logits)]
        }
    }

    /// Bit-exact with the whole-model reference, bf16 cache (the default), tokens and logits,
    /// on the default machine and on odd lane counts.
    @Test(arguments: [(128, 64, 32), (7, 3, 5)])
    func bitExactWithTheReference(_ lanes: (vlen: Int, floatLanes: Int, rows: Int)) throws {
        let weights = try Checkpoint.open(GenerationFixtures.path("tq2_0.gguf")).source.weights()
        var machine = GenerationFixtures.machine
        machine.vlen = lanes.vlen
        machine.floatLanes = lanes.floatLanes
        machine.rows = lanes.rows
        let prompt = GenerationFixtures.promptIDs
        let (ids, logits) = try GenerationFixtures.generate(weights, prompt: prompt, steps: 4, kvFormat: .bf16, machine: machine)
        // The order of attention's sums: the matrix kernel's, unless 64 features in 7 lanes
        // send this machine to the lane-wise kernel.
        let rows = DecoderProgram.attentionRows(model: weights.config, machine: machine, tokens: prompt.count, context: 0, kvFormat: .bf16)
        #expect((rows == nil) == (lanes.vlen == 7))
        var reference = DecoderReference(weights: weights, vlen: machine.vlen, kvFormat: .bf16, attentionRows: rows)
        var input = prompt
        for (step, row) in logits.enumerated() {
            let want = reference.forward(input).last!
            #expect(row.map(\.bitPattern) == want.map(\.bitPattern), "step \(step)")
            #expect(ids[step] == Greedy.argmax(want))
            input = [ids[step]]
        }
    }
}

/// `DecoderSession` against separate passes: the same logits (bit-exact with the reference)
/// and the same cycles, with fp16 tables, an untied head and both cache formats.
struct DecoderSessionTests {
    static let mqa = ModelConfig(modelType: "bitnet", hiddenSize: 24, intermediateSize: 50, layers: 3, attentionHeads: 6,
                                 keyValueHeads: 1, headDim: 4, vocabSize: 61, activation: .relu2, rmsNormEps: 1e-5,
                                 ropeTheta: 500_000, maxPositions: 40, tiedEmbeddings: false)

    @Test(arguments: TableFormat.allCases, KVCacheFormat.allCases)
    func sessionPassesEqualSeparatePasses(_ table: TableFormat, _ cache: KVCacheFormat) throws {
        let weights = DecoderWeights.random(Self.mqa, seed: 77, tableFormat: table)
        let machine = GenerationFixtures.machine
        let prompt = [3, 60, 0, 17, 17]
        let session = try DecoderSession(weights: weights, machine: machine, capacity: 9, maxTokens: prompt.count, kvFormat: cache)
        var reference = DecoderReference(weights: weights, vlen: machine.vlen, kvFormat: cache,
                                         attentionRows: cache == .fp32 ? nil : machine.rows)
        var separate = try DecoderRun(DecoderProgram(weights: weights, machine: machine, tokenIDs: prompt, context: 0, kvFormat: cache))
        var input = prompt
        for step in 0..<4 {
            let run = try session.step(input)
            #expect(run.logits.map(\.bitPattern) == reference.forward(input).last!.map(\.bitPattern), "step \(step)")
            #expect(run.logits.map(\.bitPattern) == separate.logits.map(\.bitPattern), "step \(step)")
            #expect(run.result.counters.cycles == separate.result.counters.cycles, "step \(step)")
            let next = Greedy.argmax(run.logits)
            separate = try DecoderRun(DecoderProgram(weights: weights, machine: machine, tokenIDs: [next], context: session.position,
                                                     kvFormat: cache, cache: separate.cache))
            input = [next]
        }
        #expect(session.position == prompt.count + 3)
        // The cache is full after one more token; a pass beyond it, an id outside the
        // vocabulary and an over-long pass are errors, not traps.
        _ = try session.step([1])
        #expect(throws: CompileError.self) { try session.step([1]) }
        #expect(throws: CompileError.self) { try DecoderSession(weights: weights, machine: machine, capacity: 41, maxTokens: 1) }
        let fresh = try DecoderSession(weights: weights, machine: machine, capacity: 9, maxTokens: 2)
        #expect(throws: CompileError.self) { try fresh.step([61]) }
        #expect(throws: CompileError.self) { try fresh.step([1, 2, 3]) }
    }

    @Test func argmaxTakesTheFirstMaximumAndSkipsNaN() {
        #expect(Greedy.argmax([1, 3, 3, 2]) == 1)
        #expect(Greedy.argmax([.nan, -5, -1, .nan]) == 2)
        #expect(Greedy.argmax([-.infinity, -.infinity]) == 0)
        #expect(Greedy.argmax([.nan]) == 0)
        #expect(Greedy.argmax([0, .infinity, 1]) == 1)
    }
}

/// No operation beats its bound (`OperationCost.boundCycles`): the machine cannot move DRAM
/// bytes faster than its DMA bandwidth nor do work faster than its units' peaks, so every
/// operation's cycles are at least its bound; on narrow and wide machines.
struct OperationBoundTests {
    @Test(arguments: [(64, 32, 64), (7, 5, 3), (128, 64, 128)])
    func noOperationBeatsItsBound(_ shape: (vlen: Int, rows: Int, floatLanes: Int)) throws {
        var machine = GenerationFixtures.machine
        machine.vlen = shape.vlen
        machine.rows = shape.rows
        machine.floatLanes = shape.floatLanes
        let weights = DecoderWeights.random(DecoderSessionTests.mqa, seed: 3)
        for tokens in [1, 7] {
            let run = try DecoderRun(DecoderProgram(weights: weights, machine: machine, tokenIDs: Array(repeating: 5, count: tokens), context: 2,
                                                    capacity: 2 + tokens))
            for op in run.operations {
                let bound = op.boundCycles(machine)
                #expect(bound > 0 && bound <= Double(op.cycles), "\(op.operation) layer \(op.layer ?? -1): bound \(bound) > \(op.cycles) cycles")
            }
        }
    }
}

/// The FP16 baseline is simulated with the same compiler on the same machine, its ternary
/// array replaced by the FP16 array: every other operation is the same code and takes the
/// same cycles as on the ternary machine, and no operation beats its bound.
struct FP16BaselineTests {
    /// No operation of the baseline beats its bound, and every one but the projections takes
    /// the ternary machine's cycles.
    static func expectSameOtherOperations(_ s: DecoderSimulation, _ machine: MachineConfig) {
        for op in s.fp16.operations {
            let bound = op.boundCycles(machine)
            #expect(bound > 0 && bound <= Double(op.cycles), "\(op.operation): bound \(bound) > \(op.cycles) cycles")
            if let ternary = s.operations.first(where: { $0.operation == op.operation }), op.operation.unit != .ternary {
                #expect(op.cycles == ternary.cycles, "\(op.operation) differs between the machines")
            }
        }
    }

    /// A pass's baseline (a decode token, a prefill) runs its projections on the FP16 array
    /// (`hgemm`): each reads its binary16 tiles (rows padded to ROWS, columns to VLEN) once per
    /// token group, its float32 inputs and outputs once, and multiplies every token with ROWS
    /// rows per block; the other operations are the ternary machine's code and take its cycles.
    @Test(arguments: [(64, 32, 64, 1), (7, 5, 3, 1), (64, 32, 64, 3), (7, 5, 3, 11)])
    func baselineIsSimulated(_ shape: (vlen: Int, rows: Int, floatLanes: Int, tokens: Int)) throws {
        var machine = GenerationFixtures.machine
        machine.vlen = shape.vlen
        machine.rows = shape.rows
        machine.floatLanes = shape.floatLanes
        let model = DecoderSessionTests.mqa
        let s = try DecoderSimulation(model: model, machine: machine, tokens: shape.tokens, context: 2)
        let base = s.fp16
        #expect(base.simulated)
        Self.expectSameOtherOperations(s, machine)
        for (op, linear) in zip(DecoderOperation.allCases.filter { $0.unit == .ternary }, model.linearLayers) {
            let cost = try #require(base.operations.first { $0.operation == op })
            let plan = try HalfLinearPlan(tokens: shape.tokens, inFeatures: linear.inFeatures, outFeatures: linear.outFeatures, config: machine)
            let groups = (shape.tokens + plan.group - 1) / plan.group
            let blocks = (linear.outFeatures + shape.rows - 1) / shape.rows, chunks = (linear.inFeatures + shape.vlen - 1) / shape.vlen
            let tiles = groups * blocks * chunks * 2 * shape.rows * shape.vlen
            let expected = model.layers * (tiles + 4 * shape.tokens * (linear.inFeatures + linear.outFeatures))
            #expect(cost.dramBytes == expected, "\(op)")
            #expect(cost.events[.fp16Mul] == model.layers * shape.tokens * blocks * shape.rows * linear.inFeatures, "\(op)")
            #expect(cost.tritMACs == 0)
        }
        #expect(base.weightBytes == 2 * model.ternaryParameters)
    }
}

/// A machine whose SRAMs cannot hold the schedules the compiler prefers gets smaller ones,
/// and the plan says so (`nmp model` prints these as "schedule:" lines): a 48 KiB activation
/// SRAM gives a 128-token prefill of 2B4T's down_proj smaller token groups (8 tokens of
/// 6912 int8 codes do not fit beside its buffers); a weight SRAM with room for
/// three buffers of 6 rows of the LM head gives it groups of 6 rows and sends attention to
/// the lane-wise kernel (an fp32 cache uses that kernel by design, with no note).
struct ScheduleFallbackTests {
    static let model = try! ModelConfig(json: ModelConfigTests.example("bitnet-b1.58-2B-4T.config.json"), source: "2B-4T")

    @Test func smallActivationSRAMPrefill() throws {
        var machine = MachineConfig()
        machine.activationSRAM.size = 48 * 1024
        let plan = try DecoderPlan(model: Self.model, machine: machine, tokens: 128, context: 0)
        #expect(plan.scheduleNotes.contains { $0.hasPrefix("down_proj") && $0.contains("activation SRAM: groups of") }, "\(plan.scheduleNotes)")
        let decode = try DecoderPlan(model: Self.model, machine: MachineConfig(), tokens: 1, context: 1024)
        #expect(decode.scheduleNotes.isEmpty, "\(decode.scheduleNotes)")
    }

    @Test func smallWeightSRAMHeadAndAttention() throws {
        var machine = GenerationFixtures.machine
        let model = DecoderMachineTests.gqa   // hidden 40, FFN 72, head_dim 10
        // Two buffers of one row block of 72 inputs (2 x 832 bytes): room for the BitLinears,
        // for three LM head buffers of 6 rows of 80 bytes, but not for three blocks of 32 cached
        // rows of 20 bytes (1920).
        machine.weightSRAM.size = 1664
        let plan = try DecoderPlan(model: model, machine: machine, tokens: 1, context: 3)
        #expect(plan.scheduleNotes.contains { $0.hasPrefix("attention: the lane-wise kernel") }, "\(plan.scheduleNotes)")
        #expect(plan.scheduleNotes.contains { $0.hasPrefix("LM head: 6 rows per group") }, "\(plan.scheduleNotes)")
        let fp32 = try DecoderPlan(model: DecoderSessionTests.mqa, machine: GenerationFixtures.machine, tokens: 1, context: 3, kvFormat: .fp32)
        #expect(fp32.scheduleNotes.isEmpty, "an fp32 cache uses the lane-wise kernel by design: \(fp32.scheduleNotes)")
    }
}
