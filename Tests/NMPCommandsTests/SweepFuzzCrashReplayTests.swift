import Foundation
import NMPSweep
import Testing

/// The inputs kept for the fuzz-sweep target (fuzz/FuzzSweepResume.swift) in
/// fuzz/crashes/sweep, replayed with the target's checks: byte 0 picks CSV (even) or JSON
/// Lines (odd); the reader answers with rows or an error naming the line, at most 1024
/// bytes; the complete part ends at a line end; the resume checks and a merge answer with
/// points of the sweep or an error; a CSV file's complete records, written again, read back
/// to the same fields. `huge-points-count*` once made a merge list 10^18 missing points;
/// `csv-*-with-combining-mark*` were written unreadably (a quote or comma followed by a
/// combining mark is one Character, which the writer compared as a whole).
struct SweepFuzzCrashReplayTests {
    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("fuzz/crashes/sweep")

    static func inputs() -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []).sorted()
    }

    @Test func thereAreInputs() { #expect(Self.inputs().count >= 6) }

    @Test(arguments: inputs())
    func sweepInput(_ name: String) throws {
        let data = [UInt8](try Data(contentsOf: Self.directory.appendingPathComponent(name)))
        let bytes = Array(data.dropFirst())
        let file: SweepFile
        do {
            file = data.first! & 1 == 0 ? try SweepFile(csv: bytes, keyCount: 2) : try SweepFile(jsonLines: bytes)
        } catch {
            #expect(error.message.hasPrefix("line ") && error.message.utf8.count <= 1024, "\(name): \(error.message)")
            #expect(!name.hasPrefix("accepted-"))
            return
        }
        #expect(file.end == 0 || bytes[file.end - 1] == 10)
        if data.first! & 1 == 0 {
            // The complete records, written again, read back to the same fields.
            let records = try CSV.records(Array(bytes[0..<file.end])).records
            let again = try CSV.records(Array(records.map { CSV.record($0.fields) }.joined().utf8))
            #expect(again.records.map(\.fields) == records.map(\.fields), "\(name)")
        }
        let grid = try SweepGrid(axes: [SweepAxis(key: "vlen", values: ["32", "64"]), SweepAxis(key: "dramBytesPerCycle", values: ["16", "64"])])
        if let points = try? grid.finishedPoints(file.rows, sweepID: "b99e484376da1a6b", shard: .whole, source: name) {
            #expect(points.count == file.rows.count)
        }
        if let merged = try? SweepMerge.merge([("a", file), ("b", file)]) {
            #expect(merged.rows.count + merged.missing.count == merged.points)
        }
    }
}
