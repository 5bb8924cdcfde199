import NMPRuntime
import NMPSimulator

/// One pass of a generation on the machine: the prompt's prefill or one decode step, and
/// the token its logits gave.
struct GenerationStep {
    /// The pass's first position and its input tokens.
    let position: Int
    let inputTokens: Int
    /// The generated token (greedy argmax of the pass's last logits) and its text, if the
    /// checkpoint carries a vocabulary.
    let token: Int
    let text: String?
    let cycles: Int
    let stallCycles: Int
    let dramBytes: Int
    /// Energy in pJ at the machine's prices, static power included.
    let energy: Double

    var isPrefill: Bool { position == 0 }
}

/// What `nmp generate` prints: the tokens as they are produced, then a summary.
struct GenerationReport {
    let source: String
    let checkpoint: String
    let model: ModelConfig
    let machine: MachineConfig
    let kvFormat: KVCacheFormat
    /// The format the embedding and head are read in (the checkpoint's).
    let tableFormat: TableFormat
    /// Where the energy prices came from.
    let energyOrigin: EnergyOrigin
    let promptIDs: [Int]
    /// The prompt's text, when given as text.
    var promptText: String?
    var steps: [GenerationStep] = []
    /// Why generation stopped: "max_new_tokens" or "eos".
    var stopReason = "max_new_tokens"
    /// The generated text, when the checkpoint carries a vocabulary.
    var text: String?
    /// Notes on what was assumed or changed (printed and in the JSON).
    var notes: [String] = []

    var generatedIDs: [Int] { steps.map(\.token) }

    /// Seconds at the machine's clock.
    func seconds(_ cycles: Int) -> Double { Double(cycles) / (machine.clockGHz * 1e9) }

    /// Totals of a set of passes: tokens they consumed, cycles, energy.
    struct Phase {
        var passes = 0, tokens = 0, cycles = 0, dramBytes = 0
        var energy = 0.0
    }

    var prefill: Phase { phase(steps.filter(\.isPrefill)) }
    var decode: Phase { phase(steps.filter { !$0.isPrefill }) }

    private func phase(_ list: [GenerationStep]) -> Phase {
        var p = Phase()
        for s in list {
            p.passes += 1
            p.tokens += s.inputTokens
            p.cycles += s.cycles
            p.dramBytes += s.dramBytes
            p.energy += s.energy
        }
        return p
    }

    /// Tokens per second of a phase at the clock (nil without passes).
    func rate(_ p: Phase) -> Double? { p.cycles > 0 ? Double(p.tokens) / seconds(p.cycles) : nil }
    /// Energy per token of a phase in pJ (nil without passes).
    func energyPerToken(_ p: Phase) -> Double? { p.tokens > 0 ? p.energy / Double(p.tokens) : nil }

    // MARK: Text

    static let columns = ["step", "position", "token", "text", "cycles", "stall cycles", "DRAM bytes", "energy", "time"]
    static let widths = [7, 9, 7, 16, 15, 15, 15, 11, 10]
    static let rightAligned: Set<Int> = [0, 1, 2, 4, 5, 6, 7, 8]

    func header() -> String {
        var lines = ["nmp generate: \(source) (\(checkpoint))",
                     "model: \(model.layers) layers, hidden \(model.hiddenSize), \(model.attentionHeads) heads / \(model.keyValueHeads) KV heads of \(model.headDim), FFN \(model.intermediateSize) (\(model.activation.rawValue)), vocab \(Format.count(model.vocabSize)); every layer simulated",
                     "machine: vlen \(machine.vlen), rows \(machine.rows), \(Format.number(machine.clockGHz, decimals: 2)) GHz, DRAM \(Format.count(machine.dramBytesPerCycle)) B/cycle, KV cache \(kvFormat.rawValue), tables \(tableFormat.rawValue)",
                     "energy: \(energyOrigin.text)",
                     "prompt: \(Self.tokens(promptIDs.count)) \(Self.idList(promptIDs))" + (promptText.map { " from " + Self.visible($0) } ?? "")]
        lines += notes.map { "note: \($0)" }
        return lines.joined(separator: "\n") + "\n\n" + Self.line(Self.columns) + "\n"
            + Self.widths.map { String(repeating: "-", count: $0) }.joined(separator: "  ") + "\n"
    }

    /// The energy unit of the token table: the one that fits the first pass (the prefill,
    /// the largest), so every row of the table shares it.
    var energyUnit: EnergyUnit { EnergyUnit.fitting(steps.first?.energy ?? 0) }

    /// The table row of one step, printed as soon as the pass has run.
    func row(_ index: Int, _ s: GenerationStep) -> String {
        let unit = energyUnit
        let positions = s.inputTokens == 1 ? "\(s.position)" : "\(s.position)-\(s.position + s.inputTokens - 1)"
        return Self.line([index == 0 ? "prefill" : "\(index)", positions, "\(s.token)", s.text.map(Self.visible) ?? "",
                          Format.count(s.cycles), Format.count(s.stallCycles), Format.count(s.dramBytes),
                          Format.energy(s.energy, in: unit) + " " + unit.rawValue, Format.time(seconds(s.cycles))]) + "\n"
    }

    func summary() -> String {
        var t = Table(header: ["phase", "passes", "tokens", "cycles", "time", "tokens/s", "energy/token", "DRAM bytes/token"], rows: [],
                      rightAligned: [1, 2, 3, 4, 5, 6, 7])
        let phases = [("prefill", prefill), ("decode", decode)].filter { $0.1.passes > 0 }
        let unit = EnergyUnit.fitting(phases.map { energyPerToken($0.1) ?? 0 }.max() ?? 0)
        t.header[6] = "energy/token (\(unit.rawValue))"
        for (name, p) in phases {
            t.rows.append([name, "\(p.passes)", "\(p.tokens)", Format.count(p.cycles), Format.time(seconds(p.cycles)),
                           Format.number(rate(p) ?? 0, decimals: 1), Format.energy(energyPerToken(p) ?? 0, in: unit),
                           Format.count(p.dramBytes / max(1, p.tokens))])
        }
        var out = "\n" + t.render() + "\n"
        out += "time to first token: \(Format.time(seconds(prefill.cycles))) (the prefill of \(Self.tokens(promptIDs.count)) at \(Format.number(machine.clockGHz, decimals: 2)) GHz)\n"
        out += "generated: \(Self.tokens(steps.count)) \(Self.idList(generatedIDs)), stopped by \(stopReason == "eos" ? "an end-of-sequence token" : "--max-new-tokens")\n"
        if let text { out += "text: \(Self.visible(text))\n" }
        out += "The greedy argmax over each pass's logits runs on the host.\n"
        return out
    }

    static func line(_ cells: [String]) -> String {
        cells.enumerated().map { i, cell in
            let pad = String(repeating: " ", count: max(0, widths[i] - cell.count))
            return rightAligned.contains(i) ? pad + cell : (i == cells.count - 1 ? cell : cell + pad)
        }.joined(separator: "  ")
    }

    /// "1 token", "5 tokens".
    static func tokens(_ n: Int) -> String { n == 1 ? "1 token" : "\(n) tokens" }

    static func idList(_ ids: [Int]) -> String {
        let shown = ids.prefix(24).map(String.init).joined(separator: ", ")
        return "[" + shown + (ids.count > 24 ? ", ... (\(ids.count - 24) more)" : "") + "]"
    }

    /// Text as a quoted, one-line string: quotes, backslashes and the characters a terminal
    /// would not show (controls, format characters such as U+200D, separators, private use,
    /// unassigned) escaped, the latter as `\u{...}`.
    static func visible(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                switch scalar.properties.generalCategory {
                case .control, .format, .lineSeparator, .paragraphSeparator, .privateUse, .unassigned, .surrogate:
                    out += "\\u{" + String(scalar.value, radix: 16) + "}"
                default:
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out + "\""
    }

    // MARK: JSON

    func json() -> JSONValue {
        func phase(_ p: Phase) -> JSONValue {
            .object([("passes", .int(p.passes)), ("tokens", .int(p.tokens)), ("cycles", .int(p.cycles)),
                     ("seconds", .number(seconds(p.cycles))), ("dram_bytes", .int(p.dramBytes)), ("energy_pj", .number(p.energy)),
                     ("tokens_per_second", rate(p).map(JSONValue.number) ?? .null),
                     ("energy_pj_per_token", energyPerToken(p).map(JSONValue.number) ?? .null)])
        }
        let steps: [JSONValue] = steps.map { s in
            .object([("position", .int(s.position)), ("input_tokens", .int(s.inputTokens)), ("token", .int(s.token)),
                     ("text", s.text.map(JSONValue.string) ?? .null), ("cycles", .int(s.cycles)), ("stall_cycles", .int(s.stallCycles)),
                     ("dram_bytes", .int(s.dramBytes)), ("energy_pj", .number(s.energy)), ("seconds", .number(seconds(s.cycles)))])
        }
        let d = decode
        return .object([
            ("schema", .string("nmp-generate/1")),
            ("model", .string(source)),
            ("checkpoint", .string(checkpoint)),
            ("config", .object([("layers", .int(model.layers)), ("hidden_size", .int(model.hiddenSize)),
                                ("intermediate_size", .int(model.intermediateSize)), ("attention_heads", .int(model.attentionHeads)),
                                ("key_value_heads", .int(model.keyValueHeads)), ("head_dim", .int(model.headDim)),
                                ("vocab_size", .int(model.vocabSize)), ("activation", .string(model.activation.rawValue))])),
            ("machine", .object([("vlen", .int(machine.vlen)), ("rows", .int(machine.rows)), ("clock_ghz", .number(machine.clockGHz)),
                                 ("dram_bytes_per_cycle", .int(machine.dramBytesPerCycle)), ("dram_size", .int(machine.dramSize))])),
            ("kv_cache", .string(kvFormat.rawValue)),
            ("energy_prices", energyOrigin.json),
            ("tables", .string(tableFormat.rawValue)),
            ("prompt_text", promptText.map(JSONValue.string) ?? .null),
            ("prompt_ids", .array(promptIDs.map(JSONValue.int))),
            ("generated_ids", .array(generatedIDs.map(JSONValue.int))),
            ("generated_text", text.map(JSONValue.string) ?? .null),
            ("stop_reason", .string(stopReason)),
            ("tokens_per_second", rate(d).map(JSONValue.number) ?? .null),
            ("energy_pj_per_token", energyPerToken(d).map(JSONValue.number) ?? .null),
            ("time_to_first_token_s", .number(seconds(prefill.cycles))),
            ("prefill", phase(prefill)),
            ("decode", phase(d)),
            ("steps", .array(steps)),
            ("notes", .array(notes.map(JSONValue.string))),
        ])
    }
}
