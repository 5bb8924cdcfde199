import Foundation
import NMPRuntime
import NMPSimulator

/// `nmp generate`: greedy decoding of a real checkpoint on the simulated machine.
enum GenerateCommand: Command {
    static let name = "generate"
    static let summary = "generate tokens from a BitNet checkpoint (GGUF or safetensors) on the simulated machine"
    static let help = """
        usage: nmp generate --model PATH (--prompt-ids 1,2,3 | --prompt TEXT) [--max-new-tokens N]
                            [--config machine.json] [--tech NAME] [--kv-cache bf16|fp16|fp32] [--ignore-eos]
                            [--dump-logits LOGITS.npy] [--max-cycles N] [--perfetto <file>] [--json]

        Loads a BitNet b1.58 checkpoint and generates tokens greedily on the machine: the
        prompt runs as one prefill pass, then each new token as a decode pass over every layer
        (ISA.md chapter 11), with the model and its KV cache resident in the machine's DRAM.
        Each token is printed as it is produced, with what its pass cost: cycles, stall
        cycles, DRAM bytes, energy and time at the machine's clock; then prefill and decode
        tokens/s, energy per token and the time to the first token. The argmax over the
        logits runs on the host.

          --model PATH          a .gguf file (llama.cpp / bitnet.cpp: architectures bitnet-b1.58,
                                bitnet; projections TQ1_0, TQ2_0, I2_S) or a directory with
                                config.json and *.safetensors (Hugging Face BitNet, packed or
                                bf16 latent weights)
          --prompt-ids LIST     the prompt as token ids, comma-separated
          --prompt TEXT         the prompt as text, tokenized with the checkpoint's tokenizer
                                (GGUF tokenizer.ggml.*, or tokenizer.json beside config.json;
                                byte-level BPE as Llama 3 and BitNet 2B4T use); adds BOS when
                                the tokenizer does
          --max-new-tokens N    tokens to generate (default 16); fewer when an end-of-sequence
                                token comes first
          --ignore-eos          keep generating past end-of-sequence tokens
          --config <file>       machine config JSON (see 'nmp config'); without it the default
                                machine, its DRAM enlarged to the next power of two when the
                                model needs more (the report says so)
          --tech NAME           energy prices of a technology preset (see 'nmp config --sources')
          --kv-cache <format>   bf16 (default, the checkpoints' dtype), fp16 (llama.cpp's
                                default cache) or fp32
          --dump-logits <file>  write float32 [steps, vocab] .npy: the logits each generated
                                token was taken from, the last prompt position first
          --max-cycles N        cycle budget of each pass (default 10^14)
          --json                print one JSON object at the end (schema in the README)
        \(PerfettoOption.help(column: 24, ["(one process per pass: the prefill, then each decode token)"]))
          -h, --help            show this help
        """

    static let defaultNewTokens = 16

    static func run(_ arguments: [String], console: Console) throws(CommandError) -> Int32 {
        let args = try Arguments(arguments, flags: ["--json", "--ignore-eos"],
                                 values: [["--model"], ["--prompt-ids"], ["--prompt"], ["--max-new-tokens"], ["--config"], ["--tech"],
                                          ["--kv-cache"], ["--dump-logits"], ["--max-cycles"], [PerfettoOption.name]])
        guard args.positional.isEmpty else { throw .usage("unexpected argument '\(args.positional[0])'") }
        guard let path = args.values["--model"] else { throw .usage("missing --model PATH (a .gguf file or a safetensors directory)") }
        let newTokens = try args.integer("--max-new-tokens", minimum: 1) ?? defaultNewTokens
        let maxCycles = try args.integer("--max-cycles", minimum: 1) ?? ModelCommand.defaultMaxCycles
        var kvFormat = KVCacheFormat.bf16
        if let text = args.values["--kv-cache"] {
            guard let format = KVCacheFormat(rawValue: text) else {
                throw .usage("--kv-cache '\(text)' is not a cache format; use one of: \(KVCacheFormat.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            kvFormat = format
        }
        let givenIDs = try args.values["--prompt-ids"].map { text throws(CommandError) in try parseIDs(text) }
        let promptText = args.values["--prompt"]
        guard (givenIDs == nil) != (promptText == nil) else {
            throw .usage(givenIDs == nil ? "give the prompt: --prompt-ids 1,2,3 or --prompt TEXT" : "give --prompt-ids or --prompt, not both")
        }
        let dumpPath = args.values["--dump-logits"]
        if let dumpPath {
            try Files.checkOutputs([("--dump-logits", dumpPath)],
                                   inputs: [("--model", path)] + (args.values["--config"].map { [("--config file", $0)] } ?? []))
        }
        let perfetto = try PerfettoOption(args, inputs: [("--model", path)] + (args.values["--config"].map { [("--config file", $0)] } ?? [])
                                          + (dumpPath.map { [("--dump-logits", $0)] } ?? []))
        let choice = try MachineChoice.load(args)
        var machine = choice.config
        let terminal = isatty(STDERR_FILENO) == 1
        func status(_ text: String) { if terminal { console.err("\r\u{1B}[K" + text) } }

        status("nmp generate: reading \(path)")
        let checkpoint: Checkpoint
        do { checkpoint = try Checkpoint.open(path) } catch { status(""); throw .failure(error.description) }
        let model = checkpoint.config

        let promptIDs: [Int]
        if let givenIDs {
            promptIDs = givenIDs
        } else {
            guard let tokenizer = checkpoint.tokenizer else {
                status("")
                throw .failure("\(path): --prompt needs the checkpoint's tokenizer: \(checkpoint.tokenizerProblem ?? "none found"); give --prompt-ids")
            }
            promptIDs = tokenizer.encode(promptText ?? "")
            guard !promptIDs.isEmpty else { status(""); throw .failure("--prompt gives no tokens (empty text and no BOS token)") }
        }
        if let bad = promptIDs.firstIndex(where: { $0 < 0 || $0 >= model.vocabSize }) {
            status("")
            throw .failure("prompt id \(promptIDs[bad]) (position \(bad)) is outside the vocabulary of \(Format.count(model.vocabSize)) tokens of \(path)")
        }
        // The last generated token is never fed back: the cache holds prompt + new - 1.
        let capacity = promptIDs.count + newTokens - 1
        guard capacity <= model.maxPositions else {
            status("")
            throw .failure("\(promptIDs.count) prompt tokens + \(newTokens) new tokens need \(capacity) positions, more than the model's \(Format.count(model.maxPositions)) (max_position_embeddings / context_length); use a shorter prompt or fewer --max-new-tokens")
        }
        var notes: [String] = []
        if let problem = checkpoint.tokenizerProblem { notes.append("no token text: \(problem)") }
        if args.values["--config"] == nil {
            let layout: DecoderLayout
            do {
                var probe = machine
                probe.dramSize = Int(UInt32.max)
                layout = try DecoderLayout(model: model, machine: probe, layers: model.layers, tokens: 1, context: 0,
                                           capacity: capacity, bufferTokens: promptIDs.count, kvFormat: kvFormat)
            } catch {
                status("")
                throw .failure("\(path): the model and its cache do not fit the 4 GiB that 32-bit DRAM addresses reach: \(error.description)")
            }
            if layout.totalBytes > machine.dramSize {
                var size = machine.dramSize
                while size < layout.totalBytes { size *= 2 }
                notes.append("DRAM enlarged from \(Format.count(machine.dramSize)) to \(Format.count(size)) bytes to hold the model and its cache (\(Format.count(layout.totalBytes)) bytes); pass --config to choose the machine")
                machine.dramSize = size
            }
        }

        status("nmp generate: reading \(Format.count(model.ternaryParameters)) ternary weights into the machine's DRAM")
        let session: DecoderSession
        do {
            session = try DecoderSession(source: checkpoint.source, machine: machine, capacity: max(capacity, promptIDs.count),
                                         maxTokens: promptIDs.count, kvFormat: kvFormat)
        } catch let error as DecoderLoadError {
            status("")
            throw .failure(error.description)
        } catch {
            status("")
            throw .failure("\(path): \(error)")
        }
        var report = GenerationReport(source: path, checkpoint: checkpoint.summary, model: model, machine: machine, kvFormat: kvFormat,
                                      tableFormat: session.tableFormat, energyOrigin: choice.origin,
                                      promptIDs: promptIDs, promptText: promptText, notes: notes)
        let json = args.flags.contains("--json")
        status("")
        if !json { console.out(report.header()) }

        let stops = args.flags.contains("--ignore-eos") ? [] : Set(checkpoint.endOfSequenceIDs)
        var logits: [Float] = []
        var text = checkpoint.tokenizer.map { TokenText(tokenizer: $0) }
        var input = promptIDs
        let timeline = perfetto.map { _ in Timeline(config: machine) }
        for index in 0..<newTokens {
            let what = index == 0 ? "prefill of \(promptIDs.count) tokens" : "token \(index + 1) of \(newTokens)"
            let progress: ((Int, Int) -> Void)? = terminal ? { cycle, _ in status("nmp generate: \(what): cycle \(Format.count(cycle))") } : nil
            let position = session.position
            let run: DecoderRun
            do {
                if let pass = timeline?.pass(index == 0 ? "prefill of \(promptIDs.count) token\(promptIDs.count == 1 ? "" : "s")"
                                                        : "decode token \(index + 1) at position \(position)") {
                    run = try session.step(input, maxCycles: maxCycles, trace: { pass.record($0) })
                    pass.finish(cycles: run.result.counters.cycles, trap: nil, regions: RegionLabel.decoder(run.program.builder.regions.names))
                } else {
                    run = try session.step(input, maxCycles: maxCycles, progress: progress)
                }
            } catch {
                status("")
                throw .failure("\(path): \(error.description)")
            }
            status("")
            let token = Greedy.argmax(run.logits)
            if dumpPath != nil { logits += run.logits }
            let counters = run.result.counters
            let step = GenerationStep(position: position, inputTokens: input.count, token: token,
                                      text: text?.piece(token), cycles: counters.cycles,
                                      stallCycles: counters.stalls.sum(), dramBytes: run.result.events[.dramRead] + run.result.events[.dramWrite],
                                      energy: run.result.energy.total)
            report.steps.append(step)
            if !json { console.out(report.row(index, step)) }
            if stops.contains(token) {
                report.stopReason = "eos"
                break
            }
            input = [token]
        }
        report.text = text?.finish()
        if let dumpPath {
            try Files.writeAll([(dumpPath, NPY.encode(.float32(logits, shape: [report.steps.count, model.vocabSize])))])
        }
        console.out(json ? report.json().render() + "\n" : report.summary())
        // After the report: a timeline that cannot be written loses nothing else.
        if let timeline { try perfetto?.write(timeline) }
        return ExitCode.success
    }

    /// "1,2,3" as ids; an empty list or a non-integer is a usage error.
    static func parseIDs(_ text: String) throws(CommandError) -> [Int] {
        let parts = text.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
        var ids: [Int] = []
        for (i, part) in parts.enumerated() {
            guard let id = Int(part) else {
                throw .usage("--prompt-ids item \(i + 1) '\(part.prefix(40))' is not a token id (give integers separated by commas)")
            }
            ids.append(id)
        }
        return ids
    }
}

/// The text of generated tokens, one token at a time: each token's own bytes (for the table)
/// and the whole text so far, complete UTF-8 only (`TextStream`).
struct TokenText {
    let tokenizer: BPETokenizer
    private var stream: TextStream
    private var text = ""

    init(tokenizer: BPETokenizer) {
        self.tokenizer = tokenizer
        stream = TextStream(tokenizer: tokenizer)
    }

    /// The token's own text (bytes that are not whole UTF-8 characters as U+FFFD); nil for
    /// an id beyond the tokenizer's vocabulary (a model may have more rows than tokens).
    mutating func piece(_ id: Int) -> String? {
        guard id >= 0, id < tokenizer.vocabularySize else { return nil }
        text += stream.append(id)
        return String(decoding: tokenizer.bytes(of: id), as: UTF8.self)
    }

    mutating func finish() -> String { text + stream.finish() }
}
