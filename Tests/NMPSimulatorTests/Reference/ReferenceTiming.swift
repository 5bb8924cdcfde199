// Timing facts of the reference machine: each instruction's scoreboard sources and
// destinations (the "Scoreboard:" lines of chapter 7), its result latency (the "Cycles:"
// lines), the bytes a memory instruction moves, and banks()/ideal() of section 6.2.

import NMPISA
import NMPSimulator

extension ReferenceMachine {
    /// Sources and destinations for the scoreboard (6.1), per the "Scoreboard:" line of
    /// each instruction in chapter 7. `vl` is a source of everything that depends on it
    /// (2.2) and a destination of `setvl`.
    func scoreboard(_ i: Instruction) -> (sources: [RefReg], destinations: [RefReg]) {
        let A = Int(i.a), B = Int(i.b), C = Int(i.c), D = Int(i.d)
        switch i.opcode {
        case .nop, .halt, .dwait:
            return ([], [])
        case .setvl:
            return ([.x(B)], [.x(A), .vl])
        case .add, .sub, .mul, .div, .divu, .and, .or, .xor, .sll, .srl, .sra, .slt, .sltu, .min, .max:
            return ([.x(B), .x(C)], [.x(A)])
        case .addi, .andi, .ori, .xori, .slli, .srli, .srai, .slti:
            return ([.x(B)], [.x(A)])
        case .lui:
            return ([], [.x(A)])
        case .beq, .bne, .blt, .bge, .bltu, .bgeu:
            return ([.x(A), .x(B)], [])
        case .jal:
            return ([], [.x(A)])
        case .jalr:
            return ([.x(B)], [.x(A)])
        case .loop:
            return ([.x(A)], [])
        case .lw, .lb:
            return ([.x(B)], [.x(A)])
        case .sw, .sb:
            return ([.x(A), .x(B)], [])
        case .ldv:
            return ([.x(B), .vl], [.v(A)])
        case .stv:
            return ([.v(A), .x(B), .vl], [])
        case .lda:
            return ([.x(B), .vl], [.a(A)])
        case .sta:
            return ([.a(A), .x(B), .vl], [])
        case .ldt:
            return ([.x(B)], [.t(A)])
        case .stt:
            return ([.t(A), .x(B)], [])
        case .ldm:
            return ([.x(B)], [.m(A)])
        case .dmaw, .dmaa, .dmas:
            return ([.x(A), .x(B), .x(C)], [])
        case .vmac:
            return ([.a(A), .t(B), .v(C), .vl], [.a(A)])
        case .mmac:
            return ([.a(A), .m(B), .v(C), .vl], [.a(A)])
        case .mgemm, .mgemz, .hgemm, .hgemz:
            // Its accumulators aD ... aE have the timing of 6.12 (gemmTiming).
            return ([.x(B), .x(C), .vl], [.x(B), .x(C)])
        case .sgn:
            return ([.a(B), .x(C), .vl], [.t(A)])
        case .sgnb:
            return ([.a(B), .vl], [.t(A)])
        case .thr:
            return ([.a(B), .a(C), .a(D), .vl], [.t(A)])
        case .tcvt:
            return ([.t(B), .vl], [.v(A)])
        case .azero:
            return ([.vl], [.a(A)])
        case .abcast:
            return ([.x(B), .vl], [.a(A)])
        case .awiden:
            return ([.v(B), .vl], [.a(A)])
        case .aadd, .asub, .amul:
            return ([.a(B), .a(C), .vl], [.a(A)])
        case .arelu, .asq:
            return ([.a(B), .vl], [.a(A)])
        case .amax, .asum:
            return ([.a(B), .vl], [.x(A)])
        case .rq:
            return ([.a(B), .x(C), .x(D), .vl], [.v(A)])
        case .fcvt:
            return ([.a(B), .vl], [.a(A)])
        case .fmuls, .fdivs:
            return ([.a(B), .x(C), .vl], [.a(A)])
        case .fdq:
            return ([.a(B), .x(C), .x(D), .vl], [.a(A)])
        case .famax:
            return ([.a(B), .vl], [.x(A)])
        case .fq:
            return ([.a(B), .x(C), .vl], [.v(A)])
        case .fdiv, .fmax, .fmul:
            return ([.x(B), .x(C)], [.x(A)])
        // 7.12 Float32 vector unit, and the bf16/fp16 loads and stores of 7.6.
        case .ldbf, .ldhf:
            return ([.x(B), .vl], [.a(A)])
        case .stbf, .sthf:
            return ([.a(A), .x(B), .vl], [])
        case .fvadd, .fvsub, .fvmul, .fvdiv, .fvmax:
            return ([.a(B), .a(C), .vl], [.a(A)])
        case .fvmac:
            return ([.a(A), .a(B), .a(C), .vl], [.a(A)])
        case .fadds, .fsubs, .fmaxs:
            return ([.a(B), .x(C), .vl], [.a(A)])
        case .fmacs:
            return ([.a(A), .a(B), .x(C), .vl], [.a(A)])
        case .fwmacbf, .fwmachf, .fmvbf, .fmvhf, .fvmbf, .fvmhf:
            return ([.a(A), .a(B), .x(C), .x(D), .vl], [.a(A)])
        case .fexp:
            return ([.a(B), .vl], [.a(A)])
        case .fsum, .frmax:
            return ([.a(B), .vl], [.x(A)])
        case .fadd, .fsub:
            return ([.x(B), .x(C)], [.x(A)])
        case .fsqrt:
            return ([.x(B)], [.x(A)])
        }
    }

    /// The result latency of the cycle rule ("result +`xLatency`"); nil when the rule has
    /// none (the instruction writes no register).
    func resultLatency(_ op: Opcode) -> Int? {
        let c = config
        switch op {
        case .nop, .halt, .beq, .bne, .blt, .bge, .bltu, .bgeu, .loop,
             .sw, .sb, .stv, .sta, .stt, .stbf, .sthf, .dmaw, .dmaa, .dmas, .dwait:
            return nil
        case .setvl, .add, .sub, .and, .or, .xor, .sll, .srl, .sra, .slt, .sltu, .min, .max,
             .addi, .andi, .ori, .xori, .slli, .srli, .srai, .slti, .lui, .jal, .jalr:
            return c.aluLatency
        case .mul: return c.mulLatency
        case .div, .divu: return c.divLatency
        case .lw, .lb, .ldv, .lda, .ldbf, .ldhf: return c.loadLatency
        case .ldt, .ldm: return c.loadLatency + c.unpackLatency
        case .vmac: return c.macLatency
        case .mmac: return c.mmacLatency
        case .mgemm, .mgemz, .hgemm, .hgemz: return c.aluLatency
        case .fdq: return c.floatLatency + c.divLatency + c.floatLatency
        case .sgn, .sgnb, .thr, .tcvt, .azero, .abcast, .awiden, .aadd, .asub, .arelu:
            return c.vectorLatency
        case .amul, .asq: return c.vectorMulLatency
        case .amax, .asum: return c.reduceLatency
        case .rq: return c.requantLatency
        case .fcvt, .fmuls, .fq, .fmax, .fmul: return c.floatLatency
        case .fdivs, .fdiv: return c.divLatency
        case .famax: return c.reduceLatency
        case .fvadd, .fvsub, .fvmul, .fvmax, .fvmac, .fadds, .fsubs, .fmaxs, .fmacs, .fadd, .fsub:
            return c.floatLatency
        case .fvdiv, .fsqrt: return c.divLatency
        case .fexp: return c.expLatency
        case .fsum, .frmax: return c.reduceLatency
        case .fwmacbf, .fwmachf: return c.loadLatency + c.floatLatency
        case .fmvbf, .fmvhf, .fvmbf, .fvmhf: return c.loadLatency + c.reduceLatency
        }
    }

    /// The SRAM and byte count of a load or store (the n of "banks(mem, n)", 7.2 / 7.6).
    func memoryAccess(_ i: Instruction) -> (MemorySpace, Int)? {
        switch i.opcode {
        case .lw, .sw: return (.activationSRAM, 4)
        case .lb, .sb: return (.activationSRAM, 1)
        case .ldv, .stv: return (.activationSRAM, vl)
        case .lda, .sta: return (.activationSRAM, 4 * vl)
        case .ldbf, .stbf, .ldhf, .sthf: return (.activationSRAM, 2 * vl)
        case .ldt, .stt: return (.weightSRAM, ROWBYTES)
        case .ldm: return (.weightSRAM, ROWS * ROWBYTES)
        case .fwmacbf, .fwmachf: return (.weightSRAM, 2 * vl)
        default: return nil
        }
    }

    /// The float32 vector instructions, whose cycle rule is "max(1, ceil(vl/`floatLanes`)) issue"
    /// (7.11, 7.12): the unit holds issue for max(1, ceil(vl / floatLanes)) cycles (6.10).
    func floatLaneCycles(_ op: Opcode) -> Int? {
        switch op {
        case .fcvt, .fmuls, .fdivs, .fdq, .famax, .fq, .fvadd, .fvsub, .fvmul, .fvdiv, .fvmax, .fvmac,
             .fadds, .fsubs, .fmaxs, .fmacs, .fexp, .fsum, .frmax, .fwmacbf, .fwmachf:
            return max(1, (vl + config.floatLanes - 1) / config.floatLanes)
        default:
            return nil
        }
    }

    /// Whether a product is the FP16 array's (`hgemm`, `hgemz`), whose lanes are binary16.
    func isHalfProduct(_ op: Opcode) -> Bool { op == .hgemm || op == .hgemz }

    /// 6.12's table: a product's tile bytes T, bytes per vector V and vector distance S;
    /// ROWS * ROWBYTES, vl, VLEN for `mgemm` and `mgemz`, 2 * ROWS * VLEN, 2 * vl, 2 * VLEN
    /// for `hgemm` and `hgemz`.
    func gemmSizes(_ op: Opcode) -> (tile: Int, vector: Int, stride: Int) {
        isHalfProduct(op) ? (2 * ROWS * VLEN, 2 * vl, 2 * VLEN) : (ROWS * ROWBYTES, vl, VLEN)
    }

    /// The bytes a product reads (6.12): the tile, T bytes at x[rw], and the vectors, from
    /// x[rx] to the end of the last one, (N - 1) * S + V bytes.
    func gemmOperands(_ i: Instruction) -> (tile: Range<Int>, vectors: Range<Int>) {
        let tile = Int(X(i.b)), first = Int(X(i.c)), n = Int(i.d) - Int(i.a) + 1
        let size = gemmSizes(i.opcode)
        return (tile..<(tile + size.tile), first..<(first + (n - 1) * size.stride + size.vector))
    }

    /// A product's array cycles (6.12): the larger of the tile's banks() in the weight SRAM
    /// and the sum over its vectors of banks() in the activation SRAM, each counted word by
    /// word from the current pointer registers.
    func gemmCycles(_ i: Instruction) -> Int {
        let tile = Int(i.b == 0 ? 0 : x[Int(i.b)]), first = Int(i.c == 0 ? 0 : x[Int(i.c)])
        func count(_ space: MemorySpace, _ address: Int, _ n: Int) -> Int {
            let saved = lastAccessAddress
            lastAccessAddress = address
            defer { lastAccessAddress = saved }
            return banks(space, n)
        }
        let size = gemmSizes(i.opcode)
        var vectors = 0
        for n in 0..<(Int(i.d) - Int(i.a) + 1) {
            vectors += count(.activationSRAM, Int(UInt32(truncatingIfNeeded: first + n * size.stride)), size.vector)
        }
        return max(count(.weightSRAM, tile, size.tile), vectors)
    }

    func sramConfig(_ space: MemorySpace) -> (banks: Int, bankWidth: Int) {
        switch space {
        case .weightSRAM: return (config.weightSRAM.banks, config.weightSRAM.bankWidth)
        case .activationSRAM: return (config.activationSRAM.banks, config.activationSRAM.bankWidth)
        case .dram: fatalError("DRAM has no banks")
        }
    }

    /// banks(mem, n) of 6.2, by literally counting the touched words of every bank. The
    /// access starts at the effective address of the instruction being timed.
    func banks(_ space: MemorySpace, _ n: Int) -> Int {
        let (bankCount, width) = sramConfig(space)
        var perBank = [Int](repeating: 0, count: bankCount)
        if n > 0 {
            let first = lastAccessAddress / width
            let last = (lastAccessAddress + n - 1) / width
            for word in first...last { perBank[word % bankCount] += 1 }
        }
        return max(1, perBank.max()!)
    }

    /// The words each weight-SRAM bank delivers for rows of n bytes at `addresses`, counted
    /// word by word over all rows; at least 1 (6.10).
    func rowBanks(_ addresses: [Int], _ n: Int) -> Int {
        let (bankCount, width) = sramConfig(.weightSRAM)
        var perBank = [Int](repeating: 0, count: bankCount)
        if n > 0 {
            for address in addresses {
                for word in (address / width)...((address + n - 1) / width) { perBank[word % bankCount] += 1 }
            }
        }
        return max(1, perBank.max()!)
    }

    /// ideal(mem, n) = max(1, ceil(n / (banks * bankWidth))) (6.2).
    func idealBanks(_ space: MemorySpace, _ n: Int) -> Int {
        let (bankCount, width) = sramConfig(space)
        let perCycle = bankCount * width
        return max(1, (n + perCycle - 1) / perCycle)
    }
}
