import Foundation
import NMPSweep
import Testing
@testable import NMPCommands

/// `nmp sweep --plot`: the grouping of rows into series (worked out by hand), the chart's
/// markers, legend and axis titles, bad options, and the command end to end.
struct SweepPlotTests {
    typealias Row = SweepPlot.Row

    /// A 2 x 3 x 2 grid (vlen x dramBytesPerCycle x rows, rows innermost), given out of
    /// order: point 1 failed, point 6 has no value.
    static let keys = ["vlen", "dramBytesPerCycle", "rows"]
    static func row(_ point: Int, _ metric: String, error: String = "") -> Row {
        let vlen = ["64", "32"][point / 6], dram = ["16", "64", "8"][point / 2 % 3], rows = ["32", "16"][point % 2]
        return Row(point: point, values: [vlen, dram, rows], metric: metric, error: error)
    }
    static let rows: [Row] = (0..<12).map { p in
        p == 1 ? row(p, "", error: "machine: too small") : p == 6 ? row(p, "") : row(p, String(100 + p))
    }

    @Test func seriesGroupByTheOtherKeysInTheirSetOrder() {
        let (series, legend, failed, missing) = SweepPlot.series(Self.rows, keys: Self.keys, x: 0, seriesKey: nil)
        #expect(legend == [1, 2] && failed == 1 && missing == 1)
        // dramBytesPerCycle in its --set order 16, 64, 8 (not sorted), then rows 32, 16.
        #expect(series.map(\.name) == ["dramBytesPerCycle = 16, rows = 32", "dramBytesPerCycle = 16, rows = 16",
                                       "dramBytesPerCycle = 64, rows = 32", "dramBytesPerCycle = 64, rows = 16",
                                       "dramBytesPerCycle = 8, rows = 32", "dramBytesPerCycle = 8, rows = 16"])
        // Points in ascending vlen (32 is the second value given): x, y by hand.
        #expect(series.map { $0.points.map { [$0.x, $0.y] } } == [
            [[64, 100]],                                          // point 6 (vlen 32) has no value
            [[32, 107]],                                          // point 1 (vlen 64) failed
            [[32, 108], [64, 102]],
            [[32, 109], [64, 103]],
            [[32, 110], [64, 104]],
            [[32, 111], [64, 105]],
        ])
        // One point per row without error and with a value.
        #expect(series.reduce(0) { $0 + $1.points.count } == 10)
    }

    @Test func seriesKeyGoesFirstInTheLegend() {
        let (series, legend, _, _) = SweepPlot.series(Self.rows, keys: Self.keys, x: 1, seriesKey: 2)
        #expect(legend == [2, 0])
        #expect(series.map(\.name) == ["rows = 32, vlen = 64", "rows = 32, vlen = 32", "rows = 16, vlen = 64", "rows = 16, vlen = 32"])
        // x = dramBytesPerCycle ascending: 8, 16, 64 (points 4, 0, 2 for rows 32 and vlen 64).
        #expect(series[0].points.map(\.row.point) == [4, 0, 2])
    }

    @Test func oneSweptKeyIsOneUnnamedSeries() {
        let rows = [Row(point: 0, values: ["32"], metric: "5", error: ""), Row(point: 1, values: ["64"], metric: "7", error: "")]
        let (series, legend, _, _) = SweepPlot.series(rows, keys: ["vlen"], x: 0, seriesKey: nil)
        #expect(legend.isEmpty && series.count == 1 && series[0].name == "" && series[0].points.map(\.y) == [5, 7])
    }

    @Test func logScaleRule() {
        #expect(SweepPlot.logScale([32, 64, 128], powersOfTwo: true))
        #expect(!SweepPlot.logScale([32, 64], powersOfTwo: true))          // two values: linear
        #expect(!SweepPlot.logScale([32, 64, 96], powersOfTwo: true))      // 96 is no power of two
        #expect(!SweepPlot.logScale([32, 64, 128], powersOfTwo: false))    // y: only the span counts
        #expect(SweepPlot.logScale([1, 100], powersOfTwo: false))          // two decades
        #expect(!SweepPlot.logScale([1, 99], powersOfTwo: false))
        #expect(!SweepPlot.logScale([0, 1000], powersOfTwo: true))         // zero cannot go on a log axis
    }

    /// A results file as the sweep writes it: the chart has one marker per plotted row
    /// (tooltip: point, values, the CSV's number), a legend entry per series, axis titles
    /// with units, and the note counting the failed rows.
    @Test func chartOfAResultsFile() throws {
        let header = SweepFile.leadingColumns + Self.keys + SweepMetric.all(prefill: false).map(\.name) + ["error"]
        let metrics = SweepMetric.all(prefill: false).count
        var text = CSV.record(header)
        for row in Self.rows.reversed() {  // completion order is any order
            var fields = [String(row.point), "12", "abc"] + row.values + Array(repeating: "", count: metrics) + [row.error]
            fields[header.firstIndex(of: "decode_tokens_per_second")!] = row.metric
            text += CSV.record(fields)
        }
        let request = SweepPlot.Request(x: "vlen", y: "decode_tokens_per_second", series: "rows")
        let (chart, points) = try SweepPlot.chart(request, results: Array(text.utf8), file: "/tmp/r.csv", model: "m.json")
        #expect(points == 10 && chart.series.count == 6)
        let parsed = try PlotTests.Parsed(chart.svg())
        #expect(parsed.points.count == 10)
        #expect(parsed.points.contains("point 3: vlen = 64, dramBytesPerCycle = 64, rows = 16: 103 tokens/s"))
        for name in ["rows = 32, dramBytesPerCycle = 16", "rows = 16, dramBytesPerCycle = 8", "vlen (lanes)",
                     "decode tokens per second (tokens/s)", "decode tokens per second against vlen",
                     "10 points of r.csv, one marker each; the model: m.json",
                     "1 point left out: the machine could not run the model", "1 point left out: no value of decode_tokens_per_second"] {
            #expect(parsed.text.contains(name), "\(name)")
        }
        // Ticks at the swept values, on a linear axis (two values).
        #expect(chart.x.ticks == [32, 64] && chart.x.scale == .linear)
    }

    static let columns = SweepPlot.Columns(keys: ["vlen", "packing", "rows"], metrics: SweepMetric.all(prefill: false).map(\.name))
    static let values = [["32", "64"], ["base3", "2bit"], ["16"]]

    @Test(arguments: [
        (SweepPlot.Request(x: "vlem", y: "decode_cycles_per_token"), "--x 'vlem' is not a swept key (swept: vlen, packing, rows); did you mean 'vlen'?"),
        (SweepPlot.Request(x: "clockGHz", y: "decode_cycles_per_token"), "--x 'clockGHz' is not a swept key"),
        (SweepPlot.Request(x: "packing", y: "decode_cycles_per_token"), "--x packing: its values (base3, 2bit) are not all numbers"),
        (SweepPlot.Request(x: "vlen", y: "decode_cycles_per_tokn"), "--y 'decode_cycles_per_tokn' is not a metric column of the results; did you mean 'decode_cycles_per_token'?"),
        (SweepPlot.Request(x: "vlen", y: "prefill_cycles_per_token"), "prefill_* columns need --prompt-tokens"),
        (SweepPlot.Request(x: "vlen", y: "fits_dram"), "--y fits_dram is true or false"),
        (SweepPlot.Request(x: "vlen", y: "decode_cycles_per_token", series: "vlen"), "--series vlen is the --x key"),
        (SweepPlot.Request(x: "vlen", y: "decode_cycles_per_token", series: "row"), "--series 'row' is not a swept key (swept: vlen, packing, rows); did you mean 'rows'?"),
    ] as [(SweepPlot.Request, String)])
    func badRequestsAreUsageErrors(_ request: SweepPlot.Request, _ message: String) {
        #expect {
            try SweepPlot.check(request, columns: Self.columns, values: Self.values)
        } throws: { error in
            guard let error = error as? CommandError else { return false }
            return error.status == ExitCode.usage && error.message.contains(message)
        }
    }

    @Test func goodRequestsPass() throws {
        let checked = try SweepPlot.check(SweepPlot.Request(x: "vlen", y: "decode_of_bound", series: "packing"), columns: Self.columns, values: Self.values)
        #expect(checked.x == 0 && checked.series == 1)
    }

    // MARK: - The command

    static let tiny = SweepCommandTests.tiny

    /// The sweep and its plot from the built executable; a rerun with nothing left to do still
    /// plots every row of the file, and gives the same bytes from another process.
    @Test func sweepPlotsEveryRowOfItsFile() throws {
        let dir = try temporaryDirectory()
        let out = dir.appendingPathComponent("r.csv").path, svg = dir.appendingPathComponent("p.svg").path
        let base = ["sweep", "--hf-config", Self.tiny, "--context", "8", "--set", "vlen=32,64", "--set", "rows=16,64", "--out", out]
        let first = try ProcessRun(base + ["--plot", svg, "--x", "vlen", "--y", "decode_cycles_per_token"])
        let firstOut = String(decoding: first.out, as: UTF8.self)
        #expect(first.status == 0, "\(String(decoding: first.err, as: UTF8.self))")
        #expect(firstOut.contains("plot     \(svg): decode_cycles_per_token against vlen, 3 points in 2 series"))
        let bytes = try Data(contentsOf: URL(fileURLWithPath: svg))
        // The CSV: the failing point (rows 64 > vlen 32) is left out; each marker is a row's number.
        let table = try CSV.records(Array(try Data(contentsOf: URL(fileURLWithPath: out)))).records.map(\.fields)
        let header = table[0], body = table.dropFirst()
        let y = header.firstIndex(of: "decode_cycles_per_token")!
        let parsed = try PlotTests.Parsed(String(decoding: bytes, as: UTF8.self))
        let expected = body.filter { $0.last == "" }.map { "point \($0[0]): vlen = \($0[3]), rows = \($0[4]): \($0[y]) cycles" }
        #expect(expected.count == 3 && parsed.points.sorted() == expected.sorted())
        #expect(parsed.text.contains("rows = 16") && parsed.text.contains("rows = 64") && parsed.text.contains("1 point left out"))
        // Rerun: nothing to simulate, the same chart from the file.
        let again = dir.appendingPathComponent("q.svg").path
        let second = try ProcessRun(base + ["--plot", again, "--x", "vlen", "--y", "decode_cycles_per_token"])
        let secondOut = String(decoding: second.out, as: UTF8.self)
        #expect(second.status == 0 && secondOut.contains("run      none, 4 already in the results"), "\(secondOut)")
        #expect(try Data(contentsOf: URL(fileURLWithPath: again)) == bytes)
    }

    /// Shards merged with --plot: the chart of the merged file, written with it.
    @Test func mergePlotsTheMergedFile() throws {
        let dir = try temporaryDirectory()
        var shards: [String] = []
        for i in 1...2 {
            let out = dir.appendingPathComponent("s\(i).csv").path
            shards.append(out)
            let run = Run(["sweep", "--hf-config", Self.tiny, "--context", "8"] + SweepCommandTests.grid + ["--out", out, "--shard", "\(i)/2"])
            #expect(run.status == 0, "\(run.err)")
        }
        let all = dir.appendingPathComponent("all.csv").path, svg = dir.appendingPathComponent("all.svg").path
        let merge = Run(["sweep", "merge", "--out", all, "--plot", svg, "--x", "dramBytesPerCycle", "--y", "decode_energy_pj_per_token"] + shards)
        #expect(merge.status == 0, "\(merge.err)")
        let parsed = try PlotTests.Parsed(try String(contentsOfFile: svg, encoding: .utf8))
        #expect(parsed.points.count == 4)
        #expect(parsed.text.contains("vlen = 32") && parsed.text.contains("vlen = 64") && parsed.text.contains("dramBytesPerCycle (bytes per cycle)")
                && parsed.text.contains("decode energy per token (pJ)"))
        // A bad --y: nothing written, neither the merged file nor the plot.
        let other = dir.appendingPathComponent("other.csv").path
        let bad = Run(["sweep", "merge", "--out", other, "--plot", svg + "2", "--x", "vlen", "--y", "decode_energy"] + shards)
        #expect(bad.status == 2 && bad.err.contains("--y 'decode_energy' is not a metric column"), "\(bad.err)")
        #expect(!FileManager.default.fileExists(atPath: other) && !FileManager.default.fileExists(atPath: svg + "2"))
        #expect(Run(["sweep", "merge", "--jsonl", other, "--plot", svg, "--x", "vlen", "--y", "decode_cycles_per_token"] + shards).status == 2)
    }

    /// Bad plot options are refused before anything runs: no results file appears.
    @Test(arguments: [
        (["--plot", "/nonexistent-dir/p.svg", "--x", "vlen", "--y", "decode_cycles_per_token"], 1,
         "cannot write '/nonexistent-dir/p.svg': directory '/nonexistent-dir' does not exist"),
        (["--plot", "p.svg", "--y", "decode_cycles_per_token"], 2, "--plot needs --x KEY"),
        (["--plot", "p.svg", "--x", "vlen"], 2, "--plot needs --y METRIC"),
        (["--x", "vlen"], 2, "--x is an option of --plot FILE.svg, which is missing"),
        (["--log-y"], 2, "--log-y is an option of --plot FILE.svg"),
        (["--plot", "p.svg", "--x", "vlan", "--y", "decode_cycles_per_token"], 2, "did you mean 'vlen'?"),
        (["--plot", "p.svg", "--x", "vlen", "--y", "decode_tokens_per_secnd"], 2, "did you mean 'decode_tokens_per_second'?"),
        (["--plot", "p.svg", "--x", "vlen", "--y", "decode_cycles_per_token", "--series", "dramBytesPerCycl"], 2, "did you mean 'dramBytesPerCycle'?"),
    ] as [([String], Int32, String)])
    func badPlotOptionsRunNothing(_ extra: [String], _ status: Int32, _ message: String) throws {
        let dir = try temporaryDirectory()
        let out = dir.appendingPathComponent("r.csv").path
        let run = SweepCommandTests.sweep(extra.map { $0 == "p.svg" ? dir.appendingPathComponent("p.svg").path : $0 }, out: out)
        #expect(run.status == status)
        #expect(run.err.contains(message), "\(run.err)")
        #expect(!FileManager.default.fileExists(atPath: out))
    }

    @Test func helpNamesThePlotOptions() {
        let help = Run("sweep", "--help").out
        for option in ["--plot FILE.svg --x KEY --y METRIC", "--series KEY", "--log-x, --log-y"] { #expect(help.contains(option), "\(option)") }
    }

    /// Three powers of two along x: a log axis, and the title says so.
    @Test func aLogAxisSaysSo() throws {
        var text = CSV.record(SweepFile.leadingColumns + ["vlen"] + SweepMetric.all(prefill: false).map(\.name) + ["error"])
        for (i, vlen) in ["32", "64", "128"].enumerated() {
            text += CSV.record([String(i), "3", "abc", vlen] + SweepMetric.all(prefill: false).map { $0.name == "decode_cycles_per_token" ? "1000" : "" } + [""])
        }
        let (chart, _) = try SweepPlot.chart(SweepPlot.Request(x: "vlen", y: "decode_cycles_per_token"), results: Array(text.utf8), file: "r.csv", model: "")
        #expect(chart.x.scale == .log10 && chart.x.label == "vlen (lanes, log scale)" && chart.y.scale == .linear && chart.y.label == "decode cycles per token (cycles)")
        #expect(chart.series.count == 1 && chart.showsLegend == nil)
    }
}
