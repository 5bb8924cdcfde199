import Foundation
import NMPRuntime
import NMPSimulator

/// `nmp model`: a whole BitNet decoder from its Hugging Face config, per token on the machine.
enum ModelCommand: Command {
    static let name = "model"
    static let summary = "simulate a whole BitNet decoder (Hugging Face config.json) per token, next to an FP16 baseline"
    static let help = """
        usage: nmp model --hf-config config.json [--prompt-tokens N] [--context L]
                         [--config <machine.json>] [--max-cycles N] [--json]

        Builds the decoder the config describes with seeded random ternary weights of the
        exact shapes, compiles each projection of a layer (q, k, v, o, gate, up, down) for
        the machine and simulates it, then reports per layer kind and per token: parameter
        counts, packed weight bytes, cycles, tokens/s at the machine's clock, DRAM traffic,
        energy and its breakdown, MAC utilization against the peak and the roofline bound;
        the operations that do not run on the ternary datapath (norms, RoPE, attention,
        softmax, element-wise FFN, residuals, lm_head) as host operations with their counts
        and estimated cost; and the same model with FP16 weights on the same memory system
        and energy table, with the ratios.

        All layers have the same shapes and program, and cycles do not depend on weight
        values, so one layer is simulated and multiplied by the layer count.

          --hf-config <file>    the model's config.json (BitNet or LLaMA-style keys); see examples/
          --prompt-tokens N     also simulate a prefill of N tokens (reported per token)
          --context L           tokens already in the KV cache for the decode step (default 0);
                                L + 1 and N must not exceed the model's max_position_embeddings
          --config <file>       machine config JSON (see 'nmp config')
          --max-cycles N        cycle budget of each projection's simulated run (default 10^9)
          --json                print the report as JSON
          -h, --help            show this help
        """

    static func run(_ arguments: [String], console: Console) throws(CommandError) -> Int32 {
        let args = try Arguments(arguments, flags: ["--json"], values: [["--hf-config"], ["--prompt-tokens"], ["--context"], ["--config"], ["--max-cycles"]])
        guard args.positional.isEmpty else { throw .usage("unexpected argument '\(args.positional[0])'") }
        guard let path = args.values["--hf-config"] else { throw .usage("missing --hf-config config.json") }
        let prompt = try args.integer("--prompt-tokens", minimum: 1)
        let context = try args.integer("--context", minimum: 0) ?? 0
        let maxCycles = try args.integer("--max-cycles", minimum: 1) ?? Simulator.defaultMaxCycles
        let machine = try ConfigCommand.loadConfig(args.values["--config"])
        let model: ModelConfig
        let bytes = try Files.read(path)
        do {
            model = try ModelConfig(json: bytes, source: path)
        } catch {
            throw .failure(error.description)
        }
        // Every plan before any simulation: a request the machine or the model cannot take
        // fails at once, not after the decode step has been simulated.
        let decodePlan: DecoderPlan
        var prefillPlan: DecoderPlan?
        do {
            decodePlan = try DecoderPlan(model: model, machine: machine, tokens: 1, context: context)
            if let prompt { prefillPlan = try DecoderPlan(model: model, machine: machine, tokens: prompt, context: 0) }
        } catch {
            throw .failure("\(path): \(error.description)")
        }
        let progress = isatty(STDERR_FILENO) == 1
        if progress { console.err("nmp model: simulating one decode token...\n") }
        let decode: DecoderSimulation
        var prefill: DecoderSimulation?
        do {
            decode = try DecoderSimulation(plan: decodePlan, maxCycles: maxCycles)
            if let prefillPlan {
                if progress { console.err("nmp model: simulating a prefill of \(Format.count(prefillPlan.tokens)) token\(prefillPlan.tokens == 1 ? "" : "s")...\n") }
                prefill = try DecoderSimulation(plan: prefillPlan, maxCycles: maxCycles)
            }
        } catch {
            throw .failure("\(path): \(error.description)")
        }
        let report = ModelReport(source: path, decode: decode, prefill: prefill)
        console.out(args.flags.contains("--json") ? report.json().render() + "\n" : report.text())
        return ExitCode.success
    }
}
