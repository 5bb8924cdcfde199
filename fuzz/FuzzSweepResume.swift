// libFuzzer target: bytes -> the reader of `nmp sweep`'s results files (SweepFile, over CSV
// and StrictJSON), as a resumed sweep and `nmp sweep merge` use it. Byte 0 picks the format
// (even: CSV, odd: JSON Lines), the rest is the file. It must never trap; an error names its
// line and stays short (at most `maxMessageBytes`); an accepted file ends its complete part
// at a line end and its rows lie inside it, on increasing lines; the complete CSV records
// written again with CSV.record read back to the same fields; the rows then go through the
// resume checks of a 2 x 2 sweep (SweepGrid.finishedPoints) and a merge with themselves,
// which throw or answer with points of the sweep. Built by fuzz/build.sh into
// fuzz/bin/fuzz-sweep.
import NMPSweep

/// The longest error description accepted.
let maxMessageBytes = 1024

/// The sweep the seeds were written by (fuzz/corpus/sweep/): vlen x dramBytesPerCycle.
let grid = try! SweepGrid(axes: [SweepAxis(key: "vlen", values: ["32", "64"]), SweepAxis(key: "dramBytesPerCycle", values: ["16", "64"])])
let sweepID = "b99e484376da1a6b"

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard size > 0 else { return 0 }
    let csv = data[0] & 1 == 0
    let bytes = Array(UnsafeBufferPointer(start: data + 1, count: size - 1))
    let file: SweepFile
    do {
        file = csv ? try SweepFile(csv: bytes, keyCount: 2) : try SweepFile(jsonLines: bytes)
    } catch {
        check(error)
        guard error.message.hasPrefix("line ") else { fatalError("an error that names no line: \(error.message)") }
        return 0
    }
    guard file.end <= bytes.count, file.end == 0 || bytes[file.end - 1] == UInt8(ascii: "\n") else {
        fatalError("complete part ends at \(file.end) of \(bytes.count), not after a line end")
    }
    var line = 0
    for row in file.rows {
        guard row.line > line, row.point >= 0, row.point < row.points, !row.bytes.isEmpty, row.bytes.count <= file.end,
              row.keys.count == row.values.count else {
            fatalError("row at line \(row.line): point \(row.point) of \(row.points), \(row.bytes.count) bytes")
        }
        line = row.line
    }
    if csv {
        do {
            let records = try CSV.records(Array(bytes[0..<file.end])).records
            let again = try CSV.records(Array(records.map { CSV.record($0.fields) }.joined().utf8))
            guard again.records.map(\.fields) == records.map(\.fields) else { fatalError("CSV.record does not read back") }
        } catch {
            fatalError("the complete records of an accepted file do not read again: \(error)")
        }
    }
    do {
        let points = try grid.finishedPoints(file.rows, sweepID: sweepID, shard: .whole, source: "fuzz")
        guard points.count == file.rows.count, points.allSatisfy({ $0 >= 0 && $0 < grid.count }) else { fatalError("finished points \(points)") }
    } catch {
        check(error)
    }
    do {
        let merged = try SweepMerge.merge([("a", file), ("b", file)])
        guard merged.rows.count + merged.missing.count == merged.points,
              zip(merged.rows, merged.rows.dropFirst()).allSatisfy({ $0.point < $1.point }) else {
            fatalError("merge: \(merged.rows.count) rows, \(merged.missing.count) missing of \(merged.points)")
        }
    } catch {
        check(error)
    }
    return 0
}

func check(_ error: SweepError) {
    guard error.message.utf8.count <= maxMessageBytes else {
        fatalError("error message of \(error.message.utf8.count) bytes: \(String(error.message.unicodeScalars.prefix(200)))...")
    }
}
