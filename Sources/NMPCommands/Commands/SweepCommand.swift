import Foundation
import NMPRuntime
import NMPSimulator
import NMPSweep

/// `nmp sweep`: `nmp model` over the cartesian product of machine config values, in
/// parallel, to CSV and JSON Lines files written as points finish; resumable and shardable.
/// `nmp sweep merge` joins the shards' files.
enum SweepCommand: Command {
    static let name = "sweep"
    static let summary = "run 'nmp model' over a grid of machine configs (--set KEY=V1,V2), in parallel, resumable, in shards"
    static let help = """
        usage: nmp sweep --hf-config config.json --set KEY=V1,V2,... [--set KEY=V1,V2,... ...]
                         --out results.csv [--jsonl results.jsonl] [--jobs N] [--shard I/N]
                         [--config <machine.json>] [--tech NAME] [--context L] [--prompt-tokens N]
                         [--kv-cache bf16|fp16|fp32] [--max-cycles N]
                         [--plot FILE.svg --x KEY --y METRIC [--series KEY] [--log-x] [--log-y]]
               nmp sweep merge (--out all.csv | --jsonl all.jsonl) [--partial] [--plot FILE.svg --x KEY --y METRIC ...] FILE...

        Runs 'nmp model' (the decode token, and the prefill with --prompt-tokens) on every
        point of the cartesian product of the --set values: the machine is the default one
        (or --config over it, with --tech's prices) with the point's values merged over it,
        checked as a config file is. Points are numbered from 0 in the order of nested loops
        over the --set options as given, the last innermost.

        Each point is one line of --out (CSV, RFC 4180 quoting) and of --jsonl, appended as the
        point finishes: columns point, points, sweep_id, the swept keys, the metrics (names in
        the README, section "nmp sweep"; decode_* always, prefill_* with --prompt-tokens),
        error. A point whose machine is invalid or cannot run the model is a row with its
        error and empty metrics. A JSON Lines record adds the point's whole 'nmp model --json'
        report. Rerunning the same command skips the points already in the files (a line cut
        short is removed) and refuses files of another sweep (sweep_id: a fingerprint of the
        model, the base machine, the options and the value lists).

          --hf-config <file>    the model's config.json (as 'nmp model')
          --set KEY=V1,V2,...   a machine config key (dotted when nested: weightSRAM.size,
                                energy.dramRead) and its values: integers, numbers, or
                                strings (packing=base3,2bit); repeat for more keys
          --out <file.csv>      the results as CSV (resumed when it exists)
          --jsonl <file>        also the results as JSON Lines (resumed when it exists)
          --jobs N              points simulated at once, on threads (default: the cores, at
                                most one per 2 x dramSize bytes of physical memory)
          --shard I/N           only the points whose index modulo N is I - 1 (1 <= I <= N,
                                as SLURM_ARRAY_TASK_ID with --array=1-N; see examples/sweep/)
          --config, --tech, --context, --prompt-tokens, --kv-cache, --max-cycles: as 'nmp model'
          --plot <file.svg>     after the sweep, an SVG chart of every row of --out (earlier
                                runs and merged shards included): --y against --x, one marker
                                per point; checked before anything runs
          --x KEY               the swept key along the x axis (numeric values; ticks at them;
                                a log axis when they span 2 decades or are 3+ powers of two)
          --y METRIC            the results column along the y axis (names in the README; a log
                                axis when the values span 2 decades)
          --series KEY          one line per value of this swept key (default: the first other
                                key with more than one value); any further key with more than
                                one value splits the lines too, the legend naming each value
          --log-x, --log-y      a log axis whatever the values

        Points with an error, or without a value of --y, are left out of the plot and counted
        in a note on it.

        merge: joins results files of one sweep (its shards, or runs of it): checks that they
        have the same header and sweep_id, drops rows given twice, sorts by point and writes
        one file; points no file holds are an error, unless --partial (then listed, and the
        file written). With --out, --plot (and its options) charts the merged file, which is
        then written only if the chart is too.

        Progress goes to stderr when it is a terminal. Exit status 0 when every point ran
        (failed points included: their rows say why).
          -h, --help            show this help
        """

    static func run(_ arguments: [String], console: Console) throws(CommandError) -> Int32 {
        if arguments.first == "merge" { return try merge(Array(arguments.dropFirst()), console: console) }
        let args = try Arguments(arguments, flags: ["--log-x", "--log-y"], values: [["--hf-config"], ["--set"], ["--out", "-o"], ["--jsonl"], ["--jobs", "-j"],
                                                                ["--shard"], ["--config"], ["--tech"], ["--context"], ["--prompt-tokens"],
                                                                ["--kv-cache"], ["--max-cycles"], ["--plot"], ["--x"], ["--y"], ["--series"]])
        guard args.positional.isEmpty else { throw .usage("unexpected argument '\(args.positional[0])'") }
        guard let path = args.values["--hf-config"] else { throw .usage("missing --hf-config config.json") }
        guard let out = args.values["--out"] else { throw .usage("missing --out results.csv") }
        let jsonl = args.values["--jsonl"]
        let prompt = try args.integer("--prompt-tokens", minimum: 1)
        let givenContext = try args.integer("--context", minimum: 0)
        let maxCycles = try args.integer("--max-cycles", minimum: 1) ?? ModelCommand.defaultMaxCycles
        let givenJobs = try args.integer("--jobs", minimum: 1, maximum: 4096)
        let kvFormat = try ModelCommand.kvCacheFormat(args)
        let shard: Shard
        do {
            shard = try args.values["--shard"].map { (text: String) throws(SweepError) -> Shard in try Shard(parsing: text) } ?? .whole
        } catch {
            throw .usage("--shard \(error.message)")
        }
        let grid: SweepGrid
        do {
            var axes: [SweepAxis] = []
            for text in args.repeated["--set"] ?? [] { axes.append(try SweepAxis(parsing: text)) }
            grid = try SweepGrid(axes: axes)
        } catch {
            throw .usage("--set \(error.message)")
        }
        let choice = try MachineChoice.load(args)
        try SweepJob.checkAxes(grid.axes, base: choice.config)
        let metrics = SweepMetric.all(prefill: prompt != nil)
        let plot = try SweepPlot.request(args)
        if let plot {
            _ = try SweepPlot.check(plot.request, columns: SweepPlot.Columns(keys: grid.axes.map(\.key), metrics: metrics.map(\.name)),
                                    values: grid.axes.map(\.values))
        }
        let inputs = [("--hf-config file", path)] + (args.values["--config"].map { [("--config file", $0)] } ?? [])
        try Files.checkOutputs([("--out", out)] + (jsonl.map { [("--jsonl", $0)] } ?? []) + (plot.map { [("--plot", $0.path)] } ?? []), inputs: inputs)
        let model = try ModelCommand.readModel(path)
        let request = ModelRequest(model: model, context: givenContext ?? ModelCommand.defaultContext(model), promptTokens: prompt,
                                   kvFormat: kvFormat, maxCycles: maxCycles)
        // Everything that decides the rows, so that a file of another sweep is refused.
        var identity = "nmp-sweep/1\n" + String(decoding: try Files.read(path), as: UTF8.self) + "\n" + choice.config.jsonText()
        identity += "\ncontext \(request.context) prompt \(prompt.map(String.init) ?? "-") kv \(kvFormat.rawValue) max-cycles \(maxCycles)\n"
        for axis in grid.axes { identity += CSV.record([axis.key] + axis.values) }
        let job = SweepJob(grid: grid, base: choice, request: request, source: path,
                           metrics: metrics, sweepID: SweepID.of(Array(identity.utf8)))

        var outputs = [(file: try SweepOutput(option: "--out", path: out, format: .csv, job: job, shard: shard), csv: true)]
        if let jsonl {
            do {
                outputs.append((try SweepOutput(option: "--jsonl", path: jsonl, format: .jsonLines, job: job, shard: shard), false))
            } catch {
                outputs[0].file.discardIfCreated()
                throw error
            }
        }
        for output in outputs where output.file.droppedBytes > 0 {
            console.err("nmp sweep: note: '\(output.file.path)' ended in a line cut short (\(Format.count(output.file.droppedBytes)) bytes): removed\n")
        }
        let inShard = (0..<grid.count).filter(shard.contains)
        let pending = inShard.filter { point in outputs.contains { !$0.file.finished.contains(point) } }
        let jobs = givenJobs ?? defaultJobs(base: choice.config, grid: grid)
        let terminal = isatty(STDERR_FILENO) == 1
        let runner = SweepRunner(job: job, pending: pending, outputs: outputs, progress: terminal ? { done, failed in
            console.err("\rnmp sweep: \(Format.count(done)) of \(Format.count(pending.count)) points" + (failed > 0 ? " (\(Format.count(failed)) failed)" : ""))
        } : nil)
        defer { for output in outputs { output.file.close() } }
        do {
            try runner.run(jobs: jobs)
        } catch {
            if terminal { console.err("\n") }
            throw error
        }
        if terminal && !pending.isEmpty { console.err("\r\u{1B}[K") }
        let skipped = inShard.count - pending.count
        var text = "sweep    \(path): \(Format.count(grid.count)) point\(grid.count == 1 ? "" : "s")"
            + (shard == .whole ? "" : ", shard \(shard.description): \(Format.count(inShard.count))") + "\n"
        let threads = max(1, min(jobs, pending.count))
        text += (pending.isEmpty ? "run      none" : "run      \(Format.count(pending.count)) on \(threads) thread\(threads == 1 ? "" : "s")")
            + (skipped > 0 ? ", \(Format.count(skipped)) already in the results" : "")
            + (runner.failed > 0 ? "; \(Format.count(runner.failed)) failed (their rows give the error)" : "") + "\n"
        text += "results  \(outputs.map(\.file.path).joined(separator: ", "))\n"
        // The summary first: a plot that cannot be written (its folder removed during a long
        // sweep) is an error after it, and the results are in the files anyway.
        console.out(text)
        if let plot {
            // From the whole file as it now is: earlier runs' rows and other shards' merged ones too.
            for output in outputs { output.file.close() }
            console.out(try writePlot(plot, results: try Files.read(out), file: out, model: path))
        }
        return ExitCode.success
    }

    /// Writes the chart of `plot` over the results `bytes` (whole or not at all), and says so.
    static func writePlot(_ plot: (path: String, request: SweepPlot.Request), results bytes: [UInt8], file: String, model: String) throws(CommandError) -> String {
        let (chart, points) = try SweepPlot.chart(plot.request, results: bytes, file: file, model: model)
        try Files.writeAtomically(Array(chart.svg().utf8), to: plot.path)
        return plotLine(plot, chart: chart, points: points)
    }

    /// The report's line about a plot written.
    static func plotLine(_ plot: (path: String, request: SweepPlot.Request), chart: LineChart, points: Int) -> String {
        "plot     \(plot.path): \(plot.request.y) against \(plot.request.x), \(Format.count(points)) point\(points == 1 ? "" : "s") in \(Format.count(chart.series.count)) series\n"
    }

    /// The cores, at most one point per 2 x dramSize bytes of physical memory (the largest
    /// dramSize of the sweep): a point's simulated DRAM is allocated lazily, but its program
    /// image and the pages it touches can come close to it.
    static func defaultJobs(base: MachineConfig, grid: SweepGrid) -> Int {
        var dram = base.dramSize
        if let axis = grid.axes.first(where: { $0.key == "dramSize" }) {
            dram = axis.values.compactMap { Int($0) }.max() ?? dram
        }
        let memory = Int(clamping: ProcessInfo.processInfo.physicalMemory)
        return max(1, min(ProcessInfo.processInfo.activeProcessorCount, memory / max(1, 2 * dram)))
    }

    /// `nmp sweep merge`.
    static func merge(_ arguments: [String], console: Console) throws(CommandError) -> Int32 {
        let args = try Arguments(arguments, flags: ["--partial", "--log-x", "--log-y"],
                                 values: [["--out", "-o"], ["--jsonl"], ["--plot"], ["--x"], ["--y"], ["--series"]])
        let csv: Bool
        let out: String
        switch (args.values["--out"], args.values["--jsonl"]) {
        case (let path?, nil): (csv, out) = (true, path)
        case (nil, let path?): (csv, out) = (false, path)
        case (_?, _?): throw .usage("merge: give --out (CSV files) or --jsonl (JSON Lines files), not both")
        case (nil, nil): throw .usage("merge: missing --out all.csv (or --jsonl all.jsonl)")
        }
        guard !args.positional.isEmpty else { throw .usage("merge: missing the files to merge") }
        let plot = try SweepPlot.request(args)
        if plot != nil && !csv { throw .usage("merge: --plot charts CSV results; give --out all.csv") }
        try Files.checkOutputs([(csv ? "--out" : "--jsonl", out)] + (plot.map { [("--plot", $0.path)] } ?? []),
                               inputs: args.positional.map { ("input", $0) })
        var files: [(source: String, file: SweepFile)] = []
        var rowCount = 0
        for path in args.positional {
            let bytes = try Files.read(path)
            do {
                let file = csv ? try SweepFile(csv: bytes, keyCount: 0) : try SweepFile(jsonLines: bytes)
                if file.end < bytes.count {
                    console.err("nmp sweep merge: note: '\(path)' ends in a line cut short (\(Format.count(bytes.count - file.end)) bytes): left out\n")
                }
                files.append((path, file))
                rowCount += file.rows.count
            } catch {
                throw .failure("\(path): \(error.message)")
            }
        }
        let merged: (rows: [SweepRow], points: Int, missing: [Int])
        do {
            merged = try SweepMerge.merge(files)
        } catch {
            throw .failure(error.message)
        }
        var missingText = ""
        if !merged.missing.isEmpty {
            let shown = merged.missing.prefix(20).map(String.init).joined(separator: ", ") + (merged.missing.count > 20 ? ", ..." : "")
            missingText = "\(Format.count(merged.missing.count)) of \(Format.count(merged.points)) points missing: \(shown)"
            guard args.flags.contains("--partial") else {
                throw .failure("\(missingText); run (or resume) the shards that hold them, or pass --partial to merge what is there")
            }
        }
        var bytes: [UInt8] = []
        if csv, let header = files.lazy.compactMap(\.file.header).first { bytes += Array(CSV.record(header).utf8) }
        for row in merged.rows { bytes += row.bytes }
        var plotText = ""
        if let plot {
            let (chart, points) = try SweepPlot.chart(plot.request, results: bytes, file: out, model: "")
            try Files.writeAll([(out, bytes), (plot.path, Array(chart.svg().utf8))])
            plotText = plotLine(plot, chart: chart, points: points)
        } else {
            try Files.writeAtomically(bytes, to: out)
        }
        console.out("merged   \(Format.count(merged.rows.count)) of \(Format.count(merged.points)) points from \(files.count) file\(files.count == 1 ? "" : "s") into \(out)"
                    + (rowCount > merged.rows.count ? " (\(Format.count(rowCount - merged.rows.count)) rows given twice dropped)" : "") + "\n")
        if !missingText.isEmpty { console.out("missing  \(missingText)\n") }
        console.out(plotText)
        return ExitCode.success
    }
}
