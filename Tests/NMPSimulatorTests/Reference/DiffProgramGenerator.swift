// Seeded random programs for the differential tests: straight-line mixes of every opcode
// (the float32 unit on interesting bit patterns: NaNs, infinities, -0.0, subnormals, ties),
// small hardware loops (nested, sharing ends, left early by branches), countdown loops
// with backward branches, forward branches and jumps over junk words, DMA with dwait,
// random memory contents, and - in "risky" programs - occasional misaligned,
// out-of-bounds, invalid-code, illegal-word and DMA-fault cases that end in a trap.

import NMPISA
import NMPSimulator
import NMPTestSupport
import NMPTrits

struct DiffProgramGenerator {
    var rng: SplitMix64
    let config: MachineConfig
    /// Risky programs may trap; safe ones keep every access and transfer legal.
    let risky: Bool
    /// Compact programs crowd every access and transfer into the first few dozen bytes, so
    /// that DMA copies and core accesses overlap (ordering at the end cycle, 6.5).
    let compact: Bool
    var code: [UInt32] = []

    let VLEN: Int, ROWS: Int, ROWBYTES: Int
    /// Base registers r1 ... r5 and their values (never written after the prologue, except by
    /// risky instructions).
    var bases: [Int: Int] = [:]
    /// Regions of the DRAM: valid trit codes in [0, dramValid) (the source of dmaw), dmas
    /// writes to [dmasRegion).
    let dramValid = 2048
    let dmasRegion = 8192..<16384
    /// How deep the current hardware-loop nesting is.
    var loopNesting = 0
    /// Off in the prologue, so that risky programs run for a while before they trap.
    var riskAllowed = false

    init(seed: UInt64, config: MachineConfig) {
        rng = SplitMix64(seed: seed)
        self.config = config
        VLEN = config.vlen
        ROWS = config.rows
        ROWBYTES = config.rowBytes
        var r = SplitMix64(seed: seed ^ 0x5EED)
        risky = r.next() % 10 < 4
        compact = r.next() % 10 < 3
    }

    // MARK: Random helpers

    mutating func int(_ range: ClosedRange<Int>) -> Int {
        range.lowerBound + Int(rng.next() % UInt64(range.upperBound - range.lowerBound + 1))
    }
    mutating func chance(_ p: Double) -> Bool { Double(rng.next() % 1_000_000) < p * 1_000_000 }
    mutating func pick<T>(_ xs: [T]) -> T { xs[int(0...(xs.count - 1))] }

    /// Float32 bit patterns for the scale unit: zeros, ones, ties after rounding (2.5, -3.5,
    /// 0.5, 126.5, 127.5, -128.5), BitNet's constants (127.0, 1e-5), the int8 limits, NaNs
    /// (quiet, signaling, negative, with payloads), infinities, subnormals and the extremes.
    static let interestingFloats: [UInt32] = [
        0x0000_0000, 0x8000_0000,                           // +0.0, -0.0
        0x3F80_0000, 0xBF80_0000, 0x4000_0000, 0x3F00_0000, // 1, -1, 2, 0.5
        0x4020_0000, 0xC060_0000, 0x3FC0_0000, 0xBF00_0000, // 2.5, -3.5, 1.5, -0.5
        0x42FD_0000, 0x42FF_0000, 0xC301_0000, 0x42FE_0000, // 126.5, 127.5, -129, 127
        0xC300_0000, 0xC300_8000, 0x427E_0000, 0x3727_C5AC, // -128, -128.5, 63.5, 1e-5
        0x3DCC_CCCD, 0x3EAA_AAAB, 0x4B00_0001, 0x4EFE_0000, // 0.1, 1/3, 2^23 + 1, 2^31 * 127/128
        0x7F80_0000, 0xFF80_0000,                           // +inf, -inf
        0x7FC0_0000, 0xFFC0_0000, 0x7F80_0001, 0x7FC1_2345, 0xFFBF_FFFF, // NaNs
        0x0000_0001, 0x8000_0001, 0x007F_FFFF, 0x0080_0000, // subnormals, smallest normal
        0x7F7F_FFFF, 0xFF7F_FFFF, 0x0040_0000,              // +-max, a subnormal half
        0x3F80_8000, 0x3F81_8000, 0xBF80_8001,              // bfloat16 ties (to even: down, up), above a tie
        0x3F80_1000, 0x3F80_3000, 0x477F_F000, 0x477F_EFFF, // binary16 ties, 65520 (ties to inf), just below
        0x3300_0000, 0x3300_0001, 0x3380_0000, 0x3880_0000, // 2^-25 (ties to 0 in binary16), above, 2^-24, 2^-14
        0x42B1_7218, 0x42B1_7219, 0xC2CF_F1B5, 0xC2CF_F1B6, // fexp's bounds and their neighbours
        0xC2AE_AC50, 0xC2C8_0000, 0x4120_0000, 0xC120_0000, // exp results near the subnormal range, -100, +-10
    ]

    mutating func interestingFloat() -> UInt32 {
        chance(0.85) ? pick(Self.interestingFloats) : UInt32(truncatingIfNeeded: rng.next())
    }

    /// Interesting 32-bit values for scalar registers.
    mutating func interestingValue() -> UInt32 {
        if chance(0.15) { return interestingFloat() }
        switch int(0...9) {
        case 0: return pick([0, 1, 2, 3, 7, 31, 32, 33, 63, 64, 65])
        case 1: return pick([0x7FFF_FFFF, 0x8000_0000, 0xFFFF_FFFF, 0xFFFF_FFFE, 0x8000_0001])
        case 2: return pick([0x8000, 0xFFFF, 0x1_0000, 0xFFFF_8000, 46341, UInt32(bitPattern: -46341)])
        case 3: return UInt32(truncatingIfNeeded: VLEN + int(-1...1))
        case 4, 5: return UInt32(bitPattern: Int32(int(-100...100)))
        default: return UInt32(truncatingIfNeeded: rng.next())
        }
    }

    // MARK: Emitting

    mutating func emit(_ i: Instruction) { code.append(i.word) }
    mutating func emit(_ op: Opcode, a: Int = 0, b: Int = 0, c: Int = 0, d: Int = 0, imm: Int = 0) {
        emit(Instruction(op, a: UInt8(a), b: UInt8(b), c: UInt8(c), d: UInt8(d), imm: Int32(imm)))
    }

    /// Loads a 32-bit constant: addi, or lui (+ ori).
    mutating func li(_ r: Int, _ value: UInt32) {
        let s = Int(Int32(bitPattern: value))
        if s >= -32768 && s <= 32767 {
            emit(.addi, a: r, b: 0, imm: s)
        } else {
            emit(.lui, a: r, imm: Int(value >> 16))
            if value & 0xFFFF != 0 { emit(.ori, a: r, b: r, imm: Int(value & 0xFFFF)) }
        }
    }

    /// A scalar destination: r0, the loop-count scratch r6 and the data registers r8 ... r15;
    /// risky programs sometimes clobber a base register. r7 (the countdown counter) never.
    mutating func scalarDest() -> Int {
        if risky && chance(0.03) { return int(1...5) }
        return pick([0, 6, 8, 9, 10, 11, 12, 13, 14, 15])
    }
    mutating func dataReg() -> Int { int(8...15) }
    mutating func anyScalar() -> Int { int(0...15) }

    // MARK: Memory operands

    /// Emits a memory instruction moving at most `maxBytes` bytes of `space`. Safe programs
    /// address [base + imm] inside the memory (aligned where required); risky ones sometimes
    /// go past the end, misalign, wrap below 0 or use a random data register as the base.
    /// `fwmacbf` / `fwmachf` at x[rs] + x[rt] in the weight SRAM: an even address that fits
    /// 2 * VLEN bytes, split between two data registers; risky programs sometimes misalign it
    /// or push it past the end.
    mutating func floatWeightMAC(_ op: Opcode) {
        let limit = min(config.weightSRAM.size - 2 * VLEN, compact ? 48 : 4096)
        var ea = int(0...max(0, limit)) & ~1
        if chance(0.3) { ea -= ea % 8 }
        if risky && riskAllowed && chance(0.06) {
            ea = chance(0.5) ? ea + 1 : config.weightSRAM.size - int(0...2 * VLEN)
        }
        let (rs, rt) = (dataReg(), dataReg())
        if rs == rt {
            li(rs, UInt32(ea / 2)); ea = ea / 2 * 2   // x[rs] + x[rs]
        } else {
            let split = int(0...ea)
            li(rs, UInt32(split)); li(rt, UInt32(ea - split))
        }
        emit(op, a: int(0...7), b: int(0...7), c: rs, d: rt)
    }

    /// A float matrix product over ROWS rows at x[rs] + r * x[rt] in the weight SRAM: an
    /// even base and stride (0, contiguous rows, a bank-width multiple or odd sizes) that keep
    /// every row inside; risky programs sometimes misalign the stride or overrun the end.
    mutating func floatMatrix(_ op: Opcode) {
        let size = min(config.weightSRAM.size, 8192)
        var stride = pick([0, 2 * VLEN, 2 * VLEN + 8, 2 * int(1...VLEN), 4 * VLEN, 16])
        while stride > 0 && (ROWS - 1) * stride + 2 * VLEN > size { stride /= 2; stride &= ~1 }
        let span = (ROWS - 1) * stride + 2 * VLEN
        var base = int(0...max(0, size - span)) & ~1
        if risky && riskAllowed && chance(0.06) {
            if chance(0.5) { stride += 1 } else { base = config.weightSRAM.size - int(0...2 * VLEN) }
        }
        let rs = dataReg(), rt = 8 + (rs - 8 + int(1...7)) % 8   // two different registers
        li(rs, UInt32(base))
        li(rt, UInt32(stride))
        emit(op, a: int(0...7), b: int(0...7), c: rs, d: rt)
    }

    /// Ternary GEMM steps: a tile at x[rw] in the weight SRAM and N int8 vectors VLEN bytes
    /// apart from x[rx], both inside their SRAMs (sometimes bank-aligned, sometimes one
    /// register for both pointers); sometimes a burst of up to 5 on advancing pointers, as a
    /// row block's loop issues them, so that the array's queue fills; risky programs
    /// sometimes overrun an end.
    mutating func gemm() {
        let asize = min(config.activationSRAM.size, 4096), wsize = min(config.weightSRAM.size, 4096)
        let count = int(1...min(8, asize / VLEN))
        let span = count * VLEN
        var burst = chance(0.3) ? int(2...5) : 1
        while burst > 1 && (burst * ROWS * ROWBYTES > wsize || burst * span > asize) { burst -= 1 }
        var tile = int(0...max(0, wsize - burst * ROWS * ROWBYTES)), vectors = int(0...max(0, asize - burst * span))
        if chance(0.3) { tile -= tile % 8; vectors -= vectors % 8 }
        if risky && riskAllowed && chance(0.06) {
            if chance(0.5) { tile = config.weightSRAM.size - int(0...ROWS * ROWBYTES) } else { vectors = config.activationSRAM.size - int(0...span) }
        }
        let rw = dataReg(), rx = chance(0.05) && burst == 1 ? rw : 8 + (rw - 8 + int(1...7)) % 8
        li(rw, UInt32(tile))
        if rx != rw { li(rx, UInt32(vectors)) }
        let first = int(0...(8 - count))
        for _ in 0..<burst {
            emit(chance(0.3) ? .mgemz : .mgemm, a: first, b: rw, c: rx, d: first + count - 1)
        }
        // Sometimes something that must wait for the products (ISA.md 6.12): a store or a DMA
        // transfer into the first product's vectors, or a trit row stored into its tile.
        if chance(0.3) {
            let r = 8 + (rw - 8 + int(1...7)) % 8
            switch int(0...2) {
            case 0:
                li(r, UInt32((vectors + int(0...max(0, span - 4))) & ~3))
                emit(.sw, a: anyScalar(), b: r)
            case 1:
                li(r, UInt32(tile + int(0...max(0, ROWS * ROWBYTES - ROWBYTES))))
                emit(.stt, a: int(0...7), b: r)
            default:
                let n = r == 15 ? 14 : 15
                li(r, UInt32(vectors + int(0...max(0, span - 8))))
                li(n, UInt32(int(1...8)))
                emit(.dmaa, a: r, b: 0, c: n)
            }
        }
    }

    /// The FP16 array's products (`hgemm`, `hgemz`, ISA.md 7.8): a tile of 2 * ROWS * VLEN
    /// bytes at x[rw] and N binary16 vectors 2 * VLEN bytes apart from x[rx], inside their
    /// SRAMs. Tiles land on the trit codes (as binary16: a few infinities and NaNs), on the
    /// binary16 values of `halfRegion`, or on zeros past it (the simulator's shortcut for a
    /// zero tile); vectors on the random bytes or on `halfRegion`. Bursts on advancing
    /// pointers, one register for both pointers, and - as for `mgemm` - a store, a trit row
    /// or a DMA transfer into the operands, sometimes followed by the product again (which
    /// then waits for the transfer); risky programs sometimes overrun an end.
    mutating func halfGemm() {
        let tileBytes = 2 * ROWS * VLEN, stride = 2 * VLEN
        let wsize = min(config.weightSRAM.size, 20480), asize = min(config.activationSRAM.size, 8192)
        let count = int(1...max(1, min(8, asize / stride)))
        let span = count * stride
        var burst = chance(0.3) ? int(2...5) : 1
        while burst > 1 && (burst * tileBytes > wsize || burst * span > asize) { burst -= 1 }
        var tile = int(0...max(0, wsize - burst * tileBytes)), vectors = int(0...max(0, min(asize, 4096) - burst * span))
        let (w, a) = (Self.halfRegion(config.weightSRAM.size), Self.halfRegion(config.activationSRAM.size))
        if chance(0.4) && w.count >= burst * tileBytes { tile = w.lowerBound + int(0...(w.count - burst * tileBytes)) }
        if chance(0.5) && a.count >= burst * span { vectors = a.lowerBound + int(0...(a.count - burst * span)) }
        if chance(0.7) { tile &= ~1; vectors &= ~1 }
        if risky && riskAllowed && chance(0.06) {
            if chance(0.5) { tile = config.weightSRAM.size - int(0...tileBytes) } else { vectors = config.activationSRAM.size - int(0...span) }
        }
        // One register for both pointers only where the tile's address also fits the vectors.
        let shared = chance(0.05) && burst == 1 && (risky || tile + span <= config.activationSRAM.size)
        let rw = dataReg(), rx = shared ? rw : 8 + (rw - 8 + int(1...7)) % 8
        let first = int(0...(8 - count))
        func product(_ g: inout DiffProgramGenerator) {
            g.li(rw, UInt32(tile))
            if rx != rw { g.li(rx, UInt32(vectors)) }
            for _ in 0..<burst {
                g.emit(g.chance(0.3) ? .hgemz : .hgemm, a: first, b: rw, c: rx, d: first + count - 1)
            }
        }
        product(&self)
        if chance(0.4) {
            let r = 8 + (rw - 8 + int(1...7)) % 8
            let n = r == 15 ? 14 : 15
            switch int(0...3) {
            case 0:
                li(r, UInt32((vectors + int(0...max(0, span - 4))) & ~3))
                emit(.sw, a: anyScalar(), b: r)
            case 1:
                li(r, UInt32(tile + int(0...max(0, tileBytes - ROWBYTES))))
                emit(.stt, a: int(0...7), b: r)
            case 2:
                li(r, UInt32(vectors + int(0...max(0, span - 8))))
                li(n, UInt32(int(1...8)))
                emit(.dmaa, a: r, b: 0, c: n)
                if chance(0.5) { product(&self) }
            default:
                // Trit codes from DRAM 0 ... into the tile (valid codes wherever they land).
                li(r, UInt32(tile + int(0...max(0, tileBytes - 8))))
                li(n, UInt32(int(1...8)))
                emit(.dmaw, a: r, b: 0, c: n)
                if chance(0.5) { product(&self) }
            }
        }
    }

    /// Where an SRAM of `size` bytes holds binary16 values for the FP16 products: from 4096
    /// (past every other access's window, so that trit loads never meet them) to 12288.
    static func halfRegion(_ size: Int) -> Range<Int> { 4096..<max(4096, min(size, 12288)) }

    /// A binary16 pattern for `halfRegion`: mostly finite values between 2^-6 and 2^7 of
    /// either sign (their float32 sums round), some zeros of both signs and subnormals, and
    /// rarely an infinity, a NaN or an extreme.
    mutating func halfValue() -> UInt16 {
        let sign: UInt16 = chance(0.5) ? 0x8000 : 0
        switch int(0...999) {
        case 0..<3: return pick([0x7C00, 0xFC00, 0x7E00, 0x7C01, 0xFE00])   // infinities, NaNs
        case 3..<8: return sign | pick([0x7BFF, 0x0400, 0x0001, 0x03FF])    // max, min normal, subnormals
        case 8..<60: return sign                                            // +-0.0
        case 60..<100: return sign | UInt16(int(1...0x3FF))                 // subnormals
        default: return sign | UInt16(int(9...21)) << 10 | UInt16(int(0...0x3FF))
        }
    }

    mutating func memoryOp(_ op: Opcode, reg: Int, maxBytes: Int, space: MemorySpace, aligned: Bool) {
        memoryOp(op, reg: reg, maxBytes: maxBytes, space: space, alignment: aligned ? 4 : 1)
    }

    mutating func memoryOp(_ op: Opcode, reg: Int, maxBytes: Int, space: MemorySpace, alignment: Int) {
        let aligned = alignment > 1
        let size = space == .weightSRAM ? config.weightSRAM.size : config.activationSRAM.size
        let limit = min(min(size, 4096) - maxBytes, compact ? 48 : Int.max)
        var ea = int(0...max(0, limit))
        if aligned { ea -= ea % alignment }
        if chance(0.3) { ea -= ea % 8 }   // bank-aligned sometimes
        if risky && riskAllowed && chance(0.04) {
            let imm = int(-64...64)
            switch int(0...4) {
            case 0: ea = size - maxBytes + int(1...8)       // just past the end (in bounds for small vl)
            case 1: ea = size + int(0...100)                // out of bounds
            case 2: ea += aligned ? int(1...(alignment - 1)) : 0   // misaligned
            case 3: ea = 0x1_0000_0000 - int(1...64)        // a negative address: huge EA
            default:                                        // whatever a data register holds
                emit(op, a: reg, b: dataReg(), imm: imm)
                return
            }
            let r = dataReg()
            li(r, UInt32(truncatingIfNeeded: ea - imm))
            emit(op, a: reg, b: r, imm: imm)
            return
        }
        let base = pick([0, 1, 2, 3, 4, 5])
        let imm = ea - (bases[base] ?? 0)
        emit(op, a: reg, b: base, imm: imm)
    }

    mutating func randomMemoryOp() {
        let op = pick([Opcode.lw, .sw, .lb, .sb, .ldv, .stv, .lda, .sta, .ldt, .stt, .ldm, .ldbf, .stbf, .ldhf, .sthf,
                       .fwmacbf, .fwmachf, .fmvbf, .fmvhf, .fvmbf, .fvmhf, .mgemm, .hgemm])
        switch op {
        case .mgemm: gemm()
        case .hgemm: halfGemm()
        case .fwmacbf, .fwmachf: floatWeightMAC(op)
        case .fmvbf, .fmvhf, .fvmbf, .fvmhf: floatMatrix(op)
        case .lw: memoryOp(op, reg: scalarDest(), maxBytes: 4, space: .activationSRAM, aligned: true)
        case .sw: memoryOp(op, reg: anyScalar(), maxBytes: 4, space: .activationSRAM, aligned: true)
        case .lb: memoryOp(op, reg: scalarDest(), maxBytes: 1, space: .activationSRAM, aligned: false)
        case .sb: memoryOp(op, reg: anyScalar(), maxBytes: 1, space: .activationSRAM, aligned: false)
        case .ldv, .stv: memoryOp(op, reg: int(0...7), maxBytes: VLEN, space: .activationSRAM, aligned: false)
        case .lda, .sta: memoryOp(op, reg: int(0...7), maxBytes: 4 * VLEN, space: .activationSRAM, aligned: true)
        case .ldbf, .stbf, .ldhf, .sthf: memoryOp(op, reg: int(0...7), maxBytes: 2 * VLEN, space: .activationSRAM, alignment: 2)
        case .ldt, .stt: memoryOp(op, reg: int(0...7), maxBytes: ROWBYTES, space: .weightSRAM, aligned: false)
        default: memoryOp(op, reg: int(0...3), maxBytes: ROWS * ROWBYTES, space: .weightSRAM, aligned: false)
        }
    }

    // MARK: Instruction mixes

    mutating func randomScalarOp() {
        if chance(0.6) {
            let op = pick([Opcode.add, .sub, .mul, .div, .divu, .and, .or, .xor, .sll, .srl, .sra, .slt, .sltu, .min, .max])
            emit(op, a: scalarDest(), b: anyScalar(), c: anyScalar())
        } else {
            let op = pick([Opcode.addi, .andi, .ori, .xori, .slli, .srli, .srai, .slti, .lui])
            let imm: Int = switch op {
            case .addi, .slti: int(-32768...32767)
            case .slli, .srli, .srai: int(0...31)
            default: int(0...65535)
            }
            emit(op, a: scalarDest(), b: op == .lui ? 0 : anyScalar(), imm: imm)
        }
    }

    mutating func randomVectorOp() {
        let op = pick([Opcode.vmac, .mmac, .sgn, .sgnb, .thr, .tcvt, .azero, .abcast, .awiden,
                       .aadd, .asub, .amul, .arelu, .asq, .amax, .asum, .rq, .vmac, .mmac,
                       .fcvt, .fmuls, .fdivs, .fdq, .famax, .fq, .fdiv, .fmax, .fmul,
                       .fvadd, .fvsub, .fvmul, .fvdiv, .fvmax, .fvmac, .fadds, .fsubs, .fmaxs, .fmacs,
                       .fexp, .fsum, .frmax, .fadd, .fsub, .fsqrt])
        let (x, y, z, w) = (int(0...7), int(0...7), int(0...7), int(0...7))
        switch op {
        case .fcvt: emit(op, a: x, b: y)
        case .fmuls, .fdivs, .fq: emit(op, a: x, b: y, c: anyScalar())
        case .fdq: emit(op, a: x, b: y, c: anyScalar(), d: anyScalar())
        case .famax: emit(op, a: scalarDest(), b: y)
        case .fdiv, .fmax, .fmul, .fadd, .fsub: emit(op, a: scalarDest(), b: anyScalar(), c: anyScalar())
        case .fvadd, .fvsub, .fvmul, .fvdiv, .fvmax, .fvmac: emit(op, a: x, b: y, c: z)
        case .fadds, .fsubs, .fmaxs, .fmacs: emit(op, a: x, b: y, c: anyScalar())
        case .fexp: emit(op, a: x, b: y)
        case .fsum, .frmax: emit(op, a: scalarDest(), b: y)
        case .fsqrt: emit(op, a: scalarDest(), b: anyScalar())
        case .vmac, .aadd, .asub, .amul: emit(op, a: x, b: y, c: z)
        case .mmac: emit(op, a: x, b: int(0...3), c: z)
        case .sgn: emit(op, a: x, b: y, c: anyScalar())
        case .sgnb, .tcvt, .awiden, .arelu, .asq: emit(op, a: x, b: y)
        case .thr: emit(op, a: x, b: y, c: z, d: w)
        case .azero: emit(op, a: x)
        case .abcast: emit(op, a: x, b: anyScalar())
        case .amax, .asum: emit(op, a: scalarDest(), b: y)
        default: emit(op, a: x, b: y, c: anyScalar(), d: anyScalar())   // rq with random M, sh
        }
    }

    mutating func setvlChunk() {
        let r = dataReg()
        let value: UInt32 = switch int(0...7) {
        case 0: 0
        case 1: 1
        case 2: UInt32(VLEN - 1)
        case 3: UInt32(VLEN)
        case 4: UInt32(VLEN + 1)
        case 5: pick([0xFFFF_FFFF, 0x8000_0000])
        default: UInt32(int(0...VLEN))
        }
        li(r, value)
        emit(.setvl, a: pick([0, 0, dataReg()]), b: r)
    }

    mutating func rqChunk() {
        let rm = dataReg(), rsh = dataReg()
        let m: UInt32 = pick([1, 1, UInt32(bitPattern: -1), 3, 3276, 0x7FFF_FFFF, 0x8000_0000, UInt32(int(0...70000))])
        let sh: UInt32 = pick([0, 1, 1, 2, 16, 31, 32, 62, 63, 64, 65, 127, UInt32(int(0...70))])
        li(rm, m)
        li(rsh, sh)
        emit(.rq, a: int(0...7), b: int(0...7), c: rm, d: rsh)
    }

    /// The scale unit on chosen float values: a lane value and a scale from the interesting
    /// floats (abcast, or fcvt of small integers halved to make ties), then a BitNet-like
    /// sequence of famax, fmax, fdiv, fq, fcvt, fdivs and fmuls, or one scalar operation.
    mutating func floatChunk() {
        let (r1, r2, r3) = (dataReg(), dataReg(), dataReg())
        let (acc, acc2, vec) = (int(0...7), int(0...7), int(0...7))
        let first = interestingFloat()
        li(r1, first)
        // The second value is unrelated, the same, the negation (+0.0 / -0.0 for fmax), or zero.
        li(r2, pick([interestingFloat(), interestingFloat(), first, first ^ 0x8000_0000, 0x8000_0000, 0]))
        switch int(0...6) {
        case 5:
            // A softmax-like row: max, subtract, exp, sum, divide, on float lanes (maybe a
            // lane of specials after fvmac/fvmax/fmacs with the chosen values).
            emit(.abcast, a: acc2, b: r1)
            emit(pick([Opcode.fvmax, .fvadd, .fvmac, .fvmul]), a: acc2, b: acc, c: acc2)
            emit(.frmax, a: r3, b: acc2)
            emit(.fsubs, a: acc2, b: acc2, c: r3)
            emit(.fexp, a: acc2, b: acc2)
            emit(.fsum, a: r3, b: acc2)
            emit(pick([Opcode.fdivs, .fmuls]), a: acc2, b: acc2, c: r3)
        case 6:
            // Scalar float and the lane-scalar forms on the chosen values; bf16/fp16 round trips.
            let scalarOp = pick([Opcode.fadd, .fsub, .fsqrt, .fmul])
            emit(scalarOp, a: r3, b: r1, c: scalarOp == .fsqrt ? 0 : r2)
            emit(.abcast, a: acc, b: r1)
            emit(pick([Opcode.fadds, .fsubs, .fmaxs, .fmacs]), a: acc2, b: acc, c: r2)
            emit(.fexp, a: acc, b: acc)
            let base = pick([1, 2, 5])   // activation SRAM bases
            let offset = int(0...16) * 2  // even: half-word aligned
            emit(pick([Opcode.stbf, .sthf]), a: acc2, b: base, imm: offset - (bases[base] ?? 0))
            emit(pick([Opcode.ldbf, .ldhf]), a: acc, b: base, imm: offset - (bases[base] ?? 0))
        case 0:
            emit(.abcast, a: acc, b: r1)
            emit(.fq, a: vec, b: acc, c: r2)
        case 4:
            // x = fl((k + 0.5) / s): x * s lies within an ulp of the tie k + 0.5, so rounding
            // the product to float32 first (as fq must) often decides the integer.
            let scale = Float(pick([3, 5, 6, 7, 10, 11, 13, 100, 127]) as Int) * (chance(0.5) ? 1 : 0.25)
            let k = int(-140...140)
            li(r1, (Float(Double(k) + 0.5) / scale).bitPattern)
            li(r2, scale.bitPattern)
            emit(.abcast, a: acc, b: r1)
            emit(.fq, a: vec, b: acc, c: r2)
        case 1:
            // Small integers -> float -> halved: 2.5, -3.5, ... -> fq by 1.0 rounds ties to even.
            li(r3, UInt32(bitPattern: Int32(int(-300...300))))
            emit(.abcast, a: acc, b: r3)
            emit(.fcvt, a: acc2, b: acc)
            li(r3, 0x3F00_0000)                   // 0.5
            emit(.fmuls, a: acc2, b: acc2, c: r3)
            li(r3, pick([0x3F80_0000, 0x4000_0000, 0x3F00_0000, 0xBF80_0000]))   // 1, 2, 0.5, -1
            emit(.fq, a: vec, b: acc2, c: r3)
        case 2:
            // The BitNet sequence on whatever the accumulator holds.
            emit(.famax, a: r3, b: acc)
            li(r1, 0x3727_C5AC)                   // 1e-5
            emit(.fmax, a: r3, b: r3, c: r1)
            li(r1, 0x42FE_0000)                   // 127.0
            emit(.fdiv, a: r3, b: r1, c: r3)
            emit(.fq, a: vec, b: acc, c: r3)
            emit(.fcvt, a: acc2, b: acc)
            emit(.fdivs, a: acc2, b: acc2, c: r3)
            emit(.fmuls, a: acc2, b: acc2, c: r2)
        default:
            emit(pick([Opcode.fdiv, .fmax, .fmul]), a: scalarDest(), b: r1, c: r2)
            if chance(0.5) { emit(pick([Opcode.fdiv, .fmax, .fmul]), a: scalarDest(), b: r2, c: r1) }
        }
    }

    mutating func dmaChunk() {
        let op = pick([Opcode.dmaw, .dmaa, .dmas])
        let wsize = min(config.weightSRAM.size, compact ? 96 : 4096), asize = min(config.activationSRAM.size, compact ? 96 : 4096)
        var length = compact ? int(0...48) : chance(0.15) ? int(0...min(2000, wsize, asize)) : int(0...300)
        var dst: Int, src: Int
        switch op {
        case .dmaw: dst = int(0...(wsize - length)); src = int(0...((compact ? 64 : dramValid) - length))
        case .dmaa: dst = int(0...(asize - length)); src = int(0...((compact ? 128 : 16384) - length))
        default:
            dst = compact ? int(64...(128 - length)) : int(dmasRegion.lowerBound...(dmasRegion.upperBound - length))
            src = int(0...(asize - length))
        }
        if risky && chance(0.1) {
            switch int(0...3) {
            case 0: dst = 0xFFFF_FF00
            case 1: src = config.dramSize - length + 1
            case 2: length = Int(UInt32.max)
            default: dst = (op == .dmaw ? config.weightSRAM.size : op == .dmaa ? config.activationSRAM.size : config.dramSize) - length + int(0...1)
            }
        }
        let (rd, rs, rn) = (8 + int(0...2), 11 + int(0...2), 14 + int(0...1))
        li(rd, UInt32(truncatingIfNeeded: dst))
        li(rs, UInt32(truncatingIfNeeded: src))
        li(rn, UInt32(truncatingIfNeeded: length))
        emit(op, a: rd, b: rs, c: rn)
        if chance(0.3) { emit(.dwait, imm: int(0...3)) }
    }

    /// One chunk of straight-line code (no control flow).
    mutating func simpleChunk() {
        if compact && chance(0.1) { return dmaChunk() }
        switch int(0...99) {
        case 0..<24: randomScalarOp()
        case 24..<30: li(dataReg(), interestingValue())
        case 30..<36: setvlChunk()
        case 36..<56: randomMemoryOp()
        case 56..<80: randomVectorOp()
        case 80..<85: rqChunk()
        case 85..<90: dmaChunk()
        case 90..<93: emit(.dwait, imm: pick([0, 0, 1, 2, 3, 65535]))
        case 93..<96: floatChunk()
        case 96: emit(.nop)
        default: emit(.setvl, a: 0, b: 0)     // vl = 0
        }
    }

    /// Junk: words that must never execute (skipped by a jump).
    mutating func junkWord() -> UInt32 {
        switch int(0...3) {
        case 0: return UInt32(truncatingIfNeeded: rng.next())
        case 1: return 0x0000_0038 | UInt32(int(0...1)) << 16        // loop with offset 0/1
        case 2: return 0x0000_0862                                   // sgn t8: no such register
        default: return 0xFFFF_FFFF
        }
    }

    // MARK: Control-flow chunks

    /// `loop rc, end` around 1-4 chunks, maybe nested (sharing the end sometimes), maybe
    /// left early by a branch to the end or beyond.
    mutating func hardwareLoop() {
        let rc = pick([6, 6, dataReg()])
        li(rc, pick([0, 1, 1, 2, 2, 3, 3, 5]))
        let loopAt = code.count
        emit(.loop, a: rc, imm: 2)    // patched below
        loopNesting += 1
        var exits: [Int] = []
        var sharedEnd = false
        for _ in 0..<int(1...3) {
            switch int(0...9) {
            case 0 where loopNesting < 3:
                hardwareLoop()
            case 1 where loopNesting < 3:
                // A nested loop that ends where this one ends.
                let rc2 = rc == 6 ? dataReg() : 6
                li(rc2, pick([0, 1, 2, 3]))
                emit(.loop, a: rc2, imm: 2)
                exits.append(-(code.count - 1))   // negative: patch to the shared end
                simpleChunk()
                if chance(0.5) { simpleChunk() }
                sharedEnd = true
            case 2:
                // A branch towards the end (exact end or one past it): leaves the entry on the stack.
                emit(pick([Opcode.beq, .bne, .blt, .bgeu]), a: anyScalar(), b: anyScalar(), imm: 0)
                exits.append(code.count - 1)
            default:
                simpleChunk()
            }
            if sharedEnd { break }
        }
        if code.count == loopAt + 1 { simpleChunk() }
        let end = code.count
        code[loopAt] = Instruction(.loop, a: UInt8(rc), imm: Int32(end - loopAt)).word
        for e in exits {
            if e < 0 {
                let at = -e
                code[at] = Instruction(.loop, a: Instruction(refDecodingOrNop: code[at]).a, imm: Int32(end - at)).word
            } else {
                let inst = try! Instruction(decoding: code[e])
                let target = end + (chance(0.7) ? 0 : 1)
                code[e] = Instruction(inst.opcode, a: inst.a, b: inst.b, imm: Int32(target - e)).word
            }
        }
        loopNesting -= 1
        // The end: one single-word instruction, so that an exit to end + 1 lands at the start
        // of the next chunk (never inside an li sequence).
        randomScalarOp()
    }

    /// A countdown loop with a backward branch: r7 = n; top: body; r7 -= 1; bne r7, r0, top.
    mutating func countdownLoop() {
        li(7, UInt32(int(1...3)))
        let top = code.count
        for _ in 0..<int(1...3) { simpleChunk() }
        emit(.addi, a: 7, b: 7, imm: -1)
        emit(.bne, a: 7, b: 0, imm: top - code.count)
    }

    /// A forward conditional branch over 1-3 chunks.
    mutating func forwardBranch() {
        let op = pick([Opcode.beq, .bne, .blt, .bge, .bltu, .bgeu])
        let (x, y) = chance(0.3) ? (0, 0) : (anyScalar(), anyScalar())
        let at = code.count
        emit(op, a: x, b: y, imm: 1)
        for _ in 0..<int(0...2) { simpleChunk() }
        let target = code.count
        code[at] = Instruction(op, a: UInt8(x), b: UInt8(y), imm: Int32(target - at)).word
    }

    /// jal or jalr forward over junk words that must never execute.
    mutating func jumpOverJunk() {
        if chance(0.5) {
            let at = code.count
            let rd = scalarDest()
            emit(.jal, a: rd, imm: 1)
            for _ in 0..<int(0...2) { code.append(junkWord()) }
            code[at] = Instruction(.jal, a: UInt8(rd), imm: Int32(code.count - at)).word
        } else {
            let rt = dataReg(), rd = scalarDest()
            let off = int(-3...3)
            let liAt = code.count
            emit(.addi, a: rt, b: 0, imm: 0)            // patched: target - off
            emit(.jalr, a: rd, b: rt, imm: off)
            for _ in 0..<int(0...2) { code.append(junkWord()) }
            code[liAt] = Instruction(.addi, a: UInt8(rt), b: 0, imm: Int32(code.count - off)).word
        }
    }

    /// Something that traps (risky programs only).
    mutating func trapChunk() {
        switch int(0...4) {
        case 0: code.append(junkWord())
        case 1: emit(.jal, a: 0, imm: int(1000...2000))          // beyond the code
        case 2: li(9, UInt32(int(0...0xFFFF))); emit(.jalr, a: 0, b: 9, imm: 0x7FFF)
        case 3: emit(.beq, a: 0, b: 0, imm: -(code.count + 1))    // to pc -1
        default: code.append(0x0100_0110)                         // reserved bit set
        }
    }

    // MARK: The whole program

    mutating func generate() -> MicrocodeImage {
        // Optional junk before the entry point.
        let entry = chance(0.1) ? int(1...3) : 0
        for _ in 0..<entry { code.append(junkWord()) }

        // Prologue: base registers and some initial register contents.
        for r in 1...5 {
            let size = r <= 2 || r == 5 ? config.activationSRAM.size : config.weightSRAM.size
            var value = int(0...min(300, size - 1))
            if r == 1 || r == 5 { value -= value % (r == 1 ? 8 : 4) }
            bases[r] = value
            li(r, UInt32(value))
        }
        for r in 8...15 where chance(0.7) { li(r, interestingValue()) }
        for i in 0..<8 where chance(0.5) { memoryOp(.lda, reg: i, maxBytes: 4 * VLEN, space: .activationSRAM, aligned: true) }
        for i in 0..<8 where chance(0.5) { memoryOp(.ldv, reg: i, maxBytes: VLEN, space: .activationSRAM, aligned: false) }
        for i in 0..<8 where chance(0.5) { memoryOp(.ldt, reg: i, maxBytes: ROWBYTES, space: .weightSRAM, aligned: false) }
        for i in 0..<4 where chance(0.6) { memoryOp(.ldm, reg: i, maxBytes: ROWS * ROWBYTES, space: .weightSRAM, aligned: false) }

        // Body.
        riskAllowed = true
        for _ in 0..<int(20...45) {
            switch int(0...99) {
            case 0..<62: simpleChunk()
            case 62..<72: hardwareLoop()
            case 72..<78: countdownLoop()
            case 78..<88: forwardBranch()
            case 88..<94: jumpOverJunk()
            default:
                if risky && chance(0.3) { trapChunk() } else { simpleChunk() }
            }
        }
        if !(risky && chance(0.05)) { emit(.halt) }

        return MicrocodeImage(entry: UInt32(entry), packing: config.packing, code: code,
                              weightData: weightData(), activationData: activationData(), dramData: dramData())
    }

    // MARK: Memory contents

    mutating func validTritByte() -> UInt8 {
        if chance(0.2) { return 0 }
        switch config.packing {
        case .base3: return UInt8(int(0...242))
        case .twoBit:
            var b = 0
            for i in 0..<4 { b |= int(0...2) << (2 * i) }
            return UInt8(b)
        }
    }

    mutating func invalidTritByte() -> UInt8 {
        switch config.packing {
        case .base3: return UInt8(int(243...255))
        case .twoBit: return UInt8(int(0...255)) | 0b11 << (2 * UInt8(int(0...3)))
        }
    }

    mutating func weightData() -> [UInt8] {
        var bytes = (0..<min(config.weightSRAM.size, 2048)).map { _ in validTritByte() }
        if risky && chance(0.5) {
            for _ in 0..<int(1...2) { bytes[int(0...(bytes.count - 1))] = invalidTritByte() }
        }
        return bytes + halfData(Self.halfRegion(config.weightSRAM.size), after: bytes.count)
    }

    /// Zeros from `start` to the region, then the region's binary16 values (little-endian).
    mutating func halfData(_ region: Range<Int>, after start: Int) -> [UInt8] {
        guard !region.isEmpty else { return [] }
        var bytes = [UInt8](repeating: 0, count: region.lowerBound - start)
        while bytes.count + start < region.upperBound {
            let value = halfValue()
            bytes += [UInt8(value & 0xFF), UInt8(value >> 8)]
        }
        return Array(bytes.prefix(region.upperBound - start))
    }

    mutating func activationData() -> [UInt8] {
        var bytes = (0..<min(config.activationSRAM.size, 4096)).map { _ in
            chance(0.1) ? pick([0x80, 0x7F, 0xFF, 0x00, 0x81]) : UInt8(truncatingIfNeeded: rng.next())
        }
        // Some extreme int32 values and float32 patterns at aligned positions.
        for k in 0..<120 {
            let at = int(0...(bytes.count / 4 - 1)) * 4
            let value: UInt32 = k < 40
                ? pick([0x7FFF_FFFF, 0x8000_0000, 0xFFFF_FFFF, 0x0001_0000, 46341,
                        UInt32(bitPattern: -46341), 0x4000_0000, 1, 0])
                : interestingFloat()
            for j in 0..<4 { bytes[at + j] = UInt8(truncatingIfNeeded: value >> (8 * j)) }
        }
        return bytes + halfData(Self.halfRegion(config.activationSRAM.size), after: bytes.count)
    }

    mutating func dramData() -> [UInt8] {
        var bytes = (0..<dramValid).map { _ in validTritByte() }
        if risky && chance(0.3) { bytes[int(0...(dramValid - 1))] = invalidTritByte() }
        bytes += (0..<2048).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
        return Array(bytes.prefix(config.dramSize))
    }
}

extension Instruction {
    /// Decodes a word known to be valid (the generator's own), or nop.
    init(refDecodingOrNop word: UInt32) {
        self = (try? Instruction(decoding: word)) ?? Instruction(.nop)
    }
}
