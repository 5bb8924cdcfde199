import NMPJSON

/// One row of a sweep's results as stored in its CSV or JSON Lines file: which point of which
/// sweep it is, and the bytes of its line.
public struct SweepRow: Sendable, Equatable {
    /// The line the row starts on, 1-based.
    public let line: Int
    /// The point's index in the whole sweep (`SweepGrid`), and the sweep's number of points.
    public let point: Int
    public let points: Int
    /// The fingerprint of the sweep that wrote the row (`SweepID`).
    public let sweepID: String
    /// The swept keys and the point's values as written (a CSV row: the columns after
    /// `sweep_id`, as many as the reader was told; JSON Lines: the `set` object's members,
    /// a number by its literal text).
    public let keys: [String]
    public let values: [String]
    /// The row as stored, line end included.
    public let bytes: [UInt8]
}

/// A sweep's results file read back, to resume the sweep or merge shards. Every complete
/// line is checked; a last line without its line end (a process killed while writing it) is
/// left out, and `end` says where the complete lines end so that a resumed sweep can cut the
/// file there and append cleanly.
public struct SweepFile: Sendable, Equatable {
    public enum Format: Sendable, Equatable { case csv, jsonLines }
    public let format: Format
    /// The CSV header; nil for JSON Lines, and for a CSV file whose header line is incomplete.
    public let header: [String]?
    public let rows: [SweepRow]
    /// The length of the complete lines, in bytes.
    public let end: Int

    /// The columns every CSV results file starts with, and the members every JSON Lines
    /// record starts with.
    public static let leadingColumns = ["point", "points", "sweep_id"]

    /// Reads a CSV results file: a header starting with `leadingColumns`, then one row per
    /// point with as many fields as the header. The `keyCount` columns after `sweep_id` are
    /// the swept values (0 when they are not needed, as in a merge).
    public init(csv bytes: [UInt8], keyCount: Int) throws(SweepError) {
        let (records, end) = try CSV.records(bytes)
        format = .csv
        self.end = end
        guard let first = records.first else {
            header = nil
            rows = []
            return
        }
        let header = first.fields
        guard header.count >= Self.leadingColumns.count, Array(header.prefix(Self.leadingColumns.count)) == Self.leadingColumns else {
            throw SweepError("line 1: not the results of an nmp sweep (the header does not start with \(Self.leadingColumns.joined(separator: ",")))")
        }
        guard keyCount >= 0, header.count >= Self.leadingColumns.count + keyCount else {
            throw SweepError("line 1: the header has \(header.count) columns, too few for \(keyCount) swept keys")
        }
        let keys = Array(header[Self.leadingColumns.count..<(Self.leadingColumns.count + keyCount)])
        var rows: [SweepRow] = []
        for record in records.dropFirst() {
            guard record.fields.count == header.count else {
                throw SweepError("line \(record.line): \(record.fields.count) fields, but the header has \(header.count) columns")
            }
            let f = record.fields
            func integer(_ column: Int, minimum: Int) throws(SweepError) -> Int {
                guard let value = Int(f[column]), value >= minimum, value <= SweepGrid.maxPoints, f[column].allSatisfy(\.isASCII) else {
                    throw SweepError("line \(record.line): column '\(SweepAxis.quoted(header[column]))' is '\(SweepAxis.quoted(f[column]))', not an integer in \(minimum) ... \(SweepGrid.maxPoints)")
                }
                return value
            }
            let point = try integer(0, minimum: 0), points = try integer(1, minimum: 1)
            guard point < points else { throw SweepError("line \(record.line): point \(point) of a sweep of \(points) points (points count from 0)") }
            rows.append(SweepRow(line: record.line, point: point, points: points, sweepID: f[2], keys: keys,
                                 values: Array(f[Self.leadingColumns.count..<(Self.leadingColumns.count + keyCount)]),
                                 bytes: Array(bytes[record.range])))
        }
        self.header = header
        self.rows = rows
    }

    /// Reads a JSON Lines results file: one JSON object per line, whose members start with
    /// `point`, `points`, `sweep_id` and `set` (the swept keys and values).
    public init(jsonLines bytes: [UInt8]) throws(SweepError) {
        format = .jsonLines
        header = nil
        var rows: [SweepRow] = []
        var start = 0
        var line = 0
        while let newline = bytes[start...].firstIndex(of: UInt8(ascii: "\n")) {
            line += 1
            let text = Array(bytes[start..<newline])
            let root: StrictJSON
            do {
                root = try StrictJSON.parse(text, maxDepth: 64)
            } catch {
                throw SweepError("line \(line): invalid JSON at column \(error.column): \(error.message)")
            }
            guard case .object(let members) = root, members.count >= 4,
                  zip(members.prefix(4).map(\.0), Self.leadingColumns + ["set"]).allSatisfy({ $0 == $1 }) else {
                throw SweepError("line \(line): not a result of an nmp sweep (an object whose members start with point, points, sweep_id, set)")
            }
            func integer(_ index: Int, minimum: Int) throws(SweepError) -> Int {
                guard case .success(let value) = members[index].1.integer(), value >= minimum, value <= SweepGrid.maxPoints else {
                    throw SweepError("line \(line): '\(members[index].0)' is \(members[index].1.summary), not an integer in \(minimum) ... \(SweepGrid.maxPoints)")
                }
                return value
            }
            let point = try integer(0, minimum: 0), points = try integer(1, minimum: 1)
            guard point < points else { throw SweepError("line \(line): point \(point) of a sweep of \(points) points (points count from 0)") }
            guard case .string(let id) = members[2].1 else { throw SweepError("line \(line): 'sweep_id' is \(members[2].1.summary), not a string") }
            guard case .object(let set) = members[3].1 else { throw SweepError("line \(line): 'set' is \(members[3].1.summary), not an object") }
            var values: [String] = []
            for (key, value) in set {
                switch value {
                case .number(let literal): values.append(literal)
                case .string(let string): values.append(string)
                default: throw SweepError("line \(line): 'set.\(SweepAxis.quoted(key))' is \(value.summary), not a number or a string")
                }
            }
            rows.append(SweepRow(line: line, point: point, points: points, sweepID: id, keys: set.map(\.0), values: values,
                                 bytes: Array(bytes[start...newline])))
            start = newline + 1
        }
        self.rows = rows
        end = start
    }
}

extension SweepGrid {
    /// The points that `rows` (read back from `source`) hold, after checking that every row
    /// belongs to this sweep: written by the same sweep (`sweepID`: the same inputs and
    /// value lists), its values those of its point, in `shard`, and no point twice.
    public func finishedPoints(_ rows: [SweepRow], sweepID: String, shard: Shard, source: String) throws(SweepError) -> Set<Int> {
        var lines: [Int: Int] = [:]
        for row in rows {
            let at = "\(source), line \(row.line)"
            guard row.sweepID == sweepID, row.points == count else {
                throw SweepError("\(at): written by another sweep (sweep_id \(SweepAxis.quoted(row.sweepID)) of \(row.points) points; this one is \(sweepID) of \(count)): other inputs, options or --set lists; give another output file")
            }
            guard row.keys == axes.map(\.key) else {
                throw SweepError("\(at): its swept keys are not this sweep's (\(axes.map { SweepAxis.quoted($0.key) }.joined(separator: ",")))")
            }
            guard row.values == values(at: row.point) else {
                throw SweepError("\(at): point \(row.point) has the values \(row.values.map(SweepAxis.quoted).joined(separator: ",")), not those of point \(row.point) of this sweep (\(values(at: row.point).map(SweepAxis.quoted).joined(separator: ",")))")
            }
            guard shard.contains(row.point) else { throw SweepError("\(at): point \(row.point) is not in shard \(shard.description)") }
            if let other = lines[row.point] { throw SweepError("\(at): point \(row.point) is there twice (also line \(other))") }
            lines[row.point] = row.line
        }
        return Set(lines.keys)
    }
}

/// Merges the results files of a sweep's shards (or of interrupted runs): one row per point,
/// sorted by point.
public enum SweepMerge {
    /// The merged rows, the sweep's number of points, and the points no file holds. Every
    /// file must be of the same sweep (sweep_id, and for CSV the same header); a point in
    /// several files must have identical rows there.
    public static func merge(_ files: [(source: String, file: SweepFile)]) throws(SweepError) -> (rows: [SweepRow], points: Int, missing: [Int]) {
        var header: (source: String, columns: [String])?
        var first: (source: String, row: SweepRow)?
        var byPoint: [Int: (source: String, row: SweepRow)] = [:]
        for (source, file) in files {
            if let columns = file.header {
                if let header, header.columns != columns {
                    throw SweepError("\(source): its header differs from the header of \(header.source); merge the files of one sweep")
                }
                header = header ?? (source, columns)
            }
            for row in file.rows {
                if let first, first.row.sweepID != row.sweepID || first.row.points != row.points {
                    throw SweepError("\(source), line \(row.line): written by another sweep than \(first.source) (sweep_id \(SweepAxis.quoted(row.sweepID)) of \(row.points) points, not \(first.row.sweepID) of \(first.row.points))")
                }
                first = first ?? (source, row)
                if let other = byPoint[row.point] {
                    guard other.row.bytes == row.bytes else {
                        throw SweepError("point \(row.point) differs between \(other.source), line \(other.row.line) and \(source), line \(row.line)")
                    }
                    continue
                }
                byPoint[row.point] = (source, row)
            }
        }
        guard let first else { throw SweepError("no results to merge: the files hold no rows") }
        let points = first.row.points
        let rows = byPoint.keys.sorted().map { byPoint[$0]!.row }
        let missing = (0..<points).filter { byPoint[$0] == nil }
        return (rows, points, missing)
    }
}
