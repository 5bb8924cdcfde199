import Foundation
import Testing
@testable import NMPCommands

/// `nmp model --plot` and `--csv`, checked against the same run's `--json` (another path
/// through the report): the CSV's rows add up to its per-token totals, and the figure has a
/// point for every operation the roofline can place.
struct ModelFiguresTests {
    /// Four layers, so that layers 2 and 3 are the second simulated layer's numbers again.
    static let configText = #"{"model_type": "bitnet", "hidden_size": 40, "intermediate_size": 72, "num_hidden_layers": 4, "num_attention_heads": 4, "num_key_value_heads": 2, "head_dim": 10, "vocab_size": 97, "hidden_act": "relu2", "max_position_embeddings": 64, "rms_norm_eps": 1e-5, "tie_word_embeddings": true}"#

    static func setUp() throws -> (dir: URL, config: String) {
        let dir = try temporaryDirectory()
        let config = dir.appendingPathComponent("tiny.json")
        try configText.write(to: config, atomically: true, encoding: .utf8)
        return (dir, config.path)
    }

    /// RFC 4180 as the CSV writes it: no field here needs quotes.
    static func rows(_ text: String) -> [[String]] {
        text.components(separatedBy: "\r\n").filter { !$0.isEmpty }.map { $0.components(separatedBy: ",") }
    }

    /// The JSON report of a decode at context 5 and a 3-token prefill that also wrote
    /// `option`'s file, and that file's text.
    static func model(writing option: String) throws -> (report: [String: Any], file: String, config: String, dir: URL) {
        let (dir, config) = try setUp()
        let path = dir.appendingPathComponent("out").path
        let run = Run("model", "--hf-config", config, "--context", "5", "--prompt-tokens", "3", "--json", option, path)
        #expect(run.status == 0, "\(run.err)")
        let report = try #require(try JSONSerialization.jsonObject(with: Data(run.out.utf8)) as? [String: Any])
        return (report, try String(contentsOfFile: path, encoding: .utf8), config, dir)
    }

    @Test func csvAddsUpToTheJSONReport() throws {
        let (report, text, config, dir) = try Self.model(writing: "--csv")
        // The same bytes from another process.
        let again = dir.appendingPathComponent("again.csv").path
        #expect(try ProcessRun(["model", "--hf-config", config, "--context", "5", "--prompt-tokens", "3", "--csv", again]).status == 0)
        #expect(try Data(contentsOf: URL(fileURLWithPath: again)) == Data(text.utf8))
        #expect(text.hasSuffix("\r\n"))
        let table = Self.rows(text)
        let header = table[0]
        #expect(header == ["pass", "tokens", "layer", "source_layer", "operation", "unit", "cycles", "instructions", "stall_cycles",
                           "stall_data_cycles", "stall_sramPort_cycles", "stall_bankConflict_cycles", "stall_branch_cycles",
                           "stall_dmaQueue_cycles", "stall_dmaWait_cycles", "stall_drain_cycles", "stall_array_cycles", "bound_cycles",
                           "unit_utilization_pct", "of_bound_pct", "trit_macs", "float_lane_ops",
                           "weight_sram_read_bytes", "weight_sram_write_bytes", "activation_sram_read_bytes", "activation_sram_write_bytes",
                           "dram_read_bytes", "dram_write_bytes", "energy_uJ"])
        let body = table.dropFirst()
        #expect(body.allSatisfy { $0.count == header.count })
        func column(_ name: String) -> Int { header.firstIndex(of: name)! }
        // 3 once-per-pass operations and 18 per layer, 4 layers, 2 passes.
        #expect(body.count == 2 * (3 + 18 * 4))
        for pass in ["decode", "prefill"] {
            let json = try #require(report[pass] as? [String: Any])
            let rows = body.filter { $0[0] == pass }
            func sum(_ names: String...) -> Double {
                rows.reduce(0) { total, row in total + names.reduce(0) { $0 + Double(row[column($1)])! } }
            }
            let cycles = try #require(json["cycles_per_token"] as? Double)
            let dram = try #require(json["dram_bytes_per_token"] as? Double)
            let energy = try #require(json["energy_pj_per_token"] as? Double)
            #expect(abs(sum("cycles") - cycles) <= 1e-9 * cycles, "\(pass)")
            #expect(abs(sum("dram_read_bytes", "dram_write_bytes") - dram) <= 1e-9 * dram, "\(pass)")
            #expect(abs(sum("energy_uJ") * 1e6 - energy) <= 1e-9 * energy, "\(pass)")
            // Per operation too: the rows of an operation add up to its JSON entry.
            for op in try #require(json["operations"] as? [[String: Any]]) {
                let name = try #require(op["name"] as? String)
                let mine = rows.filter { $0[column("operation")] == name }
                let total = mine.reduce(0) { $0 + Double($1[column("cycles")])! }
                let expected = try #require(op["cycles"] as? Double)
                #expect(abs(total - expected) <= 1e-9 * max(1, expected), "\(pass) \(name)")
                // Every row's cycles are its instructions plus its stalls (ISA.md 6.6).
                for row in mine {
                    #expect(abs(Double(row[column("cycles")])! - Double(row[column("instructions")])! - Double(row[column("stall_cycles")])!) < 1e-6)
                }
            }
            // Every layer 0 ... 3 is there; 2 and 3 repeat layer 1 and say so.
            #expect(Set(rows.map { $0[column("layer")] }) == ["", "0", "1", "2", "3"])
            let numbers = column("cycles")...
            for layer in ["2", "3"] {
                let these = rows.filter { $0[column("layer")] == layer }, second = rows.filter { $0[column("layer")] == "1" }
                #expect(these.count == 18 && these.allSatisfy { $0[column("source_layer")] == "1" })
                #expect(zip(these, second).allSatisfy { Array($0[numbers]) == Array($1[numbers]) })
            }
            #expect(rows.filter { $0[column("layer")] == "0" }.allSatisfy { $0[column("source_layer")] == "0" })
            #expect(rows.first?[column("operation")] == "embedding" && rows.last?[column("operation")] == "lm_head")
        }
    }

    @Test func plotHasEveryOperationAndTheLabels() throws {
        let (report, svg, config, dir) = try Self.model(writing: "--plot")
        let parsed = try PlotTests.Parsed(svg)
        for fragment in ["operational intensity (work per DRAM byte)", "attained work per cycle", "DRAM roof: 64 B/cycle",
                         "ternary array peak: 2,048 trit-MACs/cycle", "float unit peak: 64 lane-ops/cycle",
                         "decode: ternary array (trit-MACs)", "prefill: float unit (lane-ops)", "energy per token (nJ)",
                         "Cycles per operation: decode token", "Cycles per operation: prefill, per token", "cycles per token, all 4 layers (cycles)",
                         "weight SRAM", "above bound", "tiny.json"] {
            #expect(parsed.text.contains(fragment), "\(fragment)")
        }
        // One roofline point per operation with arithmetic and DRAM traffic, named in its
        // tooltip; the others are listed under the chart.
        var expected: [String] = []
        for pass in ["decode", "prefill"] {
            let json = try #require(report[pass] as? [String: Any])
            for op in try #require(json["operations"] as? [[String: Any]]) {
                let name = op["name"] as! String, unit = op["unit"] as! String
                if unit != "DMA", (op["dram_bytes"] as! Double) > 0, (op["utilization"] as! Double) > 0 {
                    expected.append("\(pass) \(name)")
                } else if pass == "decode" {
                    #expect(parsed.text.contains(name), "\(name)")
                }
            }
        }
        let points = parsed.points.map { String($0.prefix { $0 != ":" }) }
        #expect(points.sorted() == expected.sorted())
        // And one bar per operation in each cycles panel, bound and above bound.
        let decodeOps = (report["decode"] as! [String: Any])["operations"] as! [[String: Any]]
        #expect(parsed.titles.filter { $0.owner == nil && $0.text.hasPrefix("q_proj: ") }.count >= 2)
        #expect(decodeOps.count == 21)
        // The same inputs draw the same bytes, in another process too.
        let again = dir.appendingPathComponent("again.svg").path
        #expect(try ProcessRun(["model", "--hf-config", config, "--context", "5", "--prompt-tokens", "3", "--plot", again]).status == 0)
        #expect(try Data(contentsOf: URL(fileURLWithPath: again)) == Data(svg.utf8))
    }

    /// A plot or CSV that cannot be written: the report is still printed, then the error,
    /// exit 1, and neither file is written.
    @Test(arguments: ["missing-folder", "directory", "input", "same"])
    func badOutputPaths(_ kind: String) throws {
        let (dir, config) = try Self.setUp()
        let good = dir.appendingPathComponent("good.svg").path
        let bad: String
        var arguments = ["model", "--hf-config", config, "--context", "5"]
        switch kind {
        case "missing-folder": bad = dir.appendingPathComponent("no/such/dir/layers.csv").path
        case "directory": bad = dir.path
        case "input": bad = config
        default: bad = good
        }
        arguments += ["--plot", good, "--csv", bad]
        let before = try Data(contentsOf: URL(fileURLWithPath: config))
        let run = Run(arguments)
        #expect(run.status == 1)
        #expect(run.out.contains("q_proj") && run.out.contains("energy per token"), "the report is printed")
        #expect(run.err.contains("--csv '\(bad)'") || run.err.contains("cannot write '\(bad)'"), "\(run.err)")
        #expect(!FileManager.default.fileExists(atPath: good), "no partial output")
        #expect(try Data(contentsOf: URL(fileURLWithPath: config)) == before)
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: dir.path).filter { $0.hasSuffix(".tmp") }
        #expect(leftovers.isEmpty)
    }

    @Test func missingValuesAreUsageErrors() {
        #expect(Run("model", "--hf-config", "x.json", "--plot").status == 2)
        #expect(Run("model", "--hf-config", "x.json", "--csv").status == 2)
        #expect(Run("model", "--help").out.contains("--plot <file.svg>"))
    }
}
