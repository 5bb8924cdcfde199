import NMPISA
import NMPSimulator
import NMPTestSupport
import Testing

/// `mgemm` (ISA.md 7.8, 6.12): one weight-SRAM tile times N = E - D + 1 int8 vectors VLEN
/// bytes apart, each into its own accumulator, and both pointers advanced; the ternary array
/// works through a queue of these products while the core goes on. The values and cycles
/// here are derived by hand; every run also runs on the reference machine.
struct MatrixGEMMTests {
    /// The machine of ISA.md 6.12's example, the default one: 32 weight-SRAM and 16
    /// activation-SRAM banks of 8 bytes (stated, so that a change of the defaults does not
    /// silently change what the example derives).
    static var config: MachineConfig {
        var c = MachineConfig()
        c.weightSRAM.banks = 32
        c.activationSRAM.banks = 16
        c.dramSize = 1 << 20
        return c
    }

    /// A base3 row of 64 trits, all +1 (twelve bytes 1+3+9+27+81 = 0x79, then trits 60 ... 63
    /// and a padding trit: 1+3+9+27 = 0x28) or all -1 (0xF2, then 2+6+18+54 = 0x50): ISA.md 4.5.
    static let plusRow: [UInt8] = Array(repeating: 0x79, count: 12) + [0x28]
    static let minusRow: [UInt8] = Array(repeating: 0xF2, count: 12) + [0x50]
    /// Tiles of 32 rows, even rows +1 and odd rows -1.
    static func tiles(_ count: Int) -> [UInt8] {
        let tile = (0..<32).flatMap { $0 % 2 == 0 ? plusRow : minusRow }
        return Array((0..<count).map { _ in tile }.joined())
    }
    /// The activation SRAM: 64 zero bytes, then vector j (j = 0 ... 19, 64 bytes each) with
    /// every lane j + 1.
    static let vectors: [UInt8] = Array(repeating: 0, count: 64) + (0..<20).flatMap { j in Array(repeating: UInt8(j + 1), count: 64) }

    func run(_ source: String, config: MachineConfig = Self.config, wsram: [UInt8] = Self.tiles(3), asram: [UInt8] = Self.vectors) throws -> DifferentialRun {
        var image = try differentialAssemble(source)
        image.weightData = wsram
        image.activationData = asram
        return try #require(runDifferential(image, config: config, context: "mgemm"))
    }

    /// ISA.md 6.12's example.
    static let example = """
            addi r1, r0, 0
            addi r2, r0, 64
            mgemm a0, a7, r1, r2
            mgemm a0, a7, r1, r2
            sw r0, [r0 + 2048]
            sw r0, [r0 + 1084]
            fcvt a0, a0
            halt
            """

    /// ISA.md 6.12's example, line by line. Values: a row's sum over 64 lanes of a vector of
    /// lanes v is +-64v. The two mgemm give a_n (n < 8) the vectors n + 1 and n + 9: even rows
    /// of a_n hold 64(2n + 10), odd rows the negatives; a0 is then converted to float32. The
    /// store at 1084 waits for the second product, which read those bytes (semantics at
    /// issue: its sums are the vectors' old values). Pointers: r1 = 2 * 416 = 832,
    /// r2 = 64 + 16 * 64 = 1088.
    @Test func theDocumentedExample() throws {
        let run = try run(Self.example)
        let s = run.actual
        #expect(s.trap == nil)
        #expect(s.cycles == 26)
        #expect(s.stalls.filter { $0.value > 0 } == ["array": 13, "data": 3, "drain": 2])
        #expect(s.retired == 8)
        #expect(s.scalars[1] == 832 && s.scalars[2] == 1088)
        for n in 1..<8 {
            #expect(s.accumulators[n][0] == Int32(64 * (2 * n + 10)))
            #expect(s.accumulators[n][1] == -Int32(64 * (2 * n + 10)))
            #expect(s.accumulators[n][31] == -Int32(64 * (2 * n + 10)))
            #expect(s.accumulators[n][32] == 0)   // lanes ROWS ... VLEN-1 unchanged
        }
        #expect(s.accumulators[0][0] == Int32(bitPattern: Float(64 * 10).bitPattern))
    }

    /// The issue cycles of the example: the products hold the issue stage for one cycle
    /// each (2, 3); the array works on them in 2 ... 9 and 10 ... 17; the store into the
    /// second one's vectors waits for its end (18); fcvt a0 waits for a0's 17 + 5 = 22.
    @Test func issueCyclesOfTheExample() throws {
        let run = try Run(Self.example, config: Self.config)
        #expect(run.issues == [0, 1, 2, 3, 4, 18, 22, 25])
        #expect(run.trace.filter { $0.arrayEnd >= 0 }.map { [$0.arrayStart, $0.arrayEnd] } == [[2, 10], [10, 18]])
    }

    /// A read of the accumulators right after an mgemm waits for all of them; a second mgemm
    /// on them waits in the array's queue, not at issue: one vector (a7, N = 1), so k =
    /// max(2 tile cycles, 1) = 2, array cycles 1 ... 2; a7 ready at 2 + 5 = 7. The next mgemm
    /// a7 issues at 2 (r2 ready); the array starts it at max(2, end 3, 7 - (1 + 3)) = 3:
    /// cycles 3 ... 4, a7 ready at 9. `asum r3, a7` could issue at 3 and waits for 9 (data
    /// 6); r3 is ready at 11 and halt waits for it.
    @Test func backToBackAndAReader() throws {
        let run = try run("""
            addi r2, r0, 64
            mgemm a7, a7, r0, r2
            mgemm a7, a7, r0, r2
            asum r3, a7
            halt
            """)
        let s = run.actual
        // rw = r0: both mgemm read the tile at 0 and the write of r0 is discarded; vectors 0
        // and 1 (lanes 1 and 2): even rows 64 * 3, odd rows -64 * 3, summing to 0 over the 32
        // rows and 192 * 16 - 192 * 16 = 0 in lanes 32 ... 63 too (they are 0).
        #expect(s.accumulators[7][0] == 192 && s.accumulators[7][1] == -192)
        #expect(s.scalars[3] == 0)
        #expect(s.scalars[2] == 64 + 2 * 64)
        let timed = try Run("""
            addi r2, r0, 64
            mgemm a7, a7, r0, r2
            mgemm a7, a7, r0, r2
            asum r3, a7
            halt
            """, config: Self.config)
        #expect(timed.issues == [0, 1, 2, 9, 11])
        #expect(timed.stalls == [.data: 6, .drain: 1])
    }

    /// A full queue (`arrayQueueDepth` 2): products of k = 8 (2 tile cycles, 8 vectors). The
    /// first issues at 1 (array 1 ... 8, end 9, a0 ... a7 ready at 13); the second at 2
    /// (start max(2, 9, 13 - 10) = 9, end 17, ready at 21); the third could issue at 3 but
    /// two are unfinished: it waits for the first's end, 9 (array 6), and starts at
    /// max(9, 17, 21 - 10) = 17, end 25, ready at 29; halt waits for that (drain 19).
    @Test func aFullQueueHoldsTheNextProduct() throws {
        var config = Self.config
        config.arrayQueueDepth = 2
        let source = """
            addi r2, r0, 64
            mgemm a0, a7, r1, r2
            mgemm a0, a7, r1, r2
            mgemm a0, a7, r1, r2
            halt
            """
        let timed = try Run(source, config: config)
        #expect(timed.issues == [0, 1, 2, 9, 29])
        #expect(timed.stalls == [.array: 6, .drain: 19])
        #expect(timed.cycles == 30)
        let run = try run(source, config: config)
        #expect(run.actual.cycles == 30)
    }

    /// A transfer into a product's vectors waits for the product; a product waits for a
    /// transfer into its vectors, and reads what it brings. The first product (vectors 64 ...
    /// 575) issues at 3, array 3 ... 10, end 11, a0 ... a7 ready at 15. `dmaa` into asram
    /// 128 ... 191 could issue at 4 and waits for 11 (array 7); its data flows at
    /// 11 + 1 + 100 = 112 for one cycle, end 113. The second product reads vectors from 128:
    /// it could issue at 12 and waits for the transfer's end, 113 (dmaWait 101); array
    /// 113 ... 120, a0 ... a7 ready at 125; halt waits for them (drain 11). Values: DRAM is
    /// zero, so vector 0 of the second product is zero: a0 = 64 * 1 + 0 on even rows; a1 gets
    /// vector 1 (lanes 2) then the old vector 2 at 192 (lanes 3): 64 * 5.
    @Test func transfersAndProductsWaitForEachOther() throws {
        let source = """
            addi r2, r0, 64
            addi r3, r0, 64
            addi r4, r0, 128
            mgemm a0, a7, r1, r2
            dmaa r4, r0, r3
            mgemm a0, a7, r0, r4
            halt
            """
        let timed = try Run(source, config: Self.config)
        #expect(timed.issues == [0, 1, 2, 3, 11, 113, 125])
        #expect(timed.stalls == [.array: 7, .dmaWait: 101, .drain: 11])
        let s = try run(source).actual
        #expect(s.cycles == 126)
        #expect(s.accumulators[0][0] == 64 && s.accumulators[0][1] == -64)
        #expect(s.accumulators[1][0] == 64 * 5)
    }

    /// Stores into the weight SRAM and the array's other instructions. The first product
    /// (tile 0 ... 415) issues at 1, array 1 ... 8, end 9, a0 ... a7 ready at 13. `stt` at
    /// 416 (13 bytes) touches no tile being read: it issues at 2. `tcvt` is an instruction of
    /// the array: it could issue at 3 and waits for the queue to drain, 9 (array 6). The
    /// second product (tile at 416, whose row 0 the stt zeroed) issues at 10, starts at
    /// max(10, 9, 13 - 10) = 10, end 18, a0 ... a7 ready at 22. The `stt` at 420 writes its
    /// tile: it could issue at 11 and waits for 18 (array 7); halt waits for 22 (drain 3).
    /// Values: row 0 of the second tile is zero, so a_n[0] = 64(n + 1) + 0 and a_n[1] =
    /// -64(n + 1) - 64(n + 9); the later stt changes nothing already read.
    @Test func storesIntoOperandsAndTheArraysOtherInstructionsWait() throws {
        let source = """
            addi r2, r0, 64
            mgemm a0, a7, r1, r2
            stt t0, [r0 + 416]
            tcvt v0, t0
            mgemm a0, a7, r1, r2
            stt t0, [r0 + 420]
            halt
            """
        let timed = try Run(source, config: Self.config)
        #expect(timed.issues == [0, 1, 2, 9, 10, 18, 22])
        #expect(timed.stalls == [.array: 13, .drain: 3])
        let s = try run(source).actual
        #expect(s.cycles == 23)
        for n in 0..<8 {
            #expect(s.accumulators[n][0] == Int32(64 * (n + 1)))
            #expect(s.accumulators[n][1] == -Int32(64 * (2 * n + 10)))
        }
    }

    /// With vl = 37 only lanes below 37 count (+-37 per vector), vectors still VLEN apart, and
    /// lanes ROWS ... are untouched; with vl = 0 the accumulators do not change.
    @Test(arguments: [(37, 37), (0, 0)])
    func partialVectorLength(_ vl: Int, _ perLane: Int) throws {
        let run = try run("""
            addi r3, r0, \(vl)
            setvl r0, r3
            addi r2, r0, 64
            mgemm a6, a7, r0, r2
            halt
            """)
        let s = run.actual
        #expect(s.accumulators[6][0] == Int32(perLane) && s.accumulators[6][1] == -Int32(perLane))
        #expect(s.accumulators[7][0] == Int32(2 * perLane))
        #expect(s.accumulators[5][0] == 0)
        #expect(s.scalars[2] == 64 + 2 * 64)
    }

    /// When rw = rx, the register advances by both: 0 + 416, then + N * VLEN = 416 + 64.
    @Test func onePointerForBoth() throws {
        let run = try run("""
            mgemm a7, a7, r1, r1
            halt
            """)
        #expect(run.actual.scalars[1] == 416 + 64)
    }

    /// Traps, checked before anything changes (the accumulators keep their values, the
    /// pointers do not move): the tile past the end of the weight SRAM, an invalid code in
    /// it (0xFF), the last vector past the end of the activation SRAM.
    @Test func trapsBeforeAnyChange() throws {
        let wsramSize = Self.config.weightSRAM.size, asramSize = Self.config.activationSRAM.size
        func outcome(_ tile: Int, _ vectors: Int, wsram: [UInt8] = Self.tiles(1)) throws -> String? {
            let run = try run("""
                lui r1, \(tile >> 16)
                ori r1, r1, \(tile & 0xFFFF)
                lui r2, \(vectors >> 16)
                ori r2, r2, \(vectors & 0xFFFF)
                mgemm a4, a7, r1, r2
                halt
                """, wsram: wsram)
            guard let trap = run.actual.trap else { return nil }
            #expect(trap.pc == 4)
            #expect(run.actual.scalars[1] == UInt32(tile) && run.actual.scalars[2] == UInt32(vectors))
            #expect(run.actual.accumulators[4][0] == 0)
            return trap.cause
        }
        #expect(try outcome(wsramSize - 416, asramSize - 4 * 64) == nil)
        #expect(try outcome(wsramSize - 415, 0) == "outOfBounds")
        #expect(try outcome(0, asramSize - 4 * 64 + 1) == "outOfBounds")
        #expect(try outcome(0, 0, wsram: [0xFF] + Self.tiles(1).dropFirst()) == "invalidTritCode")
    }
}

/// `hgemm` and `hgemz` (ISA.md 7.8, 6.12): the FP16 array's products, a tile of ROWS rows of
/// VLEN binary16 weights times N binary16 vectors 2 * VLEN bytes apart, each row's exact
/// float32 products summed by the pairwise tree of ISA.md 7.12 into (or over) a float32
/// accumulator lane, on the ternary array's queue and timing rule. Values come from a small
/// reference written here (a hand-written binary16 decoder and tree on host floats); cycles
/// are derived by hand from 6.12; every run also runs on the reference machine.
struct HalfMatrixGEMMTests {
    // MARK: A reference of ISA.md 7.8, written here

    /// A binary16 pattern's value, decoded by hand: (-1)^s * f * 2^-24 for a subnormal,
    /// (-1)^s * (1024 + f) * 2^(e - 25) for a normal, an infinity or a NaN for e = 31.
    static func value(_ h: UInt16) -> Float {
        let sign: Float = h & 0x8000 != 0 ? -1 : 1
        let e = Int(h >> 10 & 0x1F), f = Float(h & 0x3FF)
        switch e {
        case 0: return sign * f * 0x1p-24
        case 31: return f == 0 ? sign * .infinity : .nan
        default: return sign * (1024 + f) * Float(sign: .plus, exponent: e - 25, significand: 1)
        }
    }

    /// The binary16 pattern of a small positive integer v < 2048 (exact): exponent floor(log2 v).
    static func half(_ v: Int) -> UInt16 {
        let e = Int.bitWidth - 1 - v.leadingZeroBitCount
        return UInt16(e + 15) << 10 | UInt16((v - (1 << e)) << (10 - e))
    }

    /// ISA.md 7.12's tree: each level adds neighbours, an odd last value moves up; the root
    /// is added to +0.0 (no values give +0.0).
    static func tree(_ values: [Float]) -> Float {
        var s = values
        while s.count > 1 {
            s = stride(from: 0, to: s.count - 1, by: 2).map { s[$0] + s[$0 + 1] } + (s.count % 2 == 1 ? [s[s.count - 1]] : [])
        }
        return Float(0) + (s.first ?? 0)
    }

    /// A float32 result's pattern, every NaN the canonical 0x7FC00000 (ISA.md 7.11).
    static func bits(_ x: Float) -> Int32 { Int32(bitPattern: x.isNaN ? 0x7FC0_0000 : x.bitPattern) }

    /// Lane r < ROWS of the accumulator that held `old`, after `op` with one vector.
    static func expected(_ op: Opcode, tile: [UInt16], vector: [UInt16], vl: Int, vlen: Int, row r: Int, old: Int32) -> Int32 {
        let t = tree((0..<vl).map { value(tile[r * vlen + $0]) * value(vector[$0]) })
        return op == .hgemz ? bits(t) : bits(Float(bitPattern: UInt32(bitPattern: old)) + t)
    }

    // MARK: Running a product

    /// Little-endian bytes of binary16 patterns.
    static func bytes(_ halves: [UInt16]) -> [UInt8] { halves.flatMap { [UInt8($0 & 0xFF), UInt8($0 >> 8)] } }
    static func bytes(_ words: [Int32]) -> [UInt8] { words.flatMap { w in (0..<4).map { UInt8(truncatingIfNeeded: w >> (8 * $0)) } } }

    static func config(vlen: Int = 64, rows: Int = 32) -> MachineConfig {
        var c = MatrixGEMMTests.config
        c.vlen = vlen; c.rows = rows
        return c
    }

    /// The layout of `product`: the tile at wsram 6 (not bank-aligned), accumulators a0 ... a7
    /// at asram 0, 4 * VLEN bytes each (loaded with `lda` before `setvl`), the vectors at
    /// asram 32 * VLEN + 2 (2-byte but not 4-byte aligned).
    static let tileAt = 6
    static func vectorsAt(_ vlen: Int) -> Int { 32 * vlen + 2 }

    /// Loads `accumulators` (8 x VLEN float32 patterns) into a0 ... a7, sets vl, and runs
    /// `op` a(8-N), a7, r1, r2 on `tile` (ROWS * VLEN halves) and `vectors` (N x VLEN).
    func product(_ op: Opcode, config: MachineConfig, vl: Int, tile: [UInt16], vectors: [[UInt16]], accumulators: [[Int32]]) throws -> DifferentialRun {
        let vlen = config.vlen, n = vectors.count
        var image = try differentialAssemble((0..<8).map { "lda a\($0), [r0 + \(4 * vlen * $0)]" }.joined(separator: "\n") + """

            addi r3, r0, \(vl)
            setvl r0, r3
            addi r1, r0, \(Self.tileAt)
            addi r2, r0, \(Self.vectorsAt(vlen))
            \(op.mnemonic) a\(8 - n), a7, r1, r2
            halt
            """)
        image.weightData = [UInt8](repeating: 0, count: Self.tileAt) + Self.bytes(tile)
        image.activationData = Self.bytes(accumulators.flatMap { $0 }) + [0, 0] + Self.bytes(vectors.flatMap { $0 })
        return try #require(runDifferential(image, config: config, context: op.mnemonic))
    }

    /// Checks every accumulator lane of `run` against the reference above: lanes below ROWS
    /// of a(8-N) ... a7 computed, all other lanes as loaded; and the pointers advanced.
    func check(_ run: DifferentialRun, _ op: Opcode, config: MachineConfig, vl: Int, tile: [UInt16], vectors: [[UInt16]], accumulators: [[Int32]]) {
        let s = run.actual, n = vectors.count, vlen = config.vlen
        #expect(s.trap == nil)
        for a in 0..<8 {
            for l in 0..<vlen {
                let k = a - (8 - n)
                let want = k >= 0 && l < config.rows
                    ? Self.expected(op, tile: tile, vector: vectors[k], vl: vl, vlen: vlen, row: l, old: accumulators[a][l])
                    : accumulators[a][l]
                #expect(s.accumulators[a][l] == want, "a\(a)[\(l)]: \(String(UInt32(bitPattern: s.accumulators[a][l]), radix: 16)), expected \(String(UInt32(bitPattern: want), radix: 16))")
            }
        }
        #expect(s.scalars[1] == UInt32(Self.tileAt + 2 * config.rows * vlen))
        #expect(s.scalars[2] == UInt32(Self.vectorsAt(vlen) + 2 * n * vlen))
    }

    /// Seeded binary16 values: +-0.0, subnormals, and normals from 2^-7 to 2^8 of both signs
    /// (their products and sums round in float32).
    static func randomHalf(_ rng: inout SplitMix64) -> UInt16 {
        let sign: UInt16 = rng.next() % 2 == 0 ? 0 : 0x8000
        switch rng.next() % 10 {
        case 0: return sign
        case 1: return sign | UInt16(1 + rng.next() % 0x3FF)
        default: return sign | UInt16(8 + rng.next() % 16) << 10 | UInt16(rng.next() % 0x400)
        }
    }

    /// Seeded float32 accumulator lanes: -0.0 in lane 0, a NaN with a payload in lane 1 (the
    /// result is the canonical NaN), finite values elsewhere.
    static func randomAccumulators(_ rng: inout SplitMix64, vlen: Int) -> [[Int32]] {
        var accumulators: [[Int32]] = []
        for _ in 0..<8 {
            var lanes: [Int32] = [Int32(bitPattern: 0x8000_0000), Int32(bitPattern: 0x7FC1_2345)]
            while lanes.count < vlen {
                let sign = UInt32(rng.next() % 2) << 31, exponent = UInt32(110 + rng.next() % 30) << 23
                lanes.append(Int32(bitPattern: sign | exponent | UInt32(rng.next() % (1 << 23))))
            }
            accumulators.append(Array(lanes.prefix(vlen)))
        }
        return accumulators
    }

    struct Case: CustomTestStringConvertible, Sendable {
        var op: Opcode, vlen: Int, rows: Int, vl: Int, n: Int
        var testDescription: String { "\(op.mnemonic) VLEN \(vlen) ROWS \(rows) vl \(vl) N \(n)" }
    }

    /// Full and ragged vl (and vl = 0: every lane below ROWS gets +0.0 added, so -0.0
    /// becomes +0.0), N = 1 and N = 8, the default machine and odd VLEN/ROWS.
    @Test(arguments: [
        Case(op: .hgemm, vlen: 64, rows: 32, vl: 64, n: 1), Case(op: .hgemm, vlen: 64, rows: 32, vl: 64, n: 8),
        Case(op: .hgemz, vlen: 64, rows: 32, vl: 64, n: 8), Case(op: .hgemm, vlen: 64, rows: 32, vl: 37, n: 8),
        Case(op: .hgemz, vlen: 64, rows: 32, vl: 37, n: 1), Case(op: .hgemm, vlen: 64, rows: 32, vl: 0, n: 3),
        Case(op: .hgemm, vlen: 5, rows: 3, vl: 5, n: 8), Case(op: .hgemz, vlen: 5, rows: 3, vl: 2, n: 4),
        Case(op: .hgemm, vlen: 65, rows: 33, vl: 65, n: 8), Case(op: .hgemz, vlen: 65, rows: 33, vl: 64, n: 2),
    ])
    func valuesAgainstAReferenceWrittenHere(_ c: Case) throws {
        var rng = SplitMix64(seed: 0x4647_4D4D ^ UInt64(c.vlen * 1000 + c.vl * 10 + c.n))
        let config = Self.config(vlen: c.vlen, rows: c.rows)
        let tile = (0..<(c.rows * c.vlen)).map { _ in Self.randomHalf(&rng) }
        let vectors = (0..<c.n).map { _ in (0..<c.vlen).map { _ in Self.randomHalf(&rng) } }
        let accumulators = Self.randomAccumulators(&rng, vlen: c.vlen)
        let run = try product(c.op, config: config, vl: c.vl, tile: tile, vectors: vectors, accumulators: accumulators)
        check(run, c.op, config: config, vl: c.vl, tile: tile, vectors: vectors, accumulators: accumulators)
    }

    /// Infinities (vl = 4, one vector 0, 2, 1, 1): +inf * 0 is NaN; +inf * 2 is +inf; +inf
    /// and -inf in one row sum to NaN; -inf + 1 is -inf; the other rows are zero.
    @Test func infinitiesAndNaN() throws {
        let config = Self.config()
        var tile = [UInt16](repeating: 0, count: 32 * 64)
        tile[0] = 0x7C00                                  // row 0: +inf * 0
        tile[64 + 1] = 0x7C00                             // row 1: +inf * 2
        tile[128 + 1] = 0x7C00; tile[128 + 2] = 0xFC00    // row 2: +inf * 2 + -inf * 1
        tile[192 + 1] = 0xFC00; tile[192 + 3] = 0x3C00   // row 3: -inf * 2 + 1 * 1
        let vector: [UInt16] = [0, 0x4000, 0x3C00, 0x3C00] + [UInt16](repeating: 0x3C00, count: 60)
        let accumulators = [[Int32]](repeating: [Int32](repeating: 0, count: 64), count: 8)
        let run = try product(.hgemm, config: config, vl: 4, tile: tile, vectors: [vector], accumulators: accumulators)
        check(run, .hgemm, config: config, vl: 4, tile: tile, vectors: [vector], accumulators: accumulators)
        let a7 = run.actual.accumulators[7]
        #expect(a7[0] == 0x7FC0_0000 && a7[1] == 0x7F80_0000 && a7[2] == 0x7FC0_0000)
        #expect(UInt32(bitPattern: a7[3]) == 0xFF80_0000 && a7[4] == 0)
    }

    /// ISA.md 7.8's examples: a row of 1.0 times lanes 1.0 ... 64.0 gives 2080.0 (hgemm onto
    /// +0.0, hgemz over anything); 65504.0 * 65504.0 with vl = 1 is 4290774016.0, 0x4F7FC004.
    @Test func theDocumentedExamples() throws {
        let config = Self.config()
        let ones = [UInt16](repeating: 0x3C00, count: 32 * 64), lanes = (1...64).map(Self.half)
        var accumulators = [[Int32]](repeating: [Int32](repeating: 0, count: 64), count: 8)
        let sum = try product(.hgemm, config: config, vl: 64, tile: ones, vectors: [lanes], accumulators: accumulators)
        #expect(sum.actual.accumulators[7][0] == Int32(bitPattern: Float(2080).bitPattern))
        accumulators[7] = [Int32](repeating: Int32(bitPattern: 0xBF80_0000), count: 64)   // -1.0
        let over = try product(.hgemz, config: config, vl: 64, tile: ones, vectors: [lanes], accumulators: accumulators)
        #expect(over.actual.accumulators[7][31] == Int32(bitPattern: Float(2080).bitPattern))
        #expect(over.actual.accumulators[7][32] == Int32(bitPattern: 0xBF80_0000))
        let max = [UInt16](repeating: 0x7BFF, count: 32 * 64)
        let square = try product(.hgemz, config: config, vl: 1, tile: max, vectors: [max.prefix(64).map { $0 }], accumulators: accumulators)
        #expect(square.actual.accumulators[7][0] == Int32(bitPattern: 0x4F7F_C004))
        #expect(Float(bitPattern: 0x4F7F_C004) == 4_290_774_016)
    }

    // MARK: A tile of zeros (the simulator's shortcut) against the general path

    /// A tile of zeros of both signs times finite vectors: every tree is +0.0, so hgemm
    /// leaves 1.5 and -inf alone, turns -0.0 into +0.0 and a NaN with a payload into the
    /// canonical NaN, and hgemz writes +0.0.
    @Test(arguments: [Opcode.hgemm, .hgemz])
    func aTileOfZeros(_ op: Opcode) throws {
        let config = Self.config()
        var rng = SplitMix64(seed: 0x2E50)
        let tile = (0..<(32 * 64)).map { $0 % 3 == 0 ? UInt16(0x8000) : 0 }
        let vectors = (0..<8).map { _ in (0..<64).map { _ in Self.randomHalf(&rng) } }
        var accumulators = Self.randomAccumulators(&rng, vlen: 64)
        for a in 0..<8 { accumulators[a][2] = Int32(bitPattern: Float(1.5).bitPattern); accumulators[a][3] = Int32(bitPattern: 0xFF80_0000) }
        let run = try product(op, config: config, vl: 64, tile: tile, vectors: vectors, accumulators: accumulators)
        check(run, op, config: config, vl: 64, tile: tile, vectors: vectors, accumulators: accumulators)
        for a in 0..<8 {
            let lanes = run.actual.accumulators[a]
            if op == .hgemz {
                #expect(lanes[0..<32].allSatisfy { $0 == 0 })
            } else {
                #expect(lanes[0] == 0 && lanes[1] == 0x7FC0_0000)
                #expect(lanes[2] == Int32(bitPattern: Float(1.5).bitPattern) && UInt32(bitPattern: lanes[3]) == 0xFF80_0000)
            }
        }
    }

    /// A tile of zeros times a vector with a NaN or an infinity in lane 5: 0 * NaN and
    /// 0 * inf are NaN, so every row is NaN.
    @Test(arguments: [UInt16(0x7E00), 0x7C00, 0xFC00, 0x7C01])
    func aTileOfZerosTimesANonFiniteLane(_ special: UInt16) throws {
        let config = Self.config()
        let tile = [UInt16](repeating: 0, count: 32 * 64)
        var vector = [UInt16](repeating: 0x3C00, count: 64)
        vector[5] = special
        let accumulators = [[Int32]](repeating: [Int32](repeating: 0, count: 64), count: 8)
        let run = try product(.hgemm, config: config, vl: 64, tile: tile, vectors: [vector], accumulators: accumulators)
        check(run, .hgemm, config: config, vl: 64, tile: tile, vectors: [vector], accumulators: accumulators)
        #expect(run.actual.accumulators[7][0..<32].allSatisfy { $0 == 0x7FC0_0000 })
    }

    /// The same sums by both paths: with vl = 60, a tile of zeros (the shortcut) and a tile
    /// that is zero in lanes below 60 but not in lanes 60 ... 63 (which vl leaves out, and
    /// which keep the simulator off the shortcut) give the same bits in every lane, on
    /// accumulators holding -0.0, a NaN with a payload, infinities and finite values.
    @Test(arguments: [Opcode.hgemm, .hgemz])
    func theShortcutGivesTheGeneralPathsBits(_ op: Opcode) throws {
        let config = Self.config()
        var rng = SplitMix64(seed: 0x5407)
        let zeros = (0..<(32 * 64)).map { $0 % 2 == 0 ? UInt16(0x8000) : 0 }
        let padded = zeros.enumerated().map { $0.offset % 64 >= 60 ? UInt16(0x3C00) : $0.element }
        let vectors = (0..<4).map { _ in (0..<64).map { _ in Self.randomHalf(&rng) } }
        var accumulators = Self.randomAccumulators(&rng, vlen: 64)
        for a in 0..<8 { accumulators[a][4] = Int32(bitPattern: 0x7F80_0000); accumulators[a][5] = Int32(bitPattern: 0x8000_0000) }
        let shortcut = try product(op, config: config, vl: 60, tile: zeros, vectors: vectors, accumulators: accumulators)
        let general = try product(op, config: config, vl: 60, tile: padded, vectors: vectors, accumulators: accumulators)
        check(shortcut, op, config: config, vl: 60, tile: zeros, vectors: vectors, accumulators: accumulators)
        #expect(shortcut.actual.accumulators == general.actual.accumulators)
    }

    // MARK: Timing (ISA.md 6.12)

    /// ISA.md 6.12's FP16 example: tile 0 all 1.0, tile 4096 all 0.5, at asram 256 vector j
    /// (j = 0 ... 15, 128 bytes each) with every lane j + 1.
    static let example = """
            addi r2, r0, 256
            hgemz a0, a7, r1, r2
            hgemm a0, a7, r1, r2
            sw r0, [r0 + 1276]
            fsum r3, a0
            halt
            """
    static var exampleWeights: [UInt8] { bytes([UInt16](repeating: 0x3C00, count: 2048) + [UInt16](repeating: 0x3800, count: 2048)) }
    static var exampleVectors: [UInt8] { [UInt8](repeating: 0, count: 256) + bytes((0..<16).flatMap { j in [UInt16](repeating: half(j + 1), count: 64) }) }

    /// The example's cycles, derived by hand from 6.12 (default machine: 32 x 8-byte weight
    /// banks, 16 x 8-byte activation banks, VLEN 64, ROWS 32): a 4096-byte tile is 512 words,
    /// 16 in each weight bank, so 16 cycles; a 128-byte vector at a multiple of 128 is one
    /// word in each activation bank, 1 cycle, 8 for N = 8; k = max(16, 8) = 16.
    /// - pc 0 issues at 0, r2 ready at 1.
    /// - pc 1 (hgemz) issues at 1; start max(1, 0, 0 - 18) = 1, array 1 ... 16, end 17;
    ///   a0 ... a7 ready at 16 + 2 + 1 + 2 = 21.
    /// - pc 2 (hgemm) issues at 2; start max(2, 17, 21 - (15 + 3)) = 17, array 17 ... 32,
    ///   end 33; a0 ... a7 ready at 37.
    /// - pc 3 (sw into 1276 ... 1279, the last bytes of pc 1's vectors 256 ... 1279) could
    ///   issue at 3 and waits for 17: array 14.
    /// - pc 4 (fsum r3, a0) could issue at 18 and waits for a0 at 37: data 19; r3 ready at 39.
    /// - pc 5 (halt) could issue at 38 and waits for r3: drain 1. Cycles 39 + 1 = 40.
    /// Values: a_n[r] = 64(n + 1) * 1.0 + 64 * 0.5 * (n + 9) = 96n + 352 for r < 32, exact;
    /// r3 = 32 * 352 = 11264.0; r1 = 2 * 4096, r2 = 256 + 2 * 8 * 128.
    @Test func theDocumentedExample() throws {
        let timed = try Run(Self.example, config: MatrixGEMMTests.config)
        #expect(timed.issues == [0, 1, 2, 17, 37, 39])
        #expect(timed.stalls == [.array: 14, .data: 19, .drain: 1])
        #expect(timed.cycles == 40)
        #expect(timed.trace.filter { $0.arrayEnd >= 0 }.map { [$0.arrayStart, $0.arrayEnd] } == [[1, 17], [17, 33]])
        var image = try differentialAssemble(Self.example)
        image.weightData = Self.exampleWeights
        image.activationData = Self.exampleVectors
        let s = try #require(runDifferential(image, config: MatrixGEMMTests.config, context: "hgemm example")).actual
        #expect(s.trap == nil && s.cycles == 40)
        #expect(s.stalls.filter { $0.value > 0 } == ["array": 14, "data": 19, "drain": 1])
        #expect(s.scalars[1] == 8192 && s.scalars[2] == 2304)
        #expect(s.scalars[3] == Float(11264).bitPattern)
        for n in 0..<8 {
            #expect(s.accumulators[n][0..<32].allSatisfy { $0 == Int32(bitPattern: Float(96 * n + 352).bitPattern) })
            #expect(s.accumulators[n][32..<64].allSatisfy { $0 == 0 })
        }
    }

    /// The weight port caps the FP16 array (6.12): with 32 weight banks an hgemm over 8
    /// vectors takes k = max(16, 8) = 16 array cycles (1 ... 16, end 17, accumulators ready
    /// at 21, halt at 21, 22 cycles); with 64 banks the tile's 512 words are 8 per bank, so
    /// k = max(8, 8) = 8 (end 9, ready at 13, halt at 13, 14 cycles): the array's peak.
    @Test(arguments: [(32, 17, 22), (64, 9, 14)])
    func aWiderWeightPortFeedsTheFP16Array(_ banks: Int, _ end: Int, _ cycles: Int) throws {
        var config = MatrixGEMMTests.config
        config.weightSRAM.banks = banks
        let timed = try Run("""
            addi r2, r0, 256
            hgemz a0, a7, r1, r2
            halt
            """, config: config)
        #expect(timed.trace.filter { $0.arrayEnd >= 0 }.map { [$0.arrayStart, $0.arrayEnd] } == [[1, end]])
        #expect(timed.cycles == cycles)
        #expect(timed.stalls == [.drain: end + 4 - 2])
    }

    /// Stores wait for the product's own bytes (6.12): with vl = 10 and N = 2 at 256, the
    /// vectors are 256 ... 256 + 128 + 20 - 1 = 403 and the tile 0 ... 4095. The product
    /// issues at 3 (r2 ready), k = max(16, 1 + 1) = 16, array 3 ... 18, end 19, a0 and a1
    /// ready at 23. A store into 403 or a trit row into 4083 ... 4095 could issue at 4 and
    /// waits for 19 (array 15, halt drains 3); one at 404 or 4096 issues at 4 (halt drains
    /// 18). 24 cycles either way.
    @Test(arguments: [("sb r0, [r0 + 403]", 19), ("sb r0, [r0 + 404]", 4), ("stt t0, [r0 + 4083]", 19), ("stt t0, [r0 + 4096]", 4)])
    func storesWaitForTheProductsRealBytes(_ store: String, _ issue: Int) throws {
        let source = """
            addi r3, r0, 10
            setvl r0, r3
            addi r2, r0, 256
            hgemm a0, a1, r1, r2
            \(store)
            halt
            """
        let timed = try Run(source, config: MatrixGEMMTests.config)
        #expect(timed.issues == [0, 1, 2, 3, issue, 23])
        #expect(timed.stalls == (issue == 19 ? [.array: 15, .drain: 3] : [.drain: 18]))
        let run = try #require(runDifferential(try differentialAssemble(source), config: MatrixGEMMTests.config, context: store))
        #expect(run.actual.cycles == 24)
    }

    // MARK: Traps (ISA.md 7.8)

    /// Checked before anything changes (the accumulators keep their values, the pointers do
    /// not move): the tile past the end of the weight SRAM, then the last vector past the end
    /// of the activation SRAM (N = 4: 3 * 128 + 2 * vl bytes). Both SRAMs hold 1.0 (bytes
    /// 0x00, 0x3C) everywhere, so a product that ran would change a4: to vl * 1.0 from even
    /// addresses; odd addresses are fine too, and read the halves 0x003C = 60 * 2^-24, whose
    /// products 3600 * 2^-48 are exact in float32, so a4 gets vl * 3600 * 2^-48.
    @Test(arguments: [64, 10])
    func trapsBeforeAnyChange(_ vl: Int) throws {
        let config = MatrixGEMMTests.config
        let wsramSize = config.weightSRAM.size, asramSize = config.activationSRAM.size
        func outcome(_ tile: Int, _ vectors: Int, sum: Float = 0) throws -> String? {
            var image = try differentialAssemble("""
                addi r3, r0, \(vl)
                setvl r0, r3
                lui r1, \(tile >> 16)
                ori r1, r1, \(tile & 0xFFFF)
                lui r2, \(vectors >> 16)
                ori r2, r2, \(vectors & 0xFFFF)
                hgemm a4, a7, r1, r2
                halt
                """)
            image.weightData = Self.bytes([UInt16](repeating: 0x3C00, count: wsramSize / 2))
            image.activationData = Self.bytes([UInt16](repeating: 0x3C00, count: asramSize / 2))
            let run = try #require(runDifferential(image, config: config, context: "hgemm traps"))
            guard let trap = run.actual.trap else {
                #expect(run.actual.accumulators[4][0] == Int32(bitPattern: sum.bitPattern))
                return nil
            }
            #expect(trap.pc == 6)
            #expect(run.actual.scalars[1] == UInt32(tile) && run.actual.scalars[2] == UInt32(vectors))
            #expect(run.actual.accumulators[4][0] == 0 && run.actual.accumulators[6][0] == 0)
            return trap.cause
        }
        let fits = asramSize - 3 * 128 - 2 * vl
        #expect(try outcome(wsramSize - 4096, fits, sum: Float(vl)) == nil)
        #expect(try outcome(wsramSize - 4097, fits - 1, sum: Float(vl * 3600) * 0x1p-48) == nil)
        #expect(try outcome(wsramSize - 4095, 0) == "outOfBounds")
        #expect(try outcome(0, fits + 1) == "outOfBounds")
    }

    /// E below D is no instruction (ISA.md 5.2 rule 6): the assembler rejects it like mgemm's.
    @Test(arguments: [Opcode.hgemm, .hgemz])
    func anEmptyAccumulatorRangeDoesNotAssemble(_ op: Opcode) {
        #expect(throws: DifferentialAssemblyFailure.self) { try differentialAssemble("\(op.mnemonic) a3, a2, r1, r2\nhalt") }
        #expect(throws: Never.self) { try differentialAssemble("\(op.mnemonic) a3, a3, r1, r2\nhalt") }
    }
}
