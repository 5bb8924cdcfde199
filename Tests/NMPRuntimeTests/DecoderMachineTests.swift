import NMPAssembler
import NMPISA
import NMPRuntime
import NMPSimulator
import NMPTestSupport
import Testing

/// The whole decoder on the machine (ISA.md chapter 11) against the plain-Swift reference
/// (`DecoderReference`, written from the same chapter without the simulator): bit-exact
/// logits on random tiny models, with GQA, ragged sizes and contexts 1 ... 64.
struct DecoderMachineTests {
    struct Tiny: Sendable, CustomTestStringConvertible {
        let name: String
        let model: ModelConfig
        let machine: String
        var testDescription: String { "\(name) on \(machine)" }

        var config: MachineConfig {
            var c = MachineConfig()
            switch machine {
            case "narrow":
                // Odd lanes and rows, 2-bit packing, a small activation SRAM, 3 float lanes.
                c.vlen = 7
                c.rows = 5
                c.packing = .twoBit
                c.activationSRAM.size = 8192
                c.floatLanes = 3
                c.dramSize = 1 << 24
            case "halves":
                // VLEN 4: 40 features are 10 chunks, so a group of 8 tokens multiplies in two
                // halves (40 vectors per half and block), and q, k and v (gate and up) share
                // one quantization per group (BitLinearCodegen.emitShared).
                c.vlen = 4
                c.rows = 4
                c.floatLanes = 4
                c.dramSize = 1 << 24
            case "wide":
                c.vlen = 128
                c.rows = 16
                c.floatLanes = 16
                c.dramSize = 1 << 24
            default:
                c.dramSize = 1 << 24
            }
            return c
        }
    }

    static func model(_ type: String, hidden: Int, ffn: Int, layers: Int, heads: Int, kv: Int, headDim: Int, vocab: Int,
                      activation: ModelConfig.Activation, tied: Bool, maxPositions: Int = 80) -> ModelConfig {
        ModelConfig(modelType: type, hiddenSize: hidden, intermediateSize: ffn, layers: layers, attentionHeads: heads,
                    keyValueHeads: kv, headDim: headDim, vocabSize: vocab, activation: activation, rmsNormEps: 1e-5,
                    ropeTheta: type == "bitnet" ? 500_000 : 10_000, maxPositions: maxPositions, tiedEmbeddings: tied)
    }

    static let gqa = model("bitnet", hidden: 40, ffn: 72, layers: 2, heads: 4, kv: 2, headDim: 10, vocab: 97, activation: .relu2, tied: true)
    static let mqa = model("bitnet", hidden: 24, ffn: 50, layers: 3, heads: 6, kv: 1, headDim: 4, vocab: 61, activation: .relu2, tied: false)
    static let silu = model("llama", hidden: 36, ffn: 66, layers: 1, heads: 3, kv: 3, headDim: 12, vocab: 53, activation: .silu, tied: false)

    static let cases: [Tiny] = [
        Tiny(name: "2 layers, GQA 4/2, relu2", model: gqa, machine: "default"),
        Tiny(name: "2 layers, GQA 4/2, relu2", model: gqa, machine: "narrow"),
        Tiny(name: "2 layers, GQA 4/2, relu2", model: gqa, machine: "halves"),
        Tiny(name: "3 layers, MQA 6/1, untied", model: mqa, machine: "default"),
        Tiny(name: "3 layers, MQA 6/1, untied", model: mqa, machine: "wide"),
        Tiny(name: "1 layer, SiLU", model: silu, machine: "narrow"),
    ]

    static func ids(_ n: Int, vocab: Int, seed: UInt64) -> [Int] {
        var rng = SplitMix64(seed: seed)
        return (0..<n).map { _ in Int(rng.next() % UInt64(vocab)) }
    }

    /// A prefill of several lengths, then decode steps that continue from the machine's own
    /// KV cache: every logit bit-exact with the reference at every step.
    @Test(arguments: cases, KVCacheFormat.allCases)
    func machineMatchesTheReference(_ c: Tiny, _ format: KVCacheFormat) throws {
        let weights = DecoderWeights.random(c.model, seed: 0xDEC0DE)
        for (prompt, steps) in [(1, 2), (9, 3)] {
            let ids = Self.ids(prompt + steps, vocab: c.model.vocabSize, seed: UInt64(prompt))
            let rows = DecoderProgram.attentionRows(model: c.model, machine: c.config, tokens: prompt + steps, context: 0, kvFormat: format)
            var reference = DecoderReference(weights: weights, vlen: c.config.vlen, kvFormat: format, attentionRows: rows)
            let expected = reference.forward(Array(ids[..<prompt]))
            var run = try DecoderRun(DecoderProgram(weights: weights, machine: c.config, tokenIDs: Array(ids[..<prompt]),
                                                    context: 0, kvFormat: format))
            #expect(run.logits.map(\.bitPattern) == expected.last!.map(\.bitPattern), "prefill of \(prompt)")
            for step in 0..<steps {
                let position = prompt + step
                let want = reference.forward([ids[position]])
                run = try DecoderRun(DecoderProgram(weights: weights, machine: c.config, tokenIDs: [ids[position]],
                                                    context: position, kvFormat: format, cache: run.cache))
                #expect(run.logits.map(\.bitPattern) == want.last!.map(\.bitPattern), "decode at position \(position)")
            }
        }
    }

    /// Non-finite activations: the machine does what ISA.md 7.11 and 7.12 say (IEEE special
    /// values, canonical NaNs, `fq` maps NaN to code 0), and the reference follows the same
    /// rules, so the logits agree bit for bit, NaNs included. Embedding rows with +inf, a NaN,
    /// and the largest bf16 (its square overflows to inf in the norm).
    @Test func nonFiniteActivationsFollowTheReference() throws {
        var weights = DecoderWeights.random(Self.gqa, seed: 9)
        let hidden = Self.gqa.hiddenSize
        weights.embedding[3 * hidden + 2] = 0x7F80
        weights.embedding[5 * hidden + 7] = 0x7FC0
        for i in 0..<hidden { weights.embedding[7 * hidden + i] = 0x7F7F }
        var machine = MachineConfig()
        machine.dramSize = 1 << 24
        for ids in [[3], [5], [7], [1, 3, 2]] {
            var reference = DecoderReference(weights: weights, vlen: machine.vlen, kvFormat: .bf16, attentionRows: machine.rows)
            let expected = reference.forward(ids)
            let run = try DecoderRun(DecoderProgram(weights: weights, machine: machine, tokenIDs: ids, context: 0))
            #expect(run.logits.map(\.bitPattern) == expected.last!.map(\.bitPattern), "\(ids)")
            // An inf or NaN in the stream reaches the logits (as NaN: inf * 0 in the norm).
            #expect(run.logits.contains { $0.isNaN }, "\(ids)")
        }
    }

    /// Long contexts: prefills whose last token attends 33 and 64 positions (several key
    /// blocks on the narrow machine), and a decode step at context 63.
    @Test func longContexts() throws {
        let c = Tiny(name: "GQA", model: Self.gqa, machine: "narrow")
        let weights = DecoderWeights.random(c.model, seed: 7)
        for prompt in [33, 64] {
            let ids = Self.ids(prompt, vocab: c.model.vocabSize, seed: UInt64(prompt))
            let rows = DecoderProgram.attentionRows(model: c.model, machine: c.config, tokens: prompt, context: 0, kvFormat: .bf16)
            #expect(rows != nil, "the matrix kernel")
            var reference = DecoderReference(weights: weights, vlen: c.config.vlen, kvFormat: .bf16, attentionRows: rows)
            let expected = reference.forward(ids)
            let run = try DecoderRun(DecoderProgram(weights: weights, machine: c.config, tokenIDs: ids, context: 0))
            #expect(run.logits.map(\.bitPattern) == expected.last!.map(\.bitPattern), "prefill of \(prompt)")
        }
    }

    /// `nmp model`'s shortcut: two layers simulated, layers 2 ... N taken as the second.
    /// On a 4-layer model at several contexts, every operation's cycles, stalls, retired
    /// instructions and events equal the all-layer run's exactly (the trit-MAC split into
    /// add, subtract and skip depends on the weights, so only its sum is compared).
    @Test(arguments: [0, 5, 17])
    func twoLayersStandForAll(context: Int) throws {
        let model = Self.model("bitnet", hidden: 40, ffn: 72, layers: 4, heads: 4, kv: 2, headDim: 10, vocab: 97, activation: .relu2, tied: true)
        var machine = MachineConfig()
        machine.dramSize = 1 << 24
        let plan = try DecoderPlan(model: model, machine: machine, tokens: 1, context: context)
        let shortcut = try DecoderSimulation(plan: plan, seed: 3)
        let all = try DecoderRun(DecoderProgram(weights: DecoderWeights.random(model, seed: 11, tables: false), machine: machine,
                                                tokenIDs: [0], context: context))
        #expect(all.result.counters.cycles == shortcut.cycles)
        for (a, b) in zip(all.byOperation, shortcut.operations) {
            #expect(a.operation == b.operation)
            #expect(a.cycles == b.cycles && a.retired == b.retired, "\(a.operation.rawValue): \(a.cycles) vs \(b.cycles)")
            #expect(a.stalls == b.stalls, "\(a.operation.rawValue)")
            for event in EnergyEvent.allCases where ![.tritAdd, .tritSub, .tritSkip].contains(event) {
                #expect(a.events[event] == b.events[event], "\(a.operation.rawValue): \(event)")
            }
            #expect(a.events[.tritAdd] + a.events[.tritSub] + a.events[.tritSkip] == b.events[.tritAdd] + b.events[.tritSub] + b.events[.tritSkip])
        }
        #expect(all.byOperation.count == shortcut.operations.count)
    }

    /// `--emit-asm`: the builder's text, with its DRAM data, assembles into the identical image.
    @Test func emittedAssemblyAssemblesToTheSameImage() throws {
        let c = Tiny(name: "SiLU", model: Self.silu, machine: "narrow")
        let program = try DecoderProgram(weights: DecoderWeights.random(c.model, seed: 5), machine: c.config,
                                         tokenIDs: [1, 2, 3], context: 0)
        let text = program.builder.assembly(dram: program.image.dramData, header: ["test"])
        let assembled = Assembler.assemble(source: text, fileName: "decoder.nasm")
        let image = try #require(assembled.image, "\(assembled.renderedDiagnostics)")
        #expect(image == program.image)
    }

    /// The program does not grow with the prompt: 24 and 2048 tokens (both whole groups of
    /// the BitLinears' 8 tokens, so neither has a partial group's extra code) give programs
    /// of the same size up to a few constants (a narrow model with the 700M one's head_dim 96 and
    /// context, so that the test stays fast; examples/README.md gives the release-mode run
    /// of `nmp model --prompt-tokens 2048` on the 700M config itself).
    @Test func programSizeDoesNotGrowWithThePrompt() throws {
        let model = Self.model("llama", hidden: 192, ffn: 512, layers: 1, heads: 2, kv: 2, headDim: 96, vocab: 320, activation: .silu,
                               tied: false, maxPositions: 2048)
        var sizes: [Int] = []
        for tokens in [24, 2048] {
            var weights = DecoderWeights.random(model, seed: 1, tables: false)
            weights.lmHead = nil
            let program = try DecoderProgram(weights: weights, machine: MachineConfig(), tokenIDs: Array(repeating: 0, count: tokens), context: 0)
            sizes.append(program.image.code.count)
        }
        #expect(abs(sizes[0] - sizes[1]) <= 64, "\(sizes)")
        #expect(sizes[1] < 20_000)
    }

    /// Shapes and machines the compiler cannot take are errors naming the field.
    @Test func badShapesAreClearErrors() throws {
        var odd = Self.gqa
        odd.headDim = 9
        #expect(throws: CompileError.self) { try DecoderPlan(model: odd, machine: MachineConfig(), tokens: 1, context: 0) }
        var ungrouped = Self.gqa
        ungrouped.keyValueHeads = 3
        #expect(throws: CompileError.self) { try DecoderPlan(model: ungrouped, machine: MachineConfig(), tokens: 1, context: 0) }
        #expect(throws: CompileError.self) { try DecoderPlan(model: Self.gqa, machine: MachineConfig(), tokens: 1, context: 80) }
        // Too small an activation SRAM for one attention row at context 70 (the other
        // kernels fit), and for the kernels themselves.
        for (size, context) in [(720, 70), (512, 0)] {
            var tiny = MachineConfig()
            tiny.activationSRAM.size = size
            do {
                _ = try DecoderPlan(model: Self.gqa, machine: tiny, tokens: 1, context: context)
                Issue.record("a \(size)-byte activation SRAM was accepted")
            } catch {
                #expect(error.message.contains("activationSRAM.size"), "\(error.message)")
            }
        }
    }
}
