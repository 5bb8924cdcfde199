import Foundation
import NMPJSON
import NMPSweep
import Testing
@testable import NMPCommands

/// `nmp sweep` and `nmp sweep merge` end to end, on a two-layer model of hidden size 40.
struct SweepCommandTests {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let tiny = repository.appendingPathComponent("Tests/NMPRuntimeTests/Fixtures/decoder/bitnet-2l-gqa/config.json").path
    static let grid = ["--set", "vlen=32,64", "--set", "dramBytesPerCycle=16,64"]

    static func sweep(_ extra: [String], out: String) -> Run {
        Run(["sweep", "--hf-config", tiny, "--context", "8"] + grid + ["--out", out] + extra)
    }

    /// The data lines of a CSV file (header dropped), sorted.
    static func rows(_ path: String) throws -> [String] {
        try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n").dropFirst().map(String.init).sorted()
    }

    /// Each row against a separate `nmp model --json` of the same machine, written as a
    /// config file: the independent check that the point's values reach the machine and
    /// that every column is the report's number.
    @Test func rowsAgreeWithSeparateModelRuns() throws {
        let dir = try temporaryDirectory()
        let out = dir.appendingPathComponent("r.csv").path, jsonl = dir.appendingPathComponent("r.jsonl").path
        // The built executable, with two threads.
        let sweep = try ProcessRun(["sweep", "--hf-config", Self.tiny, "--context", "8", "--prompt-tokens", "2"] + Self.grid
                                   + ["--out", out, "--jsonl", jsonl, "--jobs", "2"])
        #expect(sweep.status == 0, "\(String(decoding: sweep.err, as: UTF8.self))")
        let lines = try String(contentsOfFile: out, encoding: .utf8).split(separator: "\n").map(String.init)
        let header = lines[0].split(separator: ",").map(String.init)
        #expect(header.prefix(5) == ["point", "points", "sweep_id", "vlen", "dramBytesPerCycle"])
        #expect(header.last == "error")
        #expect(header.contains("prefill_cycles_per_token"))
        #expect(lines.count == 5)
        var seen: Set<Int> = []
        for line in lines.dropFirst() {
            let fields = line.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
            let row = Dictionary(uniqueKeysWithValues: zip(header, fields))
            let point = try #require(Int(row["point"]!))
            seen.insert(point)
            // Point order: vlen outer, dramBytesPerCycle inner.
            #expect(row["vlen"] == ["32", "64"][point / 2] && row["dramBytesPerCycle"] == ["16", "64"][point % 2])
            #expect(row["points"] == "4" && row["error"] == "")
            let config = dir.appendingPathComponent("m\(point).json")
            try #"{"vlen": \#(row["vlen"]!), "dramBytesPerCycle": \#(row["dramBytesPerCycle"]!)}"#.write(to: config, atomically: true, encoding: .utf8)
            let model = Run("model", "--hf-config", Self.tiny, "--config", config.path, "--context", "8", "--prompt-tokens", "2", "--json")
            #expect(model.status == 0, "\(model.err)")
            // The report's numbers as written (StrictJSON keeps a number's text): the CSV
            // field must be the same text.
            let report = try StrictJSON.parse(Array(model.out.utf8))
            func literal(_ path: String...) throws -> String {
                var value = report
                for key in path {
                    guard case .object(let members) = value, let next = members.first(where: { $0.0 == key })?.1 else { throw CancellationError() }
                    value = next
                }
                switch value {
                case .number(let text): return text
                case .bool(let flag): return flag ? "true" : "false"
                default: throw CancellationError()
                }
            }
            #expect(try literal("config", "vlen") == row["vlen"])
            #expect(try literal("config", "dramBytesPerCycle") == row["dramBytesPerCycle"])
            for pass in ["decode", "prefill"] {
                for key in ["cycles_per_token", "tokens_per_second", "energy_pj_per_token", "dram_bytes_per_token", "bound_cycles_per_token",
                            "mac_utilization", "roofline_utilization"] {
                    #expect(try literal(pass, key) == row["\(pass)_\(key)"], "\(pass)_\(key)")
                }
                let ofBound = try #require(Double(try literal(pass, "bound_cycles_per_token"))) / #require(Double(try literal(pass, "cycles_per_token")))
                #expect(Double(row["\(pass)_of_bound"]!) == ofBound)
            }
            #expect(try literal("decode", "fp16_baseline", "cycles_per_token") == row["decode_fp16_cycles_per_token"])
            #expect(try literal("decode", "fp16_baseline", "energy_pj_per_token") == row["decode_fp16_energy_pj_per_token"])
            #expect(try literal("decode", "ratios", "latency") == row["decode_latency_ratio"])
            #expect(try literal("decode", "ratios", "energy") == row["decode_energy_ratio"])
            #expect(try literal("packed_weight_bytes") == row["packed_weight_bytes"])
            #expect(try literal("fits_dram") == row["fits_dram"])
        }
        #expect(seen == [0, 1, 2, 3])
        // The JSON Lines records: one per point, each with the point's whole report.
        let records = try String(contentsOfFile: jsonl, encoding: .utf8).split(separator: "\n")
        #expect(records.count == 4)
        for record in records {
            let object = try #require(try JSONSerialization.jsonObject(with: Data(record.utf8)) as? [String: Any])
            let report = try #require(object["report"] as? [String: Any])
            #expect(report["schema"] as? String == "nmp-model/2")
            let set = try #require(object["set"] as? [String: Any])
            #expect(((report["config"] as? [String: Any])?["dramBytesPerCycle"] as? Int) == set["dramBytesPerCycle"] as? Int)
        }
    }

    @Test func anInvalidPointIsARowWithItsError() throws {
        let dir = try temporaryDirectory()
        let out = dir.appendingPathComponent("e.csv").path
        let run = Run("sweep", "--hf-config", Self.tiny, "--context", "8", "--set", "vlen=32,64", "--set", "rows=64", "--out", out, "--jobs", "2")
        #expect(run.status == 0, "\(run.err)")
        #expect(run.out.contains("1 failed"))
        let rows = try Self.rows(out)
        #expect(rows.count == 2)
        let failed = try #require(rows.first { $0.hasPrefix("0,") })
        #expect(failed.contains(",,,,"))  // empty metrics
        #expect(failed.hasSuffix(",machine: field 'rows': must be at most vlen (32) so that the ROWS results of mmac fit in one accumulator (got 64)"))
        let fine = try #require(rows.first { $0.hasPrefix("1,") })
        #expect(fine.hasSuffix(","))
    }

    /// A sweep killed midway (simulated: a file with two rows and half a third) resumes:
    /// the rerun runs only the missing points, and the file ends with the same rows as an
    /// uninterrupted run; rows are byte-identical whatever the number of threads.
    @Test func aSweepResumesWhereItStopped() throws {
        let dir = try temporaryDirectory()
        let full = dir.appendingPathComponent("full.csv").path, fullJSON = dir.appendingPathComponent("full.jsonl").path
        #expect(Self.sweep(["--jobs", "2", "--jsonl", fullJSON], out: full).status == 0)
        let text = try String(contentsOfFile: full, encoding: .utf8)
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        let partial = dir.appendingPathComponent("partial.csv").path, partialJSON = dir.appendingPathComponent("partial.jsonl").path
        try (lines[0...2].joined(separator: "\n") + "\n" + lines[3].prefix(20)).write(toFile: partial, atomically: true, encoding: .utf8)
        // The JSON Lines file holds one of those points, and a cut record.
        let records = try String(contentsOfFile: fullJSON, encoding: .utf8).split(separator: "\n").map(String.init)
        try (records[0] + "\n" + records[1].prefix(30)).write(toFile: partialJSON, atomically: true, encoding: .utf8)
        let resumed = Self.sweep(["--jobs", "1", "--jsonl", partialJSON], out: partial)
        #expect(resumed.status == 0, "\(resumed.err)")
        #expect(resumed.out.contains("run      3 on 1 thread, 1 already in the results"), "\(resumed.out)")
        #expect(resumed.err.contains("line cut short"))
        #expect(try Self.rows(partial) == Self.rows(full))
        #expect(try String(contentsOfFile: partial, encoding: .utf8).hasPrefix(lines[0] + "\n"))
        let again = try String(contentsOfFile: partialJSON, encoding: .utf8).split(separator: "\n").map(String.init)
        #expect(again.sorted() == records.sorted())
        // A third run has nothing left to do and changes nothing.
        let before = try Data(contentsOf: URL(fileURLWithPath: partial))
        let done = Self.sweep(["--jsonl", partialJSON], out: partial)
        #expect(done.out.contains("run      none, 4 already in the results"), "\(done.out)")
        #expect(try Data(contentsOf: URL(fileURLWithPath: partial)) == before)
    }

    @Test func filesOfAnotherSweepAreRefused() throws {
        let dir = try temporaryDirectory()
        let out = dir.appendingPathComponent("r.csv").path
        try "point,points,sweep_id,vlen,other\n".write(toFile: out, atomically: true, encoding: .utf8)
        let header = Self.sweep([], out: out)
        #expect(header.status == 1)
        #expect(header.err.contains("r.csv: its header does not match this sweep's columns"), "\(header.err)")
        let ok = dir.appendingPathComponent("ok.csv").path
        #expect(Run("sweep", "--hf-config", Self.tiny, "--context", "8", "--set", "vlen=32,64", "--out", ok).status == 0)
        // Another --context: the same columns, another sweep.
        let other = Run("sweep", "--hf-config", Self.tiny, "--context", "9", "--set", "vlen=32,64", "--out", ok)
        #expect(other.status == 1)
        #expect(other.err.contains("written by another sweep"), "\(other.err)")
        // A --jsonl file that is not a sweep's: nothing runs, and the new --out is not left behind.
        let bad = dir.appendingPathComponent("bad.jsonl").path, fresh = dir.appendingPathComponent("fresh.csv").path
        try "[1]\n".write(toFile: bad, atomically: true, encoding: .utf8)
        let jsonl = Run("sweep", "--hf-config", Self.tiny, "--set", "vlen=32,64", "--out", fresh, "--jsonl", bad)
        #expect(jsonl.status == 1)
        #expect(jsonl.err.contains("bad.jsonl: line 1: not a result of an nmp sweep"), "\(jsonl.err)")
        #expect(!FileManager.default.fileExists(atPath: fresh))
    }

    /// Two shards merged are the whole sweep, sorted by point.
    @Test func shardsMergeIntoTheWholeSweep() throws {
        let dir = try temporaryDirectory()
        let whole = dir.appendingPathComponent("whole.csv").path
        #expect(Self.sweep(["--jobs", "2"], out: whole).status == 0)
        var shards: [String] = [], jsonShards: [String] = []
        for i in 1...2 {
            shards.append(dir.appendingPathComponent("shard-\(i).csv").path)
            jsonShards.append(dir.appendingPathComponent("shard-\(i).jsonl").path)
            let run = Self.sweep(["--shard", "\(i)/2", "--jsonl", jsonShards.last!], out: shards.last!)
            #expect(run.status == 0, "\(run.err)")
            #expect(run.out.contains("shard \(i)/2: 2"))
            let points = try Self.rows(shards.last!).map { $0.prefix { $0 != "," } }
            #expect(points.sorted() == (i == 1 ? ["0", "2"] : ["1", "3"]))
        }
        let merged = dir.appendingPathComponent("all.csv").path
        let merge = Run(["sweep", "merge", "--out", merged] + shards.reversed() + [shards[0]])
        #expect(merge.status == 0, "\(merge.err)")
        #expect(merge.out.contains("merged   4 of 4 points from 3 files"))
        #expect(merge.out.contains("2 rows given twice dropped"))
        let wholeLines = try String(contentsOfFile: whole, encoding: .utf8).split(separator: "\n")
        let sorted = [wholeLines[0]] + wholeLines.dropFirst().sorted { Int($0.prefix { $0 != "," })! < Int($1.prefix { $0 != "," })! }
        #expect(try String(contentsOfFile: merged, encoding: .utf8) == sorted.joined(separator: "\n") + "\n")
        // JSON Lines shards merge the same way.
        let mergedJSON = dir.appendingPathComponent("all.jsonl").path
        #expect(Run(["sweep", "merge", "--jsonl", mergedJSON] + jsonShards).status == 0)
        let points = try String(contentsOfFile: mergedJSON, encoding: .utf8).split(separator: "\n").map {
            (try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])?["point"] as? Int
        }
        #expect(points == [0, 1, 2, 3])
        // One shard alone: points are missing.
        let missing = Run("sweep", "merge", "--out", dir.appendingPathComponent("half.csv").path, shards[0])
        #expect(missing.status == 1)
        #expect(missing.err.contains("2 of 4 points missing: 1, 3"), "\(missing.err)")
        #expect(!FileManager.default.fileExists(atPath: dir.appendingPathComponent("half.csv").path))
        let partial = Run("sweep", "merge", "--partial", "--out", dir.appendingPathComponent("half.csv").path, shards[0])
        #expect(partial.status == 0)
        #expect(partial.out.contains("missing  2 of 4 points missing: 1, 3"))
    }

    @Test(arguments: [
        (["--set", "vlem=32"], 2, "'vlem' is not a machine config key; did you mean 'vlen'?"),
        (["--set", "weightSRAM.sise=4096"], 2, "did you mean 'weightSRAM.size'?"),
        (["--set", "vlen="], 2, "the list of values is empty"),
        (["--set", "vlen=32,,64"], 2, "an empty value"),
        (["--set", "vlen=thirty-two"], 2, "--set vlen=thirty-two: field 'vlen': must be an integer"),
        (["--set", "clockGHz=fast"], 2, "field 'clockGHz': must be a number"),
        (["--set", "packing=3"], 2, "field 'packing': must be a string"),
        (["--set", "energy.sramCurve=1"], 2, "energy.sramCurve is a list"),
        (["--set", "vlen=32", "--set", "vlen=64"], 2, "swept twice"),
        (["--shard", "3/2"], 2, "--shard '3/2': the shard must be 1 ... 2"),
        (["--shard", "0/0"], 2, "the number of shards must be at least 1"),
        (["--jobs", "0"], 2, "--jobs '0' is not an integer"),
        (["--out", "/nonexistent-dir/r.csv"], 1, "cannot write '/nonexistent-dir/r.csv': directory '/nonexistent-dir' does not exist"),
    ] as [([String], Int32, String)])
    func badInputIsRefused(_ extra: [String], _ status: Int32, _ message: String) throws {
        let dir = try temporaryDirectory()
        let out = dir.appendingPathComponent("r.csv").path
        let run = Run(["sweep", "--hf-config", Self.tiny, "--out", out] + extra)
        #expect(run.status == status)
        #expect(run.err.contains(message), "\(run.err)")
        if !extra.contains("--out") { #expect(!FileManager.default.fileExists(atPath: out)) }
    }

    /// The README's table names every decode column; the prefill columns are the same names
    /// with `prefill_`, in the same order (its FP16 baseline is simulated too).
    @Test func theReadmeNamesEveryColumn() throws {
        let readme = try String(contentsOf: Self.repository.appendingPathComponent("README.md"), encoding: .utf8)
        for metric in SweepMetric.all(prefill: false) { #expect(readme.contains("`\(metric.name)`"), "\(metric.name)") }
        let decode = SweepMetric.pass("decode").map(\.name), prefill = SweepMetric.pass("prefill").map(\.name)
        #expect(prefill == decode.map { "prefill_" + $0.dropFirst("decode_".count) })
        #expect(prefill.first == "prefill_cycles_per_token" && prefill.last == "prefill_energy_ratio")
        #expect(readme.contains("`prefill_cycles_per_token` ... `prefill_energy_ratio`"))
    }

    @Test func missingOptionsAreUsageErrors() {
        #expect(Run("sweep", "--hf-config", Self.tiny).err.contains("missing --out"))
        #expect(Run("sweep", "--out", "/tmp/x.csv").status == 2)
        #expect(Run("sweep", "merge", "a.csv").err.contains("missing --out"))
        #expect(Run("sweep", "merge", "--out", "a.csv", "--jsonl", "b.jsonl", "c").status == 2)
        #expect(Run("sweep", "--help").out.contains("--shard I/N"))
    }
}
