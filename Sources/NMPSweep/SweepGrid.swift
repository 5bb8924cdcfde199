import NMPJSON
import NMPSupport

/// One swept key of `nmp sweep --set KEY=V1,V2,...`: the key as written (dotted for a nested
/// one, `weightSRAM.size`) and its values as written, in order.
public struct SweepAxis: Sendable, Equatable {
    public let key: String
    public let values: [String]

    public init(key: String, values: [String]) {
        self.key = key
        self.values = values
    }

    /// Reads `KEY=V1,V2,...`. Whether the key exists and the values have its type is the
    /// config reader's business; this checks the form: a key, at least one value, no empty
    /// value and no value twice (two points with the same values could not be told apart).
    public init(parsing text: String) throws(SweepError) {
        guard let eq = text.firstIndex(of: "=") else {
            throw SweepError("'\(Self.quoted(text))' is not KEY=V1,V2,... (no '=')")
        }
        let key = String(text[..<eq])
        let list = String(text[text.index(after: eq)...])
        guard !key.isEmpty else { throw SweepError("'\(Self.quoted(text))' has no key before '='") }
        guard !list.isEmpty else { throw SweepError("\(Self.quoted(key)): the list of values is empty") }
        let values = list.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        var seen: Set<String> = []
        for value in values {
            guard !value.isEmpty else { throw SweepError("\(Self.quoted(key)): an empty value in '\(Self.quoted(list))'") }
            guard seen.insert(value).inserted else { throw SweepError("\(Self.quoted(key)): the value '\(Self.quoted(value))' is given twice") }
        }
        self.init(key: key, values: values)
    }

    static func quoted(_ text: String) -> String { Quoted.text(text, limit: 64) }
}

/// The points of a sweep: the cartesian product of its axes' values, numbered from 0 in the
/// order of nested loops over the axes as given, the last axis innermost. With `--set a=1,2
/// --set b=x,y` the points are 0: (1, x), 1: (1, y), 2: (2, x), 3: (2, y). No axes is one
/// point (the base machine).
public struct SweepGrid: Sendable, Equatable {
    public let axes: [SweepAxis]
    /// The number of points.
    public let count: Int

    /// The most points one sweep may have: far more than a machine simulates in a day, and
    /// small enough that the set of finished points is a few megabytes.
    public static let maxPoints = 1_000_000

    public init(axes: [SweepAxis]) throws(SweepError) {
        var seen: Set<String> = []
        var count = 1
        for axis in axes {
            guard seen.insert(axis.key).inserted else { throw SweepError("\(SweepAxis.quoted(axis.key)) is swept twice (give one --set with all its values)") }
            guard !axis.values.isEmpty else { throw SweepError("\(SweepAxis.quoted(axis.key)): the list of values is empty") }
            let (product, overflow) = count.multipliedReportingOverflow(by: axis.values.count)
            guard !overflow, product <= Self.maxPoints else {
                throw SweepError("the sweep has more than \(Self.maxPoints) points; split it into several sweeps")
            }
            count = product
        }
        self.axes = axes
        self.count = count
    }

    /// The values of point `index` (0 ..< count), one per axis.
    public func values(at index: Int) -> [String] {
        precondition(index >= 0 && index < count, "point \(index) outside 0..<\(count)")
        var rest = index
        var values = [String](repeating: "", count: axes.count)
        for (a, axis) in axes.enumerated().reversed() {
            values[a] = axis.values[rest % axis.values.count]
            rest /= axis.values.count
        }
        return values
    }

    /// The point whose values are `values`, or nil when some value is not on its axis.
    public func index(of values: [String]) -> Int? {
        guard values.count == axes.count else { return nil }
        var index = 0
        for (axis, value) in zip(axes, values) {
            guard let i = axis.values.firstIndex(of: value) else { return nil }
            index = index * axis.values.count + i
        }
        return index
    }
}

/// One of N disjoint slices of a sweep (`--shard I/N`): I counts from 1, as Slurm's
/// `SLURM_ARRAY_TASK_ID` does with `--array=1-N` (a Kubernetes indexed Job's
/// `JOB_COMPLETION_INDEX` counts from 0: pass `$((JOB_COMPLETION_INDEX + 1))/N`). Shard I
/// holds the points whose index modulo N is I - 1, so the N shards cover every point once and
/// each gets points from all over the grid (neighbouring points, which cost about the same,
/// go to different shards).
public struct Shard: Sendable, Equatable {
    public let index: Int
    public let count: Int

    /// The whole sweep: shard 1/1.
    public static let whole = Shard(uncheckedIndex: 1, count: 1)

    private init(uncheckedIndex index: Int, count: Int) {
        self.index = index
        self.count = count
    }

    /// Reads `I/N`, 1 <= I <= N.
    public init(parsing text: String) throws(SweepError) {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, let i = Int(parts[0]), let n = Int(parts[1]), parts.allSatisfy({ $0.allSatisfy(\.isASCII) }) else {
            throw SweepError("'\(SweepAxis.quoted(text))' is not I/N (e.g. 3/8: the third of 8 shards)")
        }
        guard n >= 1 else { throw SweepError("'\(text)': the number of shards must be at least 1") }
        guard i >= 1 && i <= n else { throw SweepError("'\(text)': the shard must be 1 ... \(n) (shards count from 1)") }
        self.init(uncheckedIndex: i, count: n)
    }

    public func contains(_ point: Int) -> Bool { point % count == index - 1 }

    public var description: String { "\(index)/\(count)" }
}

/// A sweep's command line or file is not usable; the message says why.
public struct SweepError: Error, Equatable, CustomStringConvertible {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// A short fingerprint of everything that decides a sweep's results (FNV-1a, 64 bits, as 16
/// hex digits): the same in every process, unlike Swift's seeded `Hasher`.
public enum SweepID {
    public static func of(_ bytes: [UInt8]) -> String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in bytes {
            hash ^= UInt64(byte)
            hash = hash &* 0x0000_0100_0000_01b3
        }
        let hex = String(hash, radix: 16)
        return String(repeating: "0", count: 16 - hex.count) + hex
    }
}

extension SweepAxis {
    /// Whether `value` is a JSON number (RFC 8259: `64`, `-1.5e3`), which `--set` passes to
    /// the config reader as a number; any other value is passed as a string.
    public static func isJSONNumber(_ value: String) -> Bool {
        if case .number? = try? StrictJSON.parse(Array(value.utf8), maxDepth: 1) { return true }
        return false
    }
}
