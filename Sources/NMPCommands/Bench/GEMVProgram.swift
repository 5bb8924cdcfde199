import NMPISA
import NMPRuntime
import NMPSimulator

/// A ternary GEMV y = W x as a microprogram: W (rows x columns trits) packed tile by tile
/// in DRAM and streamed into the weight SRAM one row block at a time with double-buffered
/// DMA; x (int8) and y (int32) in the activation SRAM. The benchmark's workload.
struct GEMVProgram {
    let rows: Int
    let columns: Int
    let config: MachineConfig

    /// Row blocks of ROWS rows and column chunks of VLEN trits (both must divide exactly).
    var rowBlocks: Int { rows / config.rows }
    var chunks: Int { columns / config.vlen }
    var blockBytes: Int { chunks * config.tileBytes }
    /// Activation SRAM layout: x at 0, y after it (4-byte aligned).
    var xAddress: Int { 0 }
    var yAddress: Int { (columns + 63) / 64 * 64 }

    /// The largest rows x columns: 2^28 int8 weights (256 MiB) on the host.
    static let maxWeights = 1 << 28

    enum ShapeError: Error, CustomStringConvertible {
        case shape(String)
        var description: String { if case .shape(let s) = self { s } else { "" } }
    }

    init(rows: Int, columns: Int, config: MachineConfig) throws(ShapeError) {
        self.rows = rows
        self.columns = columns
        self.config = config
        guard rows > 0, columns > 0, rows.multipliedReportingOverflow(by: columns).partialValue <= Self.maxWeights,
              rows <= Self.maxWeights, columns <= Self.maxWeights else {
            throw .shape("the benchmark GEMV has at most \(Format.count(Self.maxWeights)) weights (rows x columns; the native kernel holds them as int8 in host memory)")
        }
        guard rows % config.rows == 0, columns % config.vlen == 0 else {
            throw .shape("the benchmark GEMV needs rows a multiple of ROWS (\(config.rows)) and columns a multiple of VLEN (\(config.vlen))")
        }
        guard 2 * blockBytes <= config.weightSRAM.size else {
            throw .shape("two row blocks of \(blockBytes) bytes do not fit the \(config.weightSRAM.size)-byte weight SRAM")
        }
        guard yAddress + 4 * rows <= config.activationSRAM.size else {
            throw .shape("x and y (\(yAddress + 4 * rows) bytes) do not fit the \(config.activationSRAM.size)-byte activation SRAM")
        }
        guard rowBlocks * blockBytes <= config.dramSize else { throw .shape("the packed weights do not fit in DRAM") }
        guard yAddress + 4 * rows <= 32767 && 2 * blockBytes <= 1 << 31 else {
            throw .shape("the activation layout exceeds the 16-bit immediates the generator uses")
        }
    }

    /// The weights packed for DMA in the compiler's tile order (`WeightPacker`): row block
    /// by row block, each its chunks' tiles in order. `weights` is row-major rows x columns,
    /// values -1/0/+1.
    func packedWeights(_ weights: [Int8]) -> [UInt8] {
        WeightPacker.tiles(weights, rows: rows, columns: columns, config: config)
    }

    /// The program text. Registers: r1 DRAM address of the next block, r2 block bytes,
    /// r3 buffer being computed, r4 the other buffer, r5 x pointer, r6 y pointer, r7 chunk
    /// count, r8 blocks still to prefetch, r9 ROWS, r10 VLEN, r11 tile bytes, r12 block count, r15 index of the last block.
    func source() -> String {
        """
        ; ternary GEMV \(rows) x \(columns): y = W x, W streamed from DRAM by row block
        .packing \(config.packing.rawValue)
        .require vlen, \(config.vlen)
        .require rows, \(config.rows)
        .text
                lui   r2, \(blockBytes >> 16)
                ori   r2, r2, \(blockBytes & 0xFFFF)      ; bytes per row block
                add   r4, r0, r2                  ; second buffer at blockBytes
                addi  r9, r0, \(config.rows)
                addi  r10, r0, \(config.vlen)
                addi  r11, r0, \(config.tileBytes)
                addi  r7, r0, \(chunks)
                addi  r6, r0, \(yAddress)
                dmaw  r0, r0, r2                  ; block 0 -> buffer 0
                add   r1, r0, r2                  ; DRAM address of block 1
                addi  r12, r0, \(rowBlocks)
                addi  r15, r0, \(rowBlocks - 1)
                setvl r0, r10
                loop  r12, blocks_end
                ; prefetch the next block into the other buffer unless this is the last
                beq   r8, r15, no_prefetch
                dmaw  r4, r1, r2
                add   r1, r1, r2
                dwait 1
                beq   r0, r0, prefetched
        no_prefetch:
                dwait 0
        prefetched:
                azero a0
                add   r13, r0, r3                 ; tile pointer
                addi  r5, r0, \(xAddress)
                loop  r7, chunks_end
                ldm   m0, [r13]
                ldv   v0, [r5]
                mmac  a0, m0, v0
                add   r13, r13, r11
                add   r5, r5, r10
        chunks_end:
                setvl r0, r9
                sta   a0, [r6]
                setvl r0, r10
                addi  r6, r6, \(4 * config.rows)
                xor   r14, r3, r4                 ; swap buffers
                xor   r3, r3, r14
                xor   r4, r4, r14
                addi  r8, r8, 1
        blocks_end:
                halt
        """
    }
}
