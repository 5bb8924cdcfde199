import Foundation
import NMPRuntime
import NMPSimulator

/// `nmp model`: a whole BitNet decoder from its Hugging Face config, per token on the machine.
enum ModelCommand: Command {
    static let name = "model"
    static let summary = "simulate a whole BitNet decoder token (Hugging Face config.json) on the machine, next to an FP16 baseline"
    static let help = """
        usage: nmp model --hf-config config.json [--context L] [--prompt-tokens N]
                         [--kv-cache bf16|fp16|fp32] [--config <machine.json>] [--tech NAME] [--max-cycles N] [--json]
                         [--plot FILE.svg] [--csv FILE.csv] [--emit-asm FILE.nasm] [--perfetto FILE.json]

        Compiles the whole decoder the config describes (ISA.md chapter 11) with seeded
        random weights of the exact shapes and simulates a decode token: the embedding row
        fetch, every layer's RMSNorms, q/k/v/o/gate/up/down BitLinears, RoPE, the KV cache
        write, attention scores over the cached keys, causal softmax, the weighted sum of
        values, the gated activation and residual adds, then the final norm and the bf16 LM
        head. Nothing is estimated: the report gives per operation (and per layer) the
        cycles, stall cycles by cause, DRAM bytes, energy and the utilization of the unit it
        runs on, per token; the energy by category; and the same model with FP16 projections,
        simulated on the same machine (a prefill's on an FP16 array of equal peak MACs), for
        comparison. The argmax over the logits is left to the host.

        The first two layers are simulated: every later layer runs the same code on other
        addresses and no cycle depends on a weight value, so it costs exactly what the second
        one does (tested against an all-layer run).

          --hf-config <file>    the model's config.json (BitNet or LLaMA-style keys); see examples/
          --context L           tokens already in the KV cache for the decode step (default
                                1024, or max_position_embeddings - 1 when that is smaller)
          --prompt-tokens N     also simulate a prefill of N tokens from position 0 (reported
                                per token; the LM head runs for the last prompt token only)
          --kv-cache <format>   the KV cache's storage: bf16 (default, as the checkpoints
                                store tensors), fp16 (llama.cpp's default cache) or fp32
          --config <file>       machine config JSON (see 'nmp config')
          --tech NAME           energy prices of a technology preset (see 'nmp config --sources')
          --max-cycles N        cycle budget of each simulated pass (default 10^14: a compiled
                                pass always ends; a long prefill takes tens of billions)
          --emit-asm <file>     also write the decode pass's program as .nasm, with comments and
                                its DRAM data, that 'nmp asm' assembles into the simulated image
          --plot <file.svg>     also write the report as an SVG figure: the roofline with every
                                operation on it, the energy per token by category, and each
                                operation's cycles per token (its bound and the cycles above it);
                                decode and prefill (README, "Plots and the per-layer CSV")
          --csv <file.csv>      also write one row per pass, layer and operation, per token:
                                cycles, stall cycles by cause, unit utilization, of bound, SRAM
                                and DRAM bytes read and written, energy (columns in the README);
                                layers after the second repeat its numbers (source_layer says so)
          --json                print the report as JSON (schema in the README)
        \(PerfettoOption.help(column: 24, ["(one process per simulated pass: decode, prefill; the FP16",
                                            "baseline is not drawn; simulating with a timeline is slower)"]))

        A plot, CSV or timeline that cannot be written does not lose the report: it is
        printed, the error follows and the exit status is 1; the plot and the CSV are then
        not written either.
          -h, --help            show this help
        """

    /// The decode step's default context: a realistic conversation length.
    static let defaultContext = 1024

    /// The context of a decode step when `--context` is not given: `defaultContext`, or
    /// max_position_embeddings - 1 when that is smaller.
    static func defaultContext(_ model: ModelConfig) -> Int { min(defaultContext, max(0, model.maxPositions - 1)) }
    /// The default cycle budget of a pass: compiled passes always halt, and a long prefill
    /// (2048 tokens of a 700M model: about 4 x 10^10 cycles for two layers) must not hit it.
    static let defaultMaxCycles = 100_000_000_000_000

    /// `--kv-cache` (default bf16).
    static func kvCacheFormat(_ args: Arguments) throws(CommandError) -> KVCacheFormat {
        guard let text = args.values["--kv-cache"] else { return .bf16 }
        guard let format = KVCacheFormat(rawValue: text) else {
            throw .usage("--kv-cache '\(text)' is not a cache format; use one of: \(KVCacheFormat.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        return format
    }

    /// The Hugging Face config at `path`.
    static func readModel(_ path: String) throws(CommandError) -> ModelConfig {
        let bytes = try Files.read(path)
        do {
            return try ModelConfig(json: bytes, source: path)
        } catch {
            throw .failure(error.description)
        }
    }

    static func run(_ arguments: [String], console: Console) throws(CommandError) -> Int32 {
        let args = try Arguments(arguments, flags: ["--json"], values: [["--hf-config"], ["--tech"], ["--prompt-tokens"], ["--context"], ["--kv-cache"],
                                                                       ["--config"], ["--max-cycles"], ["--emit-asm"], ["--plot"], ["--csv"],
                                                                       [PerfettoOption.name]])
        guard args.positional.isEmpty else { throw .usage("unexpected argument '\(args.positional[0])'") }
        guard let path = args.values["--hf-config"] else { throw .usage("missing --hf-config config.json") }
        let prompt = try args.integer("--prompt-tokens", minimum: 1)
        let givenContext = try args.integer("--context", minimum: 0)
        let maxCycles = try args.integer("--max-cycles", minimum: 1) ?? defaultMaxCycles
        let kvFormat = try kvCacheFormat(args)
        let choice = try MachineChoice.load(args)
        let machine = choice.config
        let asmPath = args.values["--emit-asm"]
        let inputs = [("--hf-config file", path)] + (args.values["--config"].map { [("--config file", $0)] } ?? [])
        if let asmPath {
            try Files.checkOutputs([("--emit-asm", asmPath)], inputs: inputs)
        }
        // The plot and the CSV are checked now but a problem is reported after the report,
        // which is printed anyway: a simulation that took minutes is not thrown away for a
        // mistyped folder.
        let figures = ["--plot", "--csv"].compactMap { option in args.values[option].map { (option, $0) } }
        var figureProblem: CommandError?
        do throws(CommandError) {
            try Files.checkOutputs((asmPath.map { [("--emit-asm", $0)] } ?? []) + figures, inputs: inputs)
        } catch {
            figureProblem = error
        }
        let perfetto = try PerfettoOption(args, inputs: inputs + (asmPath.map { [("--emit-asm", $0)] } ?? []) + figures)
        let model = try readModel(path)
        let request = ModelRequest(model: model, context: givenContext ?? defaultContext(model), promptTokens: prompt,
                                   kvFormat: kvFormat, maxCycles: maxCycles)
        let plans: (decode: DecoderPlan, prefill: DecoderPlan?)
        do {
            plans = try request.plans(on: machine)
        } catch {
            throw .failure("\(path): \(error.description)")
        }
        let terminal = isatty(STDERR_FILENO) == 1
        let decode: DecoderSimulation
        let prefill: DecoderSimulation?
        let timeline = perfetto.map { _ in Timeline(config: machine) }
        do {
            (decode, prefill) = try request.simulate(plans, timeline: timeline) { what in
                guard terminal else { return nil }
                return { cycle, retired in console.err("\rnmp model: \(what): cycle \(Format.count(cycle)), \(Format.count(retired)) instructions") }
            }
        } catch {
            if terminal { console.err("\n") }
            throw .failure("\(path): \(error.description)")
        }
        if terminal { console.err("\r\u{1B}[K") }
        if let asmPath {
            // Streamed: the DRAM data of a large model is tens of megabytes of .byte lines.
            let program = decode.run.program
            let writer = try OutputFile(asmPath)
            do throws(CommandError) {
                try program.builder.assembly(dram: program.image.dramData, header: [
                    "nmp model: the decode pass of \(path) at context \(decode.context) (\(decode.plan.simulatedLayers) layer(s) simulated)",
                    "machine: vlen \(machine.vlen), rows \(machine.rows), \(machine.packing.rawValue); weights, tables and ids in .ddata",
                ]) { (text: String) throws(CommandError) in try writer.write(text) }
                try writer.commit()
            } catch {
                writer.abandon()
                throw error
            }
        }
        let report = ModelReport(source: path, energyOrigin: choice.origin, decode: decode, prefill: prefill)
        console.out(args.flags.contains("--json") ? report.json().render() + "\n" : report.text())
        // After the report: a timeline that cannot be written loses nothing else.
        var timelineProblem: CommandError?
        do throws(CommandError) {
            if let timeline { try perfetto?.write(timeline) }
        } catch {
            timelineProblem = error
        }
        if let figureProblem { throw figureProblem }
        // Both staged before either is put in place: all or nothing.
        try Files.writeAll(figures.map { option, file in
            (file, Array((option == "--plot" ? ModelPlot(report: report).svg() : ModelCSV(report: report).render()).utf8))
        })
        if let timelineProblem { throw timelineProblem }
        return ExitCode.success
    }
}
