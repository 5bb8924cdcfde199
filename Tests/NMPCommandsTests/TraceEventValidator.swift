import Foundation

/// A checker of the Trace Event Format's JSON object form, written from the format's
/// description ("Trace Event Format", Google: the `traceEvents` array, the `ph` phases and
/// their fields), independently of nmp's writer: it parses the file with Foundation's
/// JSONSerialization and knows nothing of how the writer builds it.
struct TraceEventValidator {
    /// The parsed events.
    private(set) var events: [[String: Any]] = []
    /// Every way the file breaks the format (empty: it is valid).
    private(set) var problems: [String] = []

    /// Phases the format defines that a file may use: duration begin/end, complete, instant,
    /// counter, async, flow, sample, object, metadata, memory dump, mark, clock sync, context.
    static let phases: Set<String> = ["B", "E", "X", "i", "I", "C", "b", "n", "e", "S", "T", "p", "F", "s", "t", "f", "P",
                                      "N", "O", "D", "M", "V", "v", "R", "c", "(", ")"]
    static let metadataNames: Set<String> = ["process_name", "process_labels", "process_sort_index", "thread_name", "thread_sort_index"]

    init(_ data: Data) {
        guard let object = try? JSONSerialization.jsonObject(with: data) else {
            problems.append("not JSON")
            return
        }
        guard let top = object as? [String: Any], let list = top["traceEvents"] as? [Any] else {
            problems.append("not an object with a traceEvents array")
            return
        }
        if let unit = top["displayTimeUnit"], !["ms", "ns"].contains(unit as? String ?? "") {
            problems.append("displayTimeUnit \(unit) is neither \"ms\" nor \"ns\"")
        }
        var lastTime: [String: Double] = [:]
        var open: [String: [String]] = [:]
        /// Per track, the ends of the complete slices that enclose the current time: a
        /// slice must end before the next starts or nest inside it (viewers draw a track's
        /// slices as a stack).
        var enclosing: [String: [Double]] = [:]
        for (index, item) in list.enumerated() {
            guard let event = item as? [String: Any] else {
                problems.append("event \(index) is not an object")
                continue
            }
            events.append(event)
            func problem(_ text: String) { problems.append("event \(index) (\(event["ph"] ?? "?")): \(text)") }
            guard let ph = event["ph"] as? String, Self.phases.contains(ph) else {
                problem("no valid ph")
                continue
            }
            guard event["name"] is String else { problem("no name"); continue }
            guard Self.isInteger(event["pid"]) else { problem("no integer pid"); continue }
            if ph != "C" && ph != "M" && !Self.isInteger(event["tid"]) { problem("no integer tid") }
            let track = "\(event["pid"]!)/\(event["tid"] ?? "-")"
            if ph == "M" {
                if !Self.metadataNames.contains(event["name"] as! String) { problem("unknown metadata \(event["name"]!)") }
                if !(event["args"] is [String: Any]) { problem("metadata without args") }
                continue
            }
            guard let ts = Self.number(event["ts"]) else { problem("no numeric ts"); continue }
            if let last = lastTime[track], ts < last { problem("ts \(ts) before \(last) on track \(track)") }
            lastTime[track] = ts
            switch ph {
            case "X":
                guard let dur = Self.number(event["dur"]) else { problem("X without numeric dur"); break }
                if dur < 0 { problem("negative dur \(dur)") }
                var ends = enclosing[track, default: []]
                while let last = ends.last, last <= ts + 1e-9 { ends.removeLast() }
                if let last = ends.last, ts + dur > last + 1e-9 { problem("slice at \(ts) overlaps the one ending at \(last) on track \(track)") }
                ends.append(ts + dur)
                enclosing[track] = ends
            case "B":
                open[track, default: []].append(event["name"] as! String)
            case "E":
                if open[track, default: []].popLast() == nil { problem("E without B on track \(track)") }
            case "C":
                guard let args = event["args"] as? [String: Any], !args.isEmpty,
                      args.values.allSatisfy({ Self.number($0) != nil }) else { problem("counter without numeric args"); break }
            default:
                break
            }
        }
        for (track, names) in open where !names.isEmpty { problems.append("track \(track): B without E: \(names)") }
    }

    /// The complete ("X") events of process `pid` on track `tid`.
    func slices(pid: Int, tid: Int) -> [[String: Any]] {
        events.filter { $0["ph"] as? String == "X" && $0["pid"] as? Int == pid && $0["tid"] as? Int == tid }
    }

    /// The track id of the track named `name` in process `pid` (its thread_name metadata).
    func track(_ name: String, pid: Int = 1) -> Int? {
        events.first {
            $0["ph"] as? String == "M" && $0["name"] as? String == "thread_name" && $0["pid"] as? Int == pid
                && ($0["args"] as? [String: Any])?["name"] as? String == name
        }?["tid"] as? Int
    }

    /// The names of the processes, by pid.
    var processes: [(pid: Int, name: String)] {
        events.filter { $0["ph"] as? String == "M" && $0["name"] as? String == "process_name" }
            .map { ($0["pid"] as! Int, ($0["args"] as! [String: Any])["name"] as! String) }
    }

    static func number(_ value: Any?) -> Double? {
        (value as? NSNumber)?.doubleValue
    }

    static func isInteger(_ value: Any?) -> Bool {
        guard let x = number(value) else { return false }
        return x == x.rounded()
    }
}
