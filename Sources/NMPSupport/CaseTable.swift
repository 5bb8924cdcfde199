/// A value for every case of an enumeration, kept and iterated in declaration order
/// (`Key.allCases`).
///
/// Reports use it instead of a `Dictionary`: a dictionary iterates in a hash order that
/// changes from process to process, so a float total summed over one (or a list printed from
/// one) differs between two runs of the same program. Here iteration, `map` and `sum()` always
/// follow the enumeration's order, so the same inputs give byte-identical reports.
public struct CaseTable<Key: CaseIterable & Hashable, Value>: Sequence {
    /// The values, in the order of `Key.allCases`.
    public private(set) var values: [Value]

    /// Every key mapped to `value`.
    public init(repeating value: Value) {
        values = Array(repeating: value, count: Key.allCases.count)
    }

    /// Every key mapped to `value(key)`.
    public init(_ value: (Key) throws -> Value) rethrows {
        values = try Key.allCases.map(value)
    }

    /// The keys, in declaration order.
    public static var keys: [Key] { Array(Key.allCases) }

    @inline(__always)
    private static func position(of key: Key) -> Int {
        // The enumerations are small (at most a few dozen cases); reports are not a hot path.
        Key.allCases.firstIndex(of: key).map { Key.allCases.distance(from: Key.allCases.startIndex, to: $0) } ?? 0
    }

    public subscript(key: Key) -> Value {
        get { values[Self.position(of: key)] }
        set { values[Self.position(of: key)] = newValue }
    }

    /// (key, value) pairs in declaration order.
    public func makeIterator() -> Zip2Sequence<[Key], [Value]>.Iterator {
        zip(Self.keys, values).makeIterator()
    }

    /// The same keys with transformed values.
    public func mapValues<T>(_ transform: (Value) throws -> T) rethrows -> CaseTable<Key, T> {
        CaseTable<Key, T>(unchecked: try values.map(transform))
    }

    private init(unchecked values: [Value]) { self.values = values }
}

extension CaseTable where Value: AdditiveArithmetic {
    /// Every key mapped to zero.
    public init() { self.init(repeating: .zero) }

    /// The sum of the values, added in declaration order.
    public func sum() -> Value { values.reduce(.zero, +) }
}

extension CaseTable: Equatable where Value: Equatable {}
extension CaseTable: Sendable where Value: Sendable, Key: Sendable {}
