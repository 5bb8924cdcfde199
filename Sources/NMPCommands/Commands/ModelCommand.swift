import Foundation
import NMPRuntime
import NMPSimulator

/// `nmp model`: a whole BitNet decoder from its Hugging Face config, per token on the machine.
enum ModelCommand: Command {
    static let name = "model"
    static let summary = "simulate a whole BitNet decoder (Hugging Face config.json) per token, next to an FP16 baseline"
    static let help = """
        usage: nmp model --hf-config config.json [--prompt-tokens N] [--context L]
                         [--config <machine.json>] [--json]

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
          --context L           tokens already in the KV cache for the decode step (default 0)
          --config <file>       machine config JSON (see 'nmp config')
          --json                print the report as JSON
          -h, --help            show this help
        """

    static func run(_ arguments: [String], console: Console) throws(CommandError) -> Int32 {
        let args = try Arguments(arguments, flags: ["--json"], values: [["--hf-config"], ["--prompt-tokens"], ["--context"], ["--config"]])
        guard args.positional.isEmpty else { throw .usage("unexpected argument '\(args.positional[0])'") }
        guard let path = args.values["--hf-config"] else { throw .usage("missing --hf-config config.json") }
        func count(_ name: String, _ fallback: Int?, minimum: Int) throws(CommandError) -> Int? {
            guard let text = args.values[name] else { return fallback }
            guard let value = Int(text), value >= minimum, value <= 1 << 20 else {
                throw .usage("\(name) '\(text)' is not an integer in \(minimum)...\(1 << 20)")
            }
            return value
        }
        let prompt = try count("--prompt-tokens", nil, minimum: 1)
        let context = try count("--context", 0, minimum: 0) ?? 0
        let machine = try ConfigCommand.loadConfig(args.values["--config"])
        let model: ModelConfig
        let bytes = try Files.read(path)
        do {
            model = try ModelConfig(json: bytes, source: path)
        } catch {
            throw .failure(error.description)
        }
        let progress = isatty(STDERR_FILENO) == 1
        if progress { console.err("nmp model: simulating one decode token...\n") }
        let decode: DecoderSimulation
        var prefill: DecoderSimulation?
        do {
            decode = try DecoderSimulation(model: model, machine: machine, tokens: 1, context: context)
            if let prompt {
                if progress { console.err("nmp model: simulating a prefill of \(prompt) tokens...\n") }
                prefill = try DecoderSimulation(model: model, machine: machine, tokens: prompt, context: 0)
            }
        } catch {
            throw .failure("\(path): \(error.description)")
        }
        let report = ModelReport(source: path, decode: decode, prefill: prefill)
        console.out(args.flags.contains("--json") ? report.json().render() + "\n" : report.text())
        return ExitCode.success
    }
}
