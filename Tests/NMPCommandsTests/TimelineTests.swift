import Foundation
import NMPAssembler
import NMPSimulator
import Testing
@testable import NMPCommands

/// `--perfetto`: Trace Event Format files that a structural checker written from the format
/// (`TraceEventValidator`) accepts, whose slices add up to the report's cycles.
struct TimelineTests {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    static func program(_ name: String) -> String { repository.appendingPathComponent("programs/\(name)").path }

    /// Runs nmp with `--perfetto` into a fresh file; the file must pass the checker.
    static func timeline(_ arguments: [String]) throws -> (run: Run, trace: TraceEventValidator) {
        let path = try temporaryDirectory().appendingPathComponent("timeline.json").path
        let run = Run(arguments + ["--perfetto", path])
        #expect(run.status == 0, "\(run.err)")
        let trace = TraceEventValidator(try Data(contentsOf: URL(fileURLWithPath: path)))
        #expect(trace.problems.isEmpty, "\(trace.problems.prefix(5))")
        return (run, trace)
    }

    /// The sum of `args.cycles` over the slices of a track, and of their `dur` in cycles.
    static func cycles(_ slices: [[String: Any]], clockGHz: Double = 1) -> (args: Int, dur: Double) {
        (slices.reduce(0) { $0 + (($1["args"] as? [String: Any])?["cycles"] as? Int ?? 0) },
         slices.reduce(0) { $0 + (TraceEventValidator.number($1["dur"]) ?? 0) * 1000 * clockGHz })
    }

    /// The checker itself finds what is wrong: a test of the tests.
    @Test func validatorRejectsBrokenFiles() {
        let bad = #"""
            {"traceEvents": [
              {"ph": "X", "pid": 1, "tid": 1, "name": "a", "ts": 5, "dur": -1},
              {"ph": "X", "pid": 1, "tid": 1, "name": "b", "ts": 4, "dur": 1},
              {"ph": "B", "pid": 1, "tid": 2, "name": "c", "ts": 0},
              {"ph": "Q", "pid": 1, "tid": 2, "name": "d", "ts": 0},
              {"ph": "X", "pid": 1, "tid": 3, "name": "e"},
              {"ph": "E", "pid": 1, "tid": 4, "name": "f", "ts": 0},
              {"ph": "M", "pid": 1, "tid": 1, "name": "colour", "args": {}},
              {"ph": "X", "pid": 2, "tid": 1, "name": "g", "ts": 0, "dur": 10},
              {"ph": "X", "pid": 2, "tid": 1, "name": "h", "ts": 2, "dur": 3},
              {"ph": "X", "pid": 2, "tid": 1, "name": "i", "ts": 9, "dur": 3}
            ]}
            """#
        let problems = TraceEventValidator(Data(bad.utf8)).problems.joined(separator: "\n")
        for fragment in ["negative dur", "before", "B without E", "no valid ph", "no numeric ts", "E without B", "unknown metadata",
                         "slice at 9.0 overlaps the one ending at 10.0"] {
            #expect(problems.contains(fragment), "the checker missed '\(fragment)'")
        }
        #expect(!TraceEventValidator(Data("[]".utf8)).problems.isEmpty)
        #expect(TraceEventValidator(Data(#"{"traceEvents": []}"#.utf8)).problems.isEmpty)
    }

    /// The issue and stall tracks tile the run (ISA.md 6.6): for dma_double_buffer.nasm,
    /// whose cycles and stalls its comments derive by hand, they add up to exactly those.
    @Test func issueAndStallSlicesCoverTheCycles() throws {
        let path = Self.program("dma_double_buffer.nasm")
        let source = try String(contentsOfFile: path, encoding: .utf8)
        func expected(_ key: String) -> Int? {
            source.split(separator: "\n").first { $0.hasPrefix("; expect \(key) =") }
                .flatMap { Int($0.split(separator: "=")[1].trimmingCharacters(in: .whitespaces)) }
        }
        let cycles = try #require(expected("cycles"))
        let (_, trace) = try Self.timeline(["run", path])
        let issue = try #require(trace.track("issue")), stalls = try #require(trace.track("stalls"))
        let covered = Self.cycles(trace.slices(pid: 1, tid: issue) + trace.slices(pid: 1, tid: stalls))
        #expect(covered.args == cycles)
        #expect(abs(covered.dur - Double(cycles)) < 1e-6)
        // Each issue slice is one cycle per instruction; the stall slices per cause are the
        // program's stall counts.
        let issued = trace.slices(pid: 1, tid: issue).reduce(0) { $0 + (($1["args"] as! [String: Any])["count"] as? Int ?? 1) }
        #expect(issued == expected("retired"))
        for cause in ["data", "sramPort", "bankConflict", "branch", "dmaQueue", "dmaWait", "drain"] {
            let slices = trace.slices(pid: 1, tid: stalls).filter { $0["name"] as? String == cause }
            #expect(Self.cycles(slices).args == expected("stall.\(cause)"), "stall \(cause)")
        }
        // Every unit track holds only its instructions: the ternary array the mmacs.
        let ternary = try #require(trace.track("ternary array"))
        #expect(Set(trace.slices(pid: 1, tid: ternary).map { $0["name"] as! String }) == ["mmac"])
    }

    /// A transfer of 416 bytes (one tile) on the DRAM channel track: enqueued at cycle 1,
    /// its data flows from 1 + 1 + dmaLatency 100 = 102 for ceil(416 / 64) = 7 cycles
    /// (ISA.md 6.5); `dwait 0` waits from 2 to 109 (dmaWait 107), halt issues at 110.
    @Test func dmaSliceCarriesTheTransfersBytes() throws {
        let path = try RunCommandTests.write("addi r1, r0, 416\ndmaw r0, r0, r1\ndwait 0\nhalt\n")
        let (run, trace) = try Self.timeline(["run", path])
        #expect(run.out.contains("111"))
        let dram = try #require(trace.track("DRAM channel"))
        let slices = trace.slices(pid: 1, tid: dram)
        #expect(slices.count == 1)
        let args = try #require(slices.first?["args"] as? [String: Any])
        #expect(args["bytes"] as? Int == 416)
        #expect(args["cycle"] as? Int == 102 && args["cycles"] as? Int == 7)
        #expect(slices.first?["name"] as? String == "dmaw")
        let stalls = trace.slices(pid: 1, tid: try #require(trace.track("stalls")))
        #expect(stalls.map { $0["name"] as! String } == ["dmaWait"])
        #expect(Self.cycles(stalls).args == 107)
        // The bandwidth counter carries the 416 bytes: GB/s x window cycles at 1 GHz.
        let samples = trace.events.filter { $0["ph"] as? String == "C" && $0["name"] as? String == "DRAM bandwidth" }
        let gbps = samples.compactMap { TraceEventValidator.number(($0["args"] as? [String: Any])?["GB/s"]) }
        #expect(abs((gbps.first ?? 0) * 111 - 416) < 1e-9)   // one window: the whole 111-cycle run
    }

    /// A run that traps: the timeline is still written (after the report and before the
    /// trap message), and its issue and stall tracks add up to the trap's cycle.
    @Test func trappedRunStillCoversItsCycles() throws {
        let path = try RunCommandTests.write("addi r1, r0, 3\nmul r2, r1, r1\nlui r3, 1\nlw r4, [r3 + 0]\nhalt\n")
        let file = try temporaryDirectory().appendingPathComponent("trap.json").path
        let run = Run("run", path, "--json", "--perfetto", file)
        #expect(run.status == 1 && run.err.contains("outOfBounds"))
        let report = try #require(try JSONSerialization.jsonObject(with: Data(run.out.utf8)) as? [String: Any])
        let trace = TraceEventValidator(try Data(contentsOf: URL(fileURLWithPath: file)))
        #expect(trace.problems.isEmpty)
        let covered = Self.cycles(trace.slices(pid: 1, tid: try #require(trace.track("issue")))
                                  + trace.slices(pid: 1, tid: try #require(trace.track("stalls"))))
        #expect(covered.args == report["cycles"] as? Int)
    }

    /// The size rule: past the detail budget the issue track turns into summary slices that
    /// still add up to the run's cycles, the detail tracks stop, and the counters keep to
    /// their number of windows.
    @Test func longRunsTurnIntoSummaries() throws {
        // 3,000 iterations of two alternating instructions (slices that do not merge).
        let source = "addi r1, r0, 3000\nloop r1, end\naddi r2, r2, 1\nxori r3, r3, 1\nend: halt\n"
        let image = try #require(Assembler.assemble(source: source, fileName: "long.nasm").image)
        let simulator = try Simulator(image: image)
        let timeline = Timeline(config: simulator.config,
                                limits: .init(detailEventsPerPass: 100, detailEvents: 1000, summaryCycles: 1000, counterSamples: 4))
        let pass = timeline.pass("long")
        let result = simulator.run(trace: { pass.record($0) })
        pass.finish(cycles: result.counters.cycles, trap: result.trap)
        let trace = TraceEventValidator(Data(timeline.rendered()))
        #expect(trace.problems.isEmpty, "\(trace.problems.prefix(3))")
        let issue = trace.slices(pid: 1, tid: try #require(trace.track("issue")))
        let stalls = trace.slices(pid: 1, tid: try #require(trace.track("stalls")))
        #expect(Self.cycles(issue + stalls).args == result.counters.cycles)
        let summaries = issue.filter { $0["name"] as? String == "summary" }
        // About 6,000 cycles in summaries of at most 1,000 cycles (+ the instruction that ends one).
        #expect(summaries.count >= 5 && summaries.count <= 8)
        let summarized = summaries.reduce(0) { $0 + (($1["args"] as! [String: Any])["instructions"] as! Int) }
        #expect(summarized + (issue.count - summaries.count) <= result.counters.retired)
        #expect(summarized > 5000)
        let detail = trace.events.filter { ($0["ph"] as? String) == "X" && ($0["name"] as? String) != "summary" }
        #expect(detail.count <= 100 + 2)   // the budget, and the slices open when it ran out
        let counters = trace.events.filter { ($0["ph"] as? String) == "C" && ($0["name"] as? String) == "MAC utilization" }
        #expect(counters.count <= 4 + 1)
    }

    /// The same run gives the same bytes (no hash order anywhere).
    @Test func fileIsDeterministic() throws {
        let dir = try temporaryDirectory()
        let a = dir.appendingPathComponent("a.json").path, b = dir.appendingPathComponent("b.json").path
        let program = Self.program("gemm_prompt.nasm")
        #expect(try ProcessRun(["run", program, "--perfetto", a]).status == 0)
        #expect(try ProcessRun(["run", program, "--perfetto", b]).status == 0)
        #expect(try Data(contentsOf: URL(fileURLWithPath: a)) == Data(contentsOf: URL(fileURLWithPath: b)))
    }

    @Test func layerTimelineCoversItsCycles() throws {
        let ex = Self.repository.appendingPathComponent("examples/bitlinear")
        let y = try temporaryDirectory().appendingPathComponent("Y.npy").path
        let (run, trace) = try Self.timeline(["layer", "--weights", ex.appendingPathComponent("W.npy").path,
                                              "--input", ex.appendingPathComponent("X.npy").path, "--output", y, "--json"])
        let report = try #require(try JSONSerialization.jsonObject(with: Data(run.out.utf8)) as? [String: Any])
        let covered = Self.cycles(trace.slices(pid: 1, tid: try #require(trace.track("issue")))
                                  + trace.slices(pid: 1, tid: try #require(trace.track("stalls"))))
        #expect(covered.args == report["cycles"] as? Int)
        #expect(!trace.slices(pid: 1, tid: try #require(trace.track("ternary array"))).isEmpty)
    }

    /// `model`: one process per pass; the operation and layer tracks cover the pass, with a
    /// slice per operation of each layer.
    @Test func modelTimelineHasAProcessPerPassAndOperations() throws {
        let config = try temporaryDirectory().appendingPathComponent("tiny.json")
        try #"{"model_type": "bitnet", "hidden_size": 40, "intermediate_size": 72, "num_hidden_layers": 2, "num_attention_heads": 4, "num_key_value_heads": 2, "head_dim": 10, "vocab_size": 97, "hidden_act": "relu2", "max_position_embeddings": 64, "rms_norm_eps": 1e-5, "tie_word_embeddings": true}"#
            .write(to: config, atomically: true, encoding: .utf8)
        let (run, trace) = try Self.timeline(["model", "--hf-config", config.path, "--context", "5", "--prompt-tokens", "2", "--json"])
        #expect(trace.processes.map(\.name) == ["decode token at context 5", "prefill of 2 tokens"])
        let report = try #require(try JSONSerialization.jsonObject(with: Data(run.out.utf8)) as? [String: Any])
        let decode = try #require(report["decode"] as? [String: Any])
        let cycles = try #require(TraceEventValidator.number(decode["cycles_per_token"]))
        let operation = try #require(trace.track("operation")), layer = try #require(trace.track("layer"))
        let operations = trace.slices(pid: 1, tid: operation)
        #expect(Double(Self.cycles(operations).args) == cycles)
        #expect(Double(Self.cycles(trace.slices(pid: 1, tid: layer)).args) == cycles)
        // Two layers of q_proj, each with its layer number; the layer track names both.
        let qProj = operations.filter { $0["name"] as? String == "q_proj" }
        #expect(qProj.compactMap { ($0["args"] as? [String: Any])?["layer"] as? Int } == [0, 1])
        let layers = trace.slices(pid: 1, tid: layer).map { $0["name"] as! String }
        #expect(layers == ["embedding", "layer 0", "layer 1", "final_norm", "lm_head"])
        #expect(Double(Self.cycles(trace.slices(pid: 1, tid: try #require(trace.track("issue")))
                                   + trace.slices(pid: 1, tid: try #require(trace.track("stalls")))).args) == cycles)
    }

    @Test func generateTimelineHasAProcessPerPass() throws {
        let model = Self.repository.appendingPathComponent("Tests/NMPRuntimeTests/Fixtures/generate/tq2_0.gguf").path
        let (_, trace) = try Self.timeline(["generate", "--model", model, "--prompt-ids", "0,54", "--max-new-tokens", "2"])
        #expect(trace.processes.map(\.name) == ["prefill of 2 tokens", "decode token 2 at position 2"])
        #expect(trace.track("operation", pid: 2) != nil)
    }

    /// A timeline that cannot be written: the report is out, the error names the file, no
    /// file (or temporary file) is left, exit status 1.
    @Test func unwritablePathKeepsTheReport() throws {
        let dir = try temporaryDirectory()
        let path = dir.appendingPathComponent("missing/t.json").path
        let run = Run("run", Self.program("dot_product.nasm"), "--perfetto", path)
        #expect(run.status == 1)
        #expect(run.out.contains("cycles") && run.out.contains("outcome  halted"))
        #expect(run.err.contains("cannot write '\(path)'"))
        #expect(!FileManager.default.fileExists(atPath: path))
        // A read-only directory: nothing, not even a temporary file, is left in it.
        let locked = dir.appendingPathComponent("locked")
        try FileManager.default.createDirectory(at: locked, withIntermediateDirectories: true)
        try FileManager.default.setAttributes([.posixPermissions: 0o555], ofItemAtPath: locked.path)
        defer { try? FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: locked.path) }
        if access(locked.path, W_OK) != 0 {   // (root can write anyway)
            let inLocked = Run("run", Self.program("dot_product.nasm"), "--perfetto", locked.appendingPathComponent("t.json").path)
            #expect(inLocked.status == 1 && inLocked.out.contains("outcome  halted"))
            #expect(try FileManager.default.contentsOfDirectory(atPath: locked.path).isEmpty)
        }
    }

    /// An input as the output: refused before the run, the input untouched.
    @Test func perfettoNeverOverwritesAnInput() throws {
        let path = try RunCommandTests.write("halt\n", "keep.nasm")
        let run = Run("run", path, "--perfetto", path)
        #expect(run.status == 1)
        #expect(run.err.contains("--perfetto") && run.out.isEmpty)
        #expect(try String(contentsOfFile: path, encoding: .utf8) == "halt\n")
        #expect(Run("run", path, "--perfetto").status == 2)
    }

    /// Each command documents the option.
    @Test(arguments: ["run", "layer", "model", "generate"])
    func helpDocumentsPerfetto(_ command: String) {
        #expect(Run(command, "--help").out.contains("--perfetto <file>"))
    }
}
