// mmac's two paths against the reference machine: the lookup tables per int8 vector
// (VectorTables, vl = VLEN) and the unpacking path (another vl, or a shape the tables do not
// serve). Tiles hold random codes including their padding digits; every vector is used
// several times, with vl changing in between, a matrix register is reloaded and read back,
// and enough distinct vectors go by to empty the table pool more than once.

import NMPISA
import NMPSimulator
import NMPSupport
import NMPTrits
import Testing

@Suite("mmac through lookup tables")
struct TableMACTests {
    static let configs: [(String, MachineConfig)] = {
        func config(_ vlen: Int, _ rows: Int, _ packing: TritPacking) -> MachineConfig {
            var c = MachineConfig()
            c.dramSize = 1 << 16
            c.vlen = vlen; c.rows = rows; c.packing = packing
            return c
        }
        return [("default", config(64, 32, .base3)), ("2bit", config(64, 32, .twoBit)),
                ("vlen 7 rows 4", config(7, 4, .base3)), ("vlen 13 rows 13 2bit", config(13, 13, .twoBit)),
                ("vlen 65 rows 33", config(65, 33, .base3)), ("vlen 4 rows 4", config(4, 4, .base3)),
                ("vlen 7 rows 3 (no tables: few rows)", config(7, 3, .base3)),
                ("vlen 1030 rows 4 (no tables: large VLEN)", config(1030, 4, .base3))]
    }()

    /// `count` random valid codes of `packing`, padding digits included.
    static func codes(_ count: Int, packing: TritPacking, rng: inout SplitMix64) -> [UInt8] {
        (0..<count).map { _ in
            switch packing {
            case .base3: UInt8(rng.next() % 243)
            case .twoBit: (0..<4).reduce(UInt8(0)) { $0 | UInt8(rng.next() % 3) << (2 * $1) }
            }
        }
    }

    @Test("random tiles and vectors, repeated, with vl changes", arguments: 0..<configs.count)
    func randomTiles(_ index: Int) throws {
        let (name, config) = Self.configs[index]
        var rng = SplitMix64(seed: UInt64(index) &+ 77)
        let tile = config.tileBytes, vlen = config.vlen
        // Four tiles in the weight SRAM, six vectors in the activation SRAM.
        let wdata = Self.codes(4 * tile, packing: config.packing, rng: &rng)
        let adata = (0..<6 * vlen).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
        let source = """
            addi r1, r0, \(vlen)
            addi r2, r0, \(max(1, vlen / 2))
            addi r3, r0, \(tile)
            addi r7, r0, 3
            addi r6, r0, 0
            ldm m1, [r0]
            loop r7, outer_end
            add r4, r0, r0          ; tile pointer
            add r5, r6, r0          ; vector pointer
            addi r8, r0, 4
            loop r8, inner_end
            ldm m0, [r4]
            ldv v0, [r5]
            ldv v1, [r5 + \(vlen)]
            mmac a0, m0, v0
            mmac a1, m0, v1
            mmac a2, m1, v0
            setvl r0, r2
            mmac a3, m0, v1
            setvl r0, r1
            mmac a4, m0, v1
            add r4, r4, r3
            add r5, r5, r1
            inner_end:
            ldm m2, [r4 - \(tile)]
            mmac a5, m2, v0
            addi r6, r6, 1
            outer_end:
            halt
            .wdata
            .byte \(wdata.map(String.init).joined(separator: ", "))
            .adata
            .byte \(adata.map(String.init).joined(separator: ", "))
            """
        let image = try differentialAssemble(source, packing: config.packing)
        let run = try #require(runDifferential(image, config: config, context: "table mmac \(name)"))
        #expect(run.expected.trap == nil)
        #expect(run.expected.tritAdd > 0 && run.expected.tritSub > 0 && run.expected.tritSkip > 0)
    }

    @Test("more distinct vectors than the table pool holds", arguments: [TritPacking.base3, .twoBit])
    func poolTurnover(_ packing: TritPacking) throws {
        var config = MachineConfig()
        config.dramSize = 1 << 16
        config.packing = packing
        var rng = SplitMix64(seed: 5)
        let wdata = Self.codes(config.tileBytes, packing: packing, rng: &rng)
        let adata = (0..<2048).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
        // 1,200 vectors at byte offsets 0 ... 1199, each used twice, then all again.
        let source = """
            ldm m0, [r0]
            addi r7, r0, 2
            loop r7, outer_end
            addi r8, r0, 1200
            add r5, r0, r0
            loop r8, inner_end
            ldv v0, [r5]
            mmac a0, m0, v0
            mmac a1, m0, v0
            addi r5, r5, 1
            inner_end:
            nop
            outer_end:
            halt
            .wdata
            .byte \(wdata.map(String.init).joined(separator: ", "))
            .adata
            .byte \(adata.map(String.init).joined(separator: ", "))
            """
        let image = try differentialAssemble(source, packing: packing)
        let run = try #require(runDifferential(image, config: config, context: "table pool \(packing.rawValue)"))
        #expect(run.expected.trap == nil)
    }

    @Test("a trapping ldm keeps the matrix; the Int8 form is unpacked when read")
    func trapKeepsMatrix() throws {
        var config = MachineConfig()
        config.dramSize = 1 << 16
        var rng = SplitMix64(seed: 9)
        var wdata = Self.codes(2 * config.tileBytes, packing: .base3, rng: &rng)
        wdata[config.tileBytes + 100] = 250     // invalid code in the second tile
        let source = """
            ldm m3, [r0]
            ldv v2, [r0]
            mmac a0, m3, v2
            ldm m3, [r0 + \(config.tileBytes)]
            halt
            .wdata
            .byte \(wdata.map(String.init).joined(separator: ", "))
            .adata
            .byte \((0..<64).map { String($0 * 5 % 256) }.joined(separator: ", "))
            """
        let image = try differentialAssemble(source)
        let run = try #require(runDifferential(image, config: config, context: "ldm trap"))
        #expect(run.expected.trap?.cause == "invalidTritCode" && run.expected.trap?.pc == 3)
        let first = try TritPacking.base3.unpack(wdata.prefix(13), count: 64).map(\.rawValue)
        #expect(run.simulator.tritMatrix(3)[0] == first)
    }
}
