import Foundation
import NMPSimulator
import NMPSupport
import NMPSweep

/// `nmp sweep --plot FILE.svg --x KEY --y METRIC`: a metric column of a results file against
/// one swept key, as a `LineChart` with one series per value of a second swept key (and of
/// any further swept keys: one series per combination, named by all of them in the legend,
/// so that no point is hidden and none is averaged).
///
/// The chart is drawn from every row of the file (earlier runs of a resumed sweep, merged
/// shards), so it depends only on the file: rows are taken in order of their point, and the
/// order of each key's values is their order of first appearance then, which is the order of
/// the `--set` list. Rows with an error, or without a value of the metric, are left out and
/// counted in a note.
struct SweepPlot {
    /// What to plot (the command line's `--x`, `--y`, `--series`, `--log-x`, `--log-y`).
    struct Request: Equatable {
        var x: String
        var y: String
        var series: String?
        var logX = false
        var logY = false
    }

    /// The swept keys and metric columns of a results file's header: the keys are the
    /// columns between `sweep_id` and the first metric, `packed_weight_bytes`; the metrics
    /// those after, up to `error`.
    struct Columns: Equatable {
        var keys: [String]
        var metrics: [String]

        init(keys: [String], metrics: [String]) {
            self.keys = keys
            self.metrics = metrics
        }

        init(header: [String]) throws(SweepError) {
            let lead = SweepFile.leadingColumns.count
            let first = SweepMetric.all(prefill: false)[0].name
            guard header.count > lead, let start = header.firstIndex(of: first), start >= lead, header.last == "error" else {
                throw SweepError("line 1: not the header of nmp sweep results (columns \(SweepFile.leadingColumns.joined(separator: ",")), the swept keys, \(first) ..., error)")
            }
            keys = Array(header[lead..<start])
            metrics = Array(header[start..<(header.count - 1)])
        }
    }

    /// The plot options of `args`, or nil without `--plot`; a plot option without `--plot`,
    /// or `--plot` without `--x` and `--y`, is a usage error.
    static func request(_ args: Arguments) throws(CommandError) -> (path: String, request: Request)? {
        guard let path = args.values["--plot"] else {
            if let other = ["--x", "--y", "--series"].first(where: { args.values[$0] != nil }) ?? ["--log-x", "--log-y"].first(where: args.flags.contains) {
                throw .usage("\(other) is an option of --plot FILE.svg, which is missing")
            }
            return nil
        }
        guard let x = args.values["--x"] else { throw .usage("--plot needs --x KEY: the swept key along the x axis") }
        guard let y = args.values["--y"] else { throw .usage("--plot needs --y METRIC: the results column along the y axis (README, \"nmp sweep\")") }
        return (path, Request(x: x, y: y, series: args.values["--series"], logX: args.flags.contains("--log-x"), logY: args.flags.contains("--log-y")))
    }

    /// Checks `request` against the swept keys, their values (`values[i]` those of
    /// `columns.keys[i]`) and the metric columns: a misspelt name gets the nearest one.
    /// Returns the index of the x key and of the series key (nil: the default).
    static func check(_ request: Request, columns: Columns, values: [[String]]) throws(CommandError) -> (x: Int, series: Int?) {
        func key(_ option: String, _ name: String) throws(CommandError) -> Int {
            if let index = columns.keys.firstIndex(of: name) { return index }
            let guess = Suggestion.nearest(to: name, in: columns.keys)
            throw .usage("\(option) '\(Suggestion.quoted(name))' is not a swept key (swept: \(columns.keys.joined(separator: ", ")))"
                         + (guess.map { "; did you mean '\($0)'?" } ?? ""))
        }
        let x = try key("--x", request.x)
        let numbers = values[x].filter { Double($0)?.isFinite != true }
        guard numbers.isEmpty else {
            throw .usage("--x \(request.x): its values (\(values[x].joined(separator: ", "))) are not all numbers; plot against a numeric key and give this one to --series")
        }
        let series = try request.series.map { (name: String) throws(CommandError) -> Int in try key("--series", name) }
        if series == x { throw .usage("--series \(request.x) is the --x key; give another swept key") }
        guard columns.metrics.contains(request.y) else {
            let known = SweepMetric.all(prefill: true).map(\.name)
            if known.contains(request.y) {
                throw .usage("--y \(request.y): this sweep has no such column (prefill_* columns need --prompt-tokens)")
            }
            let guess = Suggestion.nearest(to: request.y, in: columns.metrics)
            throw .usage("--y '\(Suggestion.quoted(request.y))' is not a metric column of the results"
                         + (guess.map { "; did you mean '\($0)'?" } ?? "; the columns: \(columns.metrics.joined(separator: ", "))"))
        }
        guard metric(request.y)?.axis != nil else {
            throw .usage("--y \(request.y) is true or false, not a number to plot; choose a numeric column")
        }
        return (x, series)
    }

    /// The metric named `name` (prefill ones included).
    static func metric(_ name: String) -> SweepMetric? { SweepMetric.all(prefill: true).first { $0.name == name } }

    /// One row of results as the plot reads it.
    struct Row: Equatable {
        var point: Int
        /// The swept keys' values, in the order of the keys.
        var values: [String]
        /// The metric's field (empty when the row has none).
        var metric: String
        var error: String
    }

    /// A series: its name (the values of the keys that tell series apart) and its points in
    /// ascending x, each with the row it came from.
    struct Series: Equatable {
        var name: String
        var points: [(x: Double, y: Double, row: Row)]

        static func == (a: Series, b: Series) -> Bool {
            a.name == b.name && a.points.count == b.points.count
                && zip(a.points, b.points).allSatisfy { $0.x == $1.x && $0.y == $1.y && $0.row == $1.row }
        }
    }

    /// The rows of `file`'s results (`bytes`), read as `columns` says: point, the swept
    /// values, `metric`'s field (empty when there is no such column) and the error, in order
    /// of point.
    static func rows(_ bytes: [UInt8], file: String, metric: String) throws(CommandError) -> (columns: Columns, rows: [Row]) {
        do throws(SweepError) {
            let records = try CSV.records(bytes).records
            guard let header = records.first?.fields else { throw SweepError("line 1: no header") }
            let columns = try Columns(header: header)
            let lead = SweepFile.leadingColumns.count
            // A missing column is `check`'s usage error, with its suggestion.
            let m = header.firstIndex(of: metric)
            var rows: [Row] = []
            for record in records.dropFirst() {
                let f = record.fields
                guard f.count == header.count, let point = Int(f[0]) else {
                    throw SweepError("line \(record.line): not a row of these results (\(f.count) fields for \(header.count) columns, point '\(Suggestion.quoted(f[0]))')")
                }
                rows.append(Row(point: point, values: Array(f[lead..<(lead + columns.keys.count)]), metric: m.map { f[$0] } ?? "", error: f[f.count - 1]))
            }
            return (columns, rows.sorted { $0.point < $1.point })
        } catch {
            throw .failure("\(file): \(error.message)")
        }
    }

    /// The series of `rows` (in order of point) with `x` the index of the x key: one per
    /// combination of the values of the legend keys (`seriesKey`, by default the first other
    /// key with more than one value, then every further key with more than one value), in
    /// the order of those values; and the rows left out for an error or a missing value.
    static func series(_ rows: [Row], keys: [String], x: Int, seriesKey: Int?) -> (series: [Series], legendKeys: [Int], failed: Int, missing: Int) {
        // Each key's values in order of first appearance (the --set order).
        var orders: [[String]] = Array(repeating: [], count: keys.count)
        for row in rows {
            for (k, value) in row.values.enumerated() where !orders[k].contains(value) { orders[k].append(value) }
        }
        let varying = keys.indices.filter { $0 != x && orders[$0].count > 1 }
        var legendKeys = varying
        if let seriesKey {
            legendKeys = [seriesKey] + varying.filter { $0 != seriesKey }
        }
        var groups: [(rank: [Int], series: Series)] = []
        var failed = 0, missing = 0
        for row in rows {
            let rank = legendKeys.map { orders[$0].firstIndex(of: row.values[$0])! }
            if !groups.contains(where: { $0.rank == rank }) {
                let name = legendKeys.map { "\(keys[$0]) = \(row.values[$0])" }.joined(separator: ", ")
                groups.append((rank, Series(name: name, points: [])))
            }
            guard row.error.isEmpty else { failed += 1; continue }
            guard let xValue = Double(row.values[x]), let y = Double(row.metric), xValue.isFinite, y.isFinite else { missing += 1; continue }
            let g = groups.firstIndex { $0.rank == rank }!
            groups[g].series.points.append((xValue, y, row))
        }
        groups.sort { $0.rank.lexicographicallyPrecedes($1.rank) }
        for g in groups.indices {
            // Stable: rows of one x (a key swept with one value) keep their point order.
            groups[g].series.points = groups[g].series.points.enumerated()
                .sorted { $0.element.x != $1.element.x ? $0.element.x < $1.element.x : $0.offset < $1.offset }.map(\.element)
        }
        return (groups.map(\.series), legendKeys, failed, missing)
    }

    /// Whether values along an axis go on a log scale when not asked: all positive and
    /// spanning two decades or more, or (x only) at least three powers of two.
    static func logScale(_ values: [Double], powersOfTwo: Bool) -> Bool {
        guard let low = values.min(), let high = values.max(), low > 0 else { return false }
        if high / low >= 100 { return true }
        let distinct = Set(values)
        return powersOfTwo && distinct.count >= 3 && distinct.allSatisfy { $0 == $0.rounded() && $0 >= 1 && $0 <= 0x1p62 && Int($0).nonzeroBitCount == 1 }
    }

    /// The unit of a machine config key's values (ISA.md 3.1, and 3.4 for `energy.*`).
    static func unit(ofKey key: String) -> String? {
        if key.hasPrefix("energy.") { return EnergyTable.unit(of: String(key.dropFirst("energy.".count))) }
        switch key {
        case "clockGHz": return "GHz"
        case "vlen", "floatLanes": return "lanes"
        case "rows": return "rows"
        case "dramSize", "weightSRAM.size", "activationSRAM.size": return "bytes"
        case "dramBytesPerCycle", "weightSRAM.bankWidth", "activationSRAM.bankWidth": return "bytes per cycle"
        case "weightSRAM.banks", "activationSRAM.banks": return "banks"
        case "dmaQueueDepth": return "transfers"
        case "arrayQueueDepth": return "products"
        case "loopDepth": return "loops"
        default: return key.hasSuffix("Latency") || key == "branchPenalty" ? "cycles" : nil
        }
    }

    /// The unit as the axis title shows it: a log axis says so, since ticks at the swept
    /// values (32, 64, 128) evenly spaced do not.
    static func logLabel(_ unit: String?, _ log: Bool) -> String? {
        guard log else { return unit }
        return unit.map { "\($0), log scale" } ?? "log scale"
    }

    /// At most this many x values get a labelled tick each; more get 1-2-5 ticks or decades.
    static let maxGivenTicks = 12

    /// The chart of `request` over the results `bytes` of `file` (the model `model`).
    static func chart(_ request: Request, results bytes: [UInt8], file: String, model: String) throws(CommandError) -> (chart: LineChart, points: Int) {
        let (columns, rows) = try rows(bytes, file: file, metric: request.y)
        var values: [[String]] = Array(repeating: [], count: columns.keys.count)
        for row in rows {
            for (k, value) in row.values.enumerated() where !values[k].contains(value) { values[k].append(value) }
        }
        let (x, seriesKey) = try check(request, columns: columns, values: values)
        let (series, legendKeys, failed, missing) = Self.series(rows, keys: columns.keys, x: x, seriesKey: seriesKey)
        let xs = series.flatMap { $0.points.map(\.x) }, ys = series.flatMap { $0.points.map(\.y) }
        let metric = metric(request.y)!, axis = metric.axis!
        let logX = request.logX || logScale(xs, powersOfTwo: true), logY = request.logY || logScale(ys, powersOfTwo: false)
        let distinctX = Array(Set(xs)).sorted()
        let shapes: [MarkerShape] = [.circle, .square, .triangle, .diamond]
        let plotted = series.enumerated().map { i, s in
            PlotSeries(name: s.name.isEmpty ? request.y : s.name, points: s.points.map { ($0.x, $0.y) }, marker: shapes[i % shapes.count],
                       tooltips: s.points.map { p in
                           "point \(p.row.point): " + zip(columns.keys, p.row.values).map { "\($0) = \($1)" }.joined(separator: ", ") + ": \(p.row.metric) \(axis.unit)"
                       })
        }
        var notes = ["\(Format.count(xs.count)) point\(xs.count == 1 ? "" : "s") of \((file as NSString).lastPathComponent), one marker each"
                     + (model.isEmpty ? "" : "; the model: \(model)")]
        let fixed = columns.keys.indices.filter { $0 != x && !legendKeys.contains($0) && values[$0].count == 1 }
        if !fixed.isEmpty { notes[0] += "; " + fixed.map { "\(columns.keys[$0]) = \(values[$0][0])" }.joined(separator: ", ") + " throughout" }
        if failed > 0 {
            notes.append("\(Format.count(failed)) point\(failed == 1 ? "" : "s") left out: the machine could not run the model (the row's error column says why)")
        }
        if missing > 0 { notes.append("\(Format.count(missing)) point\(missing == 1 ? "" : "s") left out: no value of \(request.y)") }
        let chart = LineChart(title: "\(axis.title) against \(request.x)",
                              x: AxisSpec(title: request.x, unit: logLabel(unit(ofKey: request.x), logX), scale: logX ? .log10 : .linear,
                                          ticks: distinctX.count <= maxGivenTicks ? distinctX : nil),
                              y: AxisSpec(title: axis.title, unit: logLabel(axis.unit, logY), scale: logY ? .log10 : .linear),
                              series: plotted, notes: notes)
        return (chart, xs.count)
    }
}
