import Foundation
import NMPSimulator
import NMPSweep
import Testing
@testable import NMPCommands

/// The sweep's pieces that need no simulation: the grid, `--set`, shards, CSV, the results
/// reader, resume checks and merging.
struct SweepGridTests {
    // MARK: Grid

    /// Nested loops over the axes as given, the last innermost: written out by hand.
    @Test func pointsAreTheCartesianProductInNestedLoopOrder() throws {
        let grid = try SweepGrid(axes: [SweepAxis(key: "a", values: ["1", "2"]), SweepAxis(key: "b", values: ["x", "y", "z"])])
        let expected = [["1", "x"], ["1", "y"], ["1", "z"], ["2", "x"], ["2", "y"], ["2", "z"]]
        #expect(grid.count == 6)
        #expect((0..<6).map { grid.values(at: $0) } == expected)
        for (i, values) in expected.enumerated() { #expect(grid.index(of: values) == i) }
        #expect(grid.index(of: ["3", "x"]) == nil)
        #expect(grid.index(of: ["1"]) == nil)
    }

    @Test func threeAxesAgreeWithNestedLoops() throws {
        let a = ["32", "64"], b = ["16", "32", "64"], c = ["base3", "2bit"]
        let grid = try SweepGrid(axes: [SweepAxis(key: "vlen", values: a), SweepAxis(key: "dramBytesPerCycle", values: b),
                                        SweepAxis(key: "packing", values: c)])
        var loops: [[String]] = []
        for x in a { for y in b { for z in c { loops.append([x, y, z]) } } }
        #expect((0..<grid.count).map { grid.values(at: $0) } == loops)
    }

    @Test func noAxesIsOnePoint() throws {
        let grid = try SweepGrid(axes: [])
        #expect(grid.count == 1)
        #expect(grid.values(at: 0) == [])
    }

    @Test func tooManyPointsOrAKeyTwiceAreRefused() {
        let big = SweepAxis(key: "k", values: (0..<1001).map(String.init))
        #expect(throws: SweepError.self) { try SweepGrid(axes: [big, SweepAxis(key: "j", values: (0..<1000).map(String.init))]) }
        #expect(throws: SweepError.self) { try SweepGrid(axes: [SweepAxis(key: "vlen", values: ["1"]), SweepAxis(key: "vlen", values: ["2"])]) }
    }

    // MARK: --set

    @Test(arguments: [("vlen=32,64,128", "vlen", ["32", "64", "128"]), ("weightSRAM.size=65536", "weightSRAM.size", ["65536"]),
                      ("packing=base3,2bit", "packing", ["base3", "2bit"]), ("clockGHz=0.5,1e0", "clockGHz", ["0.5", "1e0"])])
    func setParses(_ text: String, _ key: String, _ values: [String]) throws {
        let axis = try SweepAxis(parsing: text)
        #expect(axis.key == key)
        #expect(axis.values == values)
    }

    @Test(arguments: [("vlen", "no '='"), ("=32", "no key"), ("vlen=", "empty"), ("vlen=32,,64", "an empty value"),
                      ("vlen=32,", "an empty value"), ("vlen=32,32", "given twice")])
    func badSetIsRefused(_ text: String, _ message: String) {
        #expect { try SweepAxis(parsing: text) } throws: { ($0 as? SweepError)?.message.contains(message) == true }
    }

    /// Values go to the config reader as JSON numbers when they are numbers, else strings.
    @Test func setValuesBecomeJSONOfTheRightType() throws {
        let document = SweepJob.document(["weightSRAM.size", "vlen", "weightSRAM.banks", "packing", "clockGHz"], ["65536", "32", "4", "2bit", "1.5"])
        #expect(String(decoding: document, as: UTF8.self) == #"{"weightSRAM":{"size":65536,"banks":4},"vlen":32,"packing":"2bit","clockGHz":1.5}"#)
        var merged = MachineConfig()
        try merged.merge(json: document, source: "test")
        // The same values written as a config file by hand.
        let expected = try MachineConfig(json: Array(#"{"vlen": 32, "packing": "2bit", "clockGHz": 1.5, "weightSRAM": {"size": 65536, "banks": 4}}"#.utf8), source: "hand")
        #expect(merged == expected)
        #expect(SweepAxis.isJSONNumber("-1.5e3"))
        #expect(!SweepAxis.isJSONNumber("0x20"))
        #expect(!SweepAxis.isJSONNumber("2bit"))
        #expect(!SweepAxis.isJSONNumber("1 2"))
    }

    /// Every scalar key the reader knows is one `--set` can name, and merging one key keeps
    /// the others.
    @Test func everyScalarKeyCanBeSet() throws {
        let keys = MachineConfig.scalarKeys
        #expect(keys.contains("vlen") && keys.contains("weightSRAM.bankWidth") && keys.contains("energy.dramRead") && keys.contains("packing"))
        #expect(!keys.contains("energy.sramCurve"))
        for key in keys where key != "packing" {
            var config = MachineConfig()
            try config.merge(json: SweepJob.document([key], ["7"]), source: "test")
            #expect(config != MachineConfig(), "\(key)")  // no default is 7
        }
        var config = MachineConfig()
        try config.merge(json: Array(#"{"vlen": 32}"#.utf8), source: "test")
        var expected = MachineConfig()
        expected.vlen = 32
        #expect(config == expected)
    }

    // MARK: Shards

    @Test(arguments: [1, 2, 3, 5, 8])
    func shardsAreDisjointAndCoverEveryPoint(_ n: Int) throws {
        for count in [1, 5, 12, 13, 40] {
            var owner = [Int](repeating: 0, count: count)
            for i in 1...n {
                let shard = try Shard(parsing: "\(i)/\(n)")
                for point in 0..<count where shard.contains(point) { owner[point] += 1 }
            }
            #expect(owner.allSatisfy { $0 == 1 }, "\(count) points in \(n) shards")
        }
        // Shard I takes index I - 1 modulo N.
        #expect(try (0..<10).filter(Shard(parsing: "2/3").contains) == [1, 4, 7])
    }

    @Test(arguments: ["3/2", "0/0", "0/3", "1/0", "-1/2", "1", "a/b", "1/2/3", "", "１/２"])
    func badShardsAreRefused(_ text: String) {
        #expect(throws: SweepError.self) { try Shard(parsing: text) }
    }

    // MARK: CSV

    /// The last row: a double quote and a comma each followed by a combining mark, one
    /// Character that is neither (fuzz/crashes/sweep/csv-*-with-combining-mark.bin).
    static let awkward = [["plain", "with,comma", "with \"quotes\"", ""], ["multi\nline", "cr\r\nlf", "ünïcødé ✓", " spaces "], ["\"", ",", "x", "y"],
                          ["\"\u{0301}", ",\u{0301}x", "\u{0301}", "a\"\u{0301}b"]]

    @Test func csvRoundTrips() throws {
        let text = Self.awkward.map(CSV.record).joined()
        #expect(CSV.record(["a", "b,c", "d\"e"]) == "a,\"b,c\",\"d\"\"e\"\n")
        let (records, end) = try CSV.records(Array(text.utf8))
        #expect(records.map(\.fields) == Self.awkward)
        #expect(end == text.utf8.count)
        #expect(records.map(\.line) == [1, 2, 5, 6])  // the second record holds two line breaks
        // CRLF line ends read the same.
        let crlf = "a,b\r\nc,d\r\n"
        #expect(try CSV.records(Array(crlf.utf8)).records.map(\.fields) == [["a", "b"], ["c", "d"]])
    }

    /// A file cut anywhere reads as the records that were complete before the cut.
    @Test func csvCutAnywhereKeepsTheCompleteRecords() throws {
        let lines = Self.awkward.map(CSV.record)
        let bytes = Array(lines.joined().utf8)
        var ends: [Int] = []
        var total = 0
        for line in lines { total += line.utf8.count; ends.append(total) }
        for cut in 0...bytes.count {
            let (records, end) = try CSV.records(Array(bytes[0..<cut]))
            let complete = ends.filter { $0 <= cut }
            #expect(records.count == complete.count, "cut at \(cut)")
            #expect(end == (complete.last ?? 0), "cut at \(cut)")
            #expect(records.map(\.fields) == Array(Self.awkward.prefix(complete.count)))
        }
    }

    @Test(arguments: ["a\"b,c\n", "\"a\"b,c\n", "a,b\rc\n", "\u{FF}\n"])
    func malformedCSVNamesTheLine(_ text: String) {
        let bytes = text == "\u{FF}\n" ? [0xFF, 0x0A] : Array(text.utf8)
        #expect { try CSV.records(bytes) } throws: { ($0 as? SweepError)?.message.hasPrefix("line 1:") == true }
    }

    // MARK: Results files

    static func grid() throws -> SweepGrid {
        try SweepGrid(axes: [SweepAxis(key: "vlen", values: ["32", "64"]), SweepAxis(key: "packing", values: ["base3", "2bit"])])
    }

    static func csvFile(_ rows: [[String]]) -> String {
        CSV.record(["point", "points", "sweep_id", "vlen", "packing", "metric", "error"]) + rows.map(CSV.record).joined()
    }

    @Test func resumeFindsTheFinishedPointsAndCutsATruncatedLine() throws {
        let text = Self.csvFile([["2", "4", "id", "64", "base3", "1.5", ""], ["0", "4", "id", "32", "base3", "", "an, \"error\""]])
        let bytes = Array((text + "3,4,id,64,2").utf8)
        let file = try SweepFile(csv: bytes, keyCount: 2)
        #expect(file.end == text.utf8.count)
        #expect(file.rows.map(\.point) == [2, 0])
        #expect(file.rows[1].values == ["32", "base3"])
        #expect(try Self.grid().finishedPoints(file.rows, sweepID: "id", shard: .whole, source: "r.csv") == [0, 2])
    }

    @Test func resumeRefusesRowsOfAnotherSweep() throws {
        let grid = try Self.grid()
        func check(_ rows: [[String]], shard: Shard = .whole) throws -> Set<Int> {
            try grid.finishedPoints(SweepFile(csv: Array(Self.csvFile(rows).utf8), keyCount: 2).rows, sweepID: "id", shard: shard, source: "r.csv")
        }
        let cases: [([[String]], Shard, String)] = [
            ([["0", "4", "other", "32", "base3", "", ""]], .whole, "another sweep"),
            ([["0", "5", "id", "32", "base3", "", ""]], .whole, "another sweep"),
            ([["1", "4", "id", "32", "base3", "", ""]], .whole, "not those of point 1"),
            ([["0", "4", "id", "32", "base3", "", ""], ["0", "4", "id", "32", "base3", "", ""]], .whole, "twice"),
            ([["1", "4", "id", "32", "2bit", "", ""]], try Shard(parsing: "1/2"), "not in shard 1/2"),
        ]
        for (rows, shard, message) in cases {
            #expect { try check(rows, shard: shard) } throws: { ($0 as? SweepError)?.message.contains(message) == true }
        }
    }

    @Test(arguments: [("x,y\n1,2\n", "not the results"), ("point,points,sweep_id,vlen,e\n0,4,id\n", "3 fields"),
                      ("point,points,sweep_id,vlen,e\nzero,4,id,32,\n", "not an integer"),
                      ("point,points,sweep_id,vlen,e\n4,4,id,32,\n", "points count from 0")])
    func malformedResultsAreRefused(_ text: String, _ message: String) {
        #expect { try SweepFile(csv: Array(text.utf8), keyCount: 1) } throws: { ($0 as? SweepError)?.message.contains(message) == true }
    }

    @Test func jsonLinesReadBackAndDropACutLine() throws {
        let lines = #"{"point":1,"points":4,"sweep_id":"id","set":{"vlen":32,"packing":"2bit"},"error":null}"# + "\n"
            + #"{"point":3,"points":4,"sweep_id":"id","set":{"vlen":64,"packing":"2bit"},"error":"x"}"# + "\n"
        let bytes = Array((lines + #"{"point":0,"poi"#).utf8)
        let file = try SweepFile(jsonLines: bytes)
        #expect(file.end == lines.utf8.count)
        #expect(file.rows.map(\.point) == [1, 3])
        #expect(file.rows[0].keys == ["vlen", "packing"] && file.rows[0].values == ["32", "2bit"])
        #expect(try Self.grid().finishedPoints(file.rows, sweepID: "id", shard: .whole, source: "r.jsonl") == [1, 3])
        #expect(throws: SweepError.self) { try SweepFile(jsonLines: Array(#"{"points":4,"point":1,"sweep_id":"id","set":{}}"#.utf8) + [10]) }
        #expect(throws: SweepError.self) { try SweepFile(jsonLines: Array("[1]\n".utf8)) }
    }

    @Test func mergeSortsDropsRepeatsAndListsMissingPoints() throws {
        let a = try SweepFile(csv: Array(Self.csvFile([["2", "4", "id", "64", "base3", "1", ""], ["0", "4", "id", "32", "base3", "2", ""]]).utf8), keyCount: 0)
        let b = try SweepFile(csv: Array(Self.csvFile([["0", "4", "id", "32", "base3", "2", ""]]).utf8), keyCount: 0)
        let merged = try SweepMerge.merge([("a.csv", a), ("b.csv", b)])
        #expect(merged.rows.map(\.point) == [0, 2])
        #expect(merged.points == 4)
        #expect(merged.missing == [1, 3])
        let conflicting = try SweepFile(csv: Array(Self.csvFile([["0", "4", "id", "32", "base3", "3", ""]]).utf8), keyCount: 0)
        #expect { try SweepMerge.merge([("a.csv", a), ("c.csv", conflicting)]) } throws: { ($0 as? SweepError)?.message.contains("differs") == true }
        let other = try SweepFile(csv: Array(Self.csvFile([["1", "4", "other", "32", "2bit", "3", ""]]).utf8), keyCount: 0)
        #expect { try SweepMerge.merge([("a.csv", a), ("d.csv", other)]) } throws: { ($0 as? SweepError)?.message.contains("another sweep") == true }
        let header = try SweepFile(csv: Array("point,points,sweep_id,x\n".utf8), keyCount: 0)
        #expect { try SweepMerge.merge([("a.csv", a), ("e.csv", header)]) } throws: { ($0 as? SweepError)?.message.contains("header differs") == true }
    }

    @Test func sweepIDIsFNV1a() {
        // FNV-1a 64 test vectors (draft-eastlake-fnv, section 8 / the reference code's table).
        #expect(SweepID.of([]) == "cbf29ce484222325")
        #expect(SweepID.of(Array("a".utf8)) == "af63dc4c8601ec8c")
        #expect(SweepID.of(Array("foobar".utf8)) == "85944171f73967e8")
    }
}
