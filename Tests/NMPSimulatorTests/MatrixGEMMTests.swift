import NMPISA
import NMPSimulator
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
