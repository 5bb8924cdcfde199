import NMPISA
import NMPSimulator
import Testing

/// `mgemm` (ISA.md 7.8, 6.12): one weight-SRAM tile times 8 - D int8 vectors VLEN bytes
/// apart, each into its own accumulator, and both pointers advanced. The values and cycles
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
            mgemm a0, r1, r2
            mgemm a0, r1, r2
            mgemm a4, r1, r2
            fcvt a4, a4
            halt
            """

    /// ISA.md 6.12's example, line by line. Values: a row's sum over 64 lanes of a vector of
    /// lanes v is +-64v. The first two mgemm give a_n (n < 8) the vectors n + 1 and n + 9, the
    /// third gives a4 ... a7 also the vectors 17 ... 20: even rows of a_n hold 64(2n + 10) for
    /// n < 4 and 64(2n + 10 + n + 13) = 64(3n + 23) for n >= 4 (odd rows the negatives); a4
    /// is then converted to float32. Pointers: r1 = 3 * 416 = 1248, r2 = 64 + (8 + 8 + 4) * 64 = 1344.
    @Test func theDocumentedExample() throws {
        let run = try run(Self.example)
        let s = run.actual
        #expect(s.trap == nil)
        #expect(s.cycles == 30)
        #expect(s.stalls.filter { $0.value > 0 } == ["sramPort": 17, "data": 4, "drain": 2])
        #expect(s.retired == 7)
        #expect(s.scalars[1] == 1248 && s.scalars[2] == 1344)
        for n in 0..<4 {
            #expect(s.accumulators[n][0] == Int32(64 * (2 * n + 10)))
            #expect(s.accumulators[n][1] == -Int32(64 * (2 * n + 10)))
            #expect(s.accumulators[n][31] == -Int32(64 * (2 * n + 10)))
            #expect(s.accumulators[n][32] == 0)   // lanes ROWS ... VLEN-1 unchanged
        }
        for n in 5..<8 {
            #expect(s.accumulators[n][30] == Int32(64 * (3 * n + 23)))
            #expect(s.accumulators[n][31] == -Int32(64 * (3 * n + 23)))
        }
        #expect(s.accumulators[4][0] == Int32(bitPattern: Float(64 * 35).bitPattern))
    }

    /// The issue cycles of the example and who waits: the third mgemm's four vectors take 4
    /// cycles, so fcvt a4 waits for a4's 18 + 3 + 5 = 26.
    @Test func issueCyclesOfTheExample() throws {
        let run = try Run(Self.example, config: Self.config)
        #expect(run.issues == [0, 1, 2, 10, 18, 26, 29])
    }

    /// A read of the accumulators right after an mgemm waits for all of them; a second mgemm
    /// on them does not: one vector (a7, N = 1), so k = max(2 tile cycles, 1) = 2, cycles
    /// 1 ... 2; a7 ready at 2 + 5 = 7. The next mgemm a7 could issue at 3 and reads a7 at
    /// 3 + 1 + 3 = 7 >= 7: no stall (k = 2 again: 3 ... 4, a7 ready at 9). `asum r3, a7`
    /// could issue at 5 and waits for 9 (data 4); r3 is ready at 11 and halt waits for it.
    @Test func backToBackAndAReader() throws {
        let run = try run("""
            addi r2, r0, 64
            mgemm a7, r0, r2
            mgemm a7, r0, r2
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
            mgemm a7, r0, r2
            mgemm a7, r0, r2
            asum r3, a7
            halt
            """, config: Self.config)
        #expect(timed.issues == [0, 1, 3, 9, 11])
        #expect(timed.stalls == [.sramPort: 2, .data: 4, .drain: 1])
    }

    /// With vl = 37 only lanes below 37 count (+-37 per vector), vectors still VLEN apart, and
    /// lanes ROWS ... are untouched; with vl = 0 the accumulators do not change.
    @Test(arguments: [(37, 37), (0, 0)])
    func partialVectorLength(_ vl: Int, _ perLane: Int) throws {
        let run = try run("""
            addi r3, r0, \(vl)
            setvl r0, r3
            addi r2, r0, 64
            mgemm a6, r0, r2
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
            mgemm a7, r1, r1
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
                mgemm a4, r1, r2
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
