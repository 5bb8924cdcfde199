/// A file in the Trace Event Format's JSON object form ("Trace Event Format", Google, the
/// format of chrome://tracing, which ui.perfetto.dev opens): `{"traceEvents": [...],
/// "displayTimeUnit": "ns", "otherData": {...}}`, one event per line.
///
/// Only three kinds of event are written: "X" complete events (a slice with `ts` and `dur`),
/// "C" counters and "M" metadata (process and thread names and sort order). `ts` and `dur`
/// are microseconds, as the format defines them: a cycle count divided by the clock in
/// cycles per microsecond (`clockGHz` x 1000); every slice also gives its first cycle and
/// cycle count in `args`, so nothing depends on the division. Keys are written in a fixed
/// order, so the same run gives the same bytes.
struct TraceEventFile {
    /// Cycles per microsecond: the machine's clock in GHz x 1000.
    let cyclesPerMicrosecond: Double
    private(set) var events = 0
    private var body = ""

    init(clockGHz: Double) {
        cyclesPerMicrosecond = clockGHz * 1000
    }

    /// The bytes written so far, for the size rule.
    var byteCount: Int { body.utf8.count }

    /// A value of an event's `args`.
    enum Arg {
        case int(Int)
        case string(String)
        case number(Double)
    }

    /// Names process `pid` and places it `sortIndex`-th.
    mutating func process(_ pid: Int, name: String, sortIndex: Int) {
        append("{\"ph\":\"M\",\"pid\":\(pid),\"tid\":0,\"name\":\"process_name\",\"args\":{\"name\":\(quote(name))}}")
        append("{\"ph\":\"M\",\"pid\":\(pid),\"tid\":0,\"name\":\"process_sort_index\",\"args\":{\"sort_index\":\(sortIndex)}}")
    }

    /// Names track `tid` of process `pid` and places it `tid`-th.
    mutating func thread(_ pid: Int, _ tid: Int, name: String) {
        append("{\"ph\":\"M\",\"pid\":\(pid),\"tid\":\(tid),\"name\":\"thread_name\",\"args\":{\"name\":\(quote(name))}}")
        append("{\"ph\":\"M\",\"pid\":\(pid),\"tid\":\(tid),\"name\":\"thread_sort_index\",\"args\":{\"sort_index\":\(tid)}}")
    }

    /// A slice of `cycles` cycles from cycle `start`; `args` follow the cycle fields.
    mutating func slice(_ pid: Int, _ tid: Int, name: String, start: Int, cycles: Int, args: [(String, Arg)]) {
        var text = "{\"ph\":\"X\",\"pid\":\(pid),\"tid\":\(tid),\"name\":\(quote(name)),\"ts\":\(time(start)),"
            + "\"dur\":\(time(cycles)),\"args\":{\"cycle\":\(start),\"cycles\":\(cycles)"
        for (key, value) in args { text += ",\(quote(key)):\(render(value))" }
        append(text + "}}")
    }

    /// A counter sample at `cycle`: each series of the counter `name` takes its value.
    mutating func counter(_ pid: Int, name: String, cycle: Int, series: [(String, Double)]) {
        let values = series.map { "\(quote($0.0)):\(render(.number($0.1)))" }.joined(separator: ",")
        append("{\"ph\":\"C\",\"pid\":\(pid),\"tid\":0,\"name\":\(quote(name)),\"ts\":\(time(cycle)),\"args\":{\(values)}}")
    }

    /// The whole file, `otherData` saying what the times mean.
    func rendered(otherData: [(String, Arg)]) -> [UInt8] {
        let other = otherData.map { "\(quote($0.0)):\(render($0.1))" }.joined(separator: ",")
        let text = "{\"displayTimeUnit\":\"ns\",\"otherData\":{\(other)},\"traceEvents\":[\n" + body + "\n]}\n"
        return Array(text.utf8)
    }

    // MARK: Text

    private mutating func append(_ event: String) {
        if events > 0 { body += ",\n" }
        body += event
        events += 1
    }

    /// Microseconds, from cycles: an exact decimal at clocks whose cycles per microsecond
    /// are integers (the division rounds once, and Swift prints the shortest digits that
    /// read back as the same double).
    private func time(_ cycles: Int) -> String {
        render(.number(Double(cycles) / cyclesPerMicrosecond))
    }

    private func render(_ arg: Arg) -> String {
        switch arg {
        case .int(let n): return String(n)
        case .string(let s): return quote(s)
        case .number(let x):
            guard x.isFinite else { return "0" }
            if x == x.rounded() && abs(x) < 1e15 { return String(Int64(x)) }
            return String(x)
        }
    }

    private func quote(_ s: String) -> String { JSONValue.quote(s) }
}
