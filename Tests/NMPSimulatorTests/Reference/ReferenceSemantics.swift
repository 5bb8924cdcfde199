// The "Operation", "Energy" and "Traps" paragraphs of every instruction of chapter 7,
// transcribed for the reference machine. Each case first checks for traps (so a trapping
// instruction changes nothing), then changes the state and lists its energy events.

import NMPISA
import NMPSimulator

// MARK: Exact-integer helpers (7.1 notation)

/// s32(p): the pattern read as a signed number.
fileprivate func s32(_ p: UInt32) -> Int { Int(Int32(bitPattern: p)) }
/// u32(p): the pattern read as an unsigned number.
fileprivate func u32(_ p: UInt32) -> Int { Int(p) }
/// The low 32 bits of an exact integer ("mod 2^32").
fileprivate func wrap32(_ n: Int) -> UInt32 { UInt32(truncatingIfNeeded: n) }
/// sat32: clamp to -2^31 ... 2^31-1.
fileprivate func sat32(_ n: Int) -> Int32 { Int32(min(max(n, -(1 << 31)), (1 << 31) - 1)) }
/// sat8: clamp to -128 ... 127.
fileprivate func sat8(_ n: Int) -> Int8 { Int8(min(max(n, -128), 127)) }
/// ceil(n / d) for n >= 0, d > 0.
fileprivate func ceilDiv(_ n: Int, _ d: Int) -> Int { (n + d - 1) / d }

extension ReferenceMachine {
    // MARK: Register access

    /// x[i]; r0 always reads 0 (2.1).
    func X(_ i: UInt8) -> UInt32 { i == 0 ? 0 : x[Int(i)] }
    /// x[i] = value; a write to r0 is discarded.
    func setX(_ i: UInt8, _ value: UInt32) { if i != 0 { x[Int(i)] = value } }

    // MARK: Memory helpers

    func memorySize(_ space: MemorySpace) -> Int {
        switch space {
        case .weightSRAM: wsram.count
        case .activationSRAM: asram.count
        case .dram: dram.count
        }
    }

    /// EA = u32(x[rb] + sext(imm)) (7.1).
    func effectiveAddress(_ i: Instruction) -> Int {
        u32(wrap32(u32(X(i.b)) + Int(i.imm)))
    }

    /// The checks of 7.6 in their order: alignment (if required), then bounds.
    func checkAccess(_ ea: Int, _ n: Int, _ space: MemorySpace, aligned: Bool) throws {
        try checkAccess(ea, n, space, alignment: aligned ? 4 : 1)
    }

    /// The checks of 7.6 with an alignment of 1 (none), 2 or 4 bytes.
    func checkAccess(_ ea: Int, _ n: Int, _ space: MemorySpace, alignment: Int) throws {
        if ea % alignment != 0 {
            throw RefInstructionTrap(cause: .misaligned, detail: "EA \(ea)")
        }
        if ea + n > memorySize(space) {
            throw RefInstructionTrap(cause: .outOfBounds, detail: "EA \(ea) + \(n) > \(memorySize(space))")
        }
    }

    func asramWord(_ addr: Int) -> UInt32 {
        UInt32(asram[addr]) | UInt32(asram[addr + 1]) << 8 | UInt32(asram[addr + 2]) << 16 | UInt32(asram[addr + 3]) << 24
    }

    func setAsramWord(_ addr: Int, _ value: UInt32) {
        for j in 0..<4 { asram[addr + j] = UInt8(truncatingIfNeeded: value >> (8 * j)) }
    }

    /// Unpacks `count` rows of VLEN trits starting at ea (4.4), or traps on the first invalid
    /// code (7.6).
    func unpackRows(at ea: Int, rows count: Int) throws -> [[Int8]] {
        var rows: [[Int8]] = []
        for r in 0..<count {
            let start = ea + r * ROWBYTES
            guard let row = RefTrits.unpackRow(wsram[start..<start + ROWBYTES], count: VLEN, config.packing) else {
                throw RefInstructionTrap(cause: .invalidTritCode, detail: "row at \(start)")
            }
            rows.append(row)
        }
        return rows
    }

    // MARK: Execute one instruction

    func execute(_ i: Instruction, at issue: Int) throws -> RefOutcome {
        var out = RefOutcome()
        func count(_ event: EnergyEvent, _ n: Int) { out.events[event, default: 0] += n }
        count(.instruction, 1)   // every instruction that issues (7.1)

        let A = Int(i.a), B = Int(i.b), C = Int(i.c), D = Int(i.d)
        let VL = vl

        /// Register-register scalar ops (7.4): read 8 bytes, write 4, one arithmetic event.
        func scalarR(_ event: EnergyEvent, _ f: (UInt32, UInt32) -> UInt32) {
            setX(i.a, f(X(i.b), X(i.c)))
            count(.registerRead, 8); count(.registerWrite, 4); count(event, 1)
        }
        /// Register-immediate scalar ops (7.4): read 4, write 4, int32Add 1.
        func scalarI(_ f: (UInt32) -> UInt32) {
            setX(i.a, f(X(i.b)))
            count(.registerRead, 4); count(.registerWrite, 4); count(.int32Add, 1)
        }
        /// Conditional branches (7.5): read 8, int32Add 1, taken or not.
        func branch(_ condition: Bool) {
            count(.registerRead, 8); count(.int32Add, 1)
            if condition {
                out.taken = true
                out.redirect = pc + Int(i.imm)
            }
        }
        let imm = Int(i.imm)

        switch i.opcode {
        // 7.3 Control
        case .nop, .halt:
            break
        case .setvl:
            vl = min(u32(X(i.b)), VLEN)
            setX(i.a, UInt32(vl))
            count(.registerRead, 4); count(.registerWrite, 4); count(.int32Add, 1)

        // 7.4 Scalar arithmetic
        case .add: scalarR(.int32Add) { wrap32(u32($0) + u32($1)) }
        case .sub: scalarR(.int32Add) { wrap32(u32($0) - u32($1)) }
        case .mul: scalarR(.int32Mul) { p, q in wrap32(Int(UInt64(p) * UInt64(q) & 0xFFFF_FFFF)) }
        case .div:
            scalarR(.int32Div) { p, q in
                let n = s32(p), d = s32(q)
                if d == 0 { return 0xFFFF_FFFF }
                if n == -(1 << 31) && d == -1 { return wrap32(-(1 << 31)) }
                return wrap32(n / d)          // Swift's / truncates toward zero
            }
        case .divu:
            scalarR(.int32Div) { p, q in q == 0 ? 0xFFFF_FFFF : wrap32(u32(p) / u32(q)) }
        case .and: scalarR(.int32Add) { $0 & $1 }
        case .or: scalarR(.int32Add) { $0 | $1 }
        case .xor: scalarR(.int32Add) { $0 ^ $1 }
        case .sll: scalarR(.int32Add) { p, q in wrap32(u32(p) * (1 << Int(q & 31))) }
        case .srl: scalarR(.int32Add) { p, q in wrap32(u32(p) / (1 << Int(q & 31))) }
        case .sra: scalarR(.int32Add) { p, q in wrap32(floorDiv(s32(p), 1 << Int(q & 31))) }
        case .slt: scalarR(.int32Add) { s32($0) < s32($1) ? 1 : 0 }
        case .sltu: scalarR(.int32Add) { u32($0) < u32($1) ? 1 : 0 }
        case .min: scalarR(.int32Add) { wrap32(Swift.min(s32($0), s32($1))) }
        case .max: scalarR(.int32Add) { wrap32(Swift.max(s32($0), s32($1))) }
        // i.imm is already sext(imm) for simm16 and zext(imm) for uimm16 / shamt.
        case .addi: scalarI { wrap32(u32($0) + imm) }
        case .andi: scalarI { $0 & UInt32(imm) }
        case .ori: scalarI { $0 | UInt32(imm) }
        case .xori: scalarI { $0 ^ UInt32(imm) }
        case .slli: scalarI { wrap32(u32($0) * (1 << imm)) }
        case .srli: scalarI { wrap32(u32($0) / (1 << imm)) }
        case .srai: scalarI { wrap32(floorDiv(s32($0), 1 << imm)) }
        case .slti: scalarI { s32($0) < imm ? 1 : 0 }
        case .lui:
            setX(i.a, UInt32(imm) << 16)
            count(.registerWrite, 4)

        // 7.5 Branches, jumps and loops
        case .beq: branch(X(i.a) == X(i.b))
        case .bne: branch(X(i.a) != X(i.b))
        case .blt: branch(s32(X(i.a)) < s32(X(i.b)))
        case .bge: branch(s32(X(i.a)) >= s32(X(i.b)))
        case .bltu: branch(u32(X(i.a)) < u32(X(i.b)))
        case .bgeu: branch(u32(X(i.a)) >= u32(X(i.b)))
        case .jal:
            setX(i.a, wrap32(pc + 1))
            out.taken = true
            out.redirect = pc + imm
            count(.registerWrite, 4)
        case .jalr:
            let target = u32(wrap32(u32(X(i.b)) + imm))    // computed before rd is written
            setX(i.a, wrap32(pc + 1))
            out.taken = true
            out.redirect = target
            count(.registerRead, 4); count(.registerWrite, 4); count(.int32Add, 1)
        case .loop:
            let countValue = u32(X(i.a))
            let end = pc + imm
            if countValue == 0 {
                out.taken = true
                out.redirect = end
            } else {
                if loopStack.count >= config.loopDepth {
                    throw RefInstructionTrap(cause: .loopOverflow, detail: "depth \(loopStack.count)")
                }
                loopStack.append((start: pc + 1, end: end, remaining: countValue))
            }
            count(.registerRead, 4)

        // 7.6 Loads and stores
        case .lw:
            let ea = effectiveAddress(i)
            try checkAccess(ea, 4, .activationSRAM, aligned: true)
            lastAccessAddress = ea
            setX(i.a, asramWord(ea))
            count(.registerRead, 4); count(.registerWrite, 4); count(.int32Add, 1); count(.activationSRAMRead, 4)
        case .sw:
            let ea = effectiveAddress(i)
            try checkAccess(ea, 4, .activationSRAM, aligned: true)
            lastAccessAddress = ea
            setAsramWord(ea, X(i.a))
            count(.registerRead, 8); count(.int32Add, 1); count(.activationSRAMWrite, 4)
        case .lb:
            let ea = effectiveAddress(i)
            try checkAccess(ea, 1, .activationSRAM, aligned: false)
            lastAccessAddress = ea
            setX(i.a, wrap32(Int(Int8(bitPattern: asram[ea]))))
            count(.registerRead, 4); count(.registerWrite, 4); count(.int32Add, 1); count(.activationSRAMRead, 1)
        case .sb:
            let ea = effectiveAddress(i)
            try checkAccess(ea, 1, .activationSRAM, aligned: false)
            lastAccessAddress = ea
            asram[ea] = UInt8(X(i.a) & 0xFF)
            count(.registerRead, 8); count(.int32Add, 1); count(.activationSRAMWrite, 1)
        case .ldv:
            let ea = effectiveAddress(i)
            try checkAccess(ea, VL, .activationSRAM, aligned: false)
            lastAccessAddress = ea
            for l in 0..<VL { v[A][l] = Int8(bitPattern: asram[ea + l]) }
            count(.registerRead, 4); count(.registerWrite, VL); count(.int32Add, 1); count(.activationSRAMRead, VL)
        case .stv:
            let ea = effectiveAddress(i)
            try checkAccess(ea, VL, .activationSRAM, aligned: false)
            lastAccessAddress = ea
            for l in 0..<VL { asram[ea + l] = UInt8(bitPattern: v[A][l]) }
            count(.registerRead, 4 + VL); count(.int32Add, 1); count(.activationSRAMWrite, VL)
        case .lda:
            let ea = effectiveAddress(i)
            try checkAccess(ea, 4 * VL, .activationSRAM, aligned: true)
            lastAccessAddress = ea
            for l in 0..<VL { a[A][l] = Int32(bitPattern: asramWord(ea + 4 * l)) }
            count(.registerRead, 4); count(.registerWrite, 4 * VL); count(.int32Add, 1); count(.activationSRAMRead, 4 * VL)
        case .sta:
            let ea = effectiveAddress(i)
            try checkAccess(ea, 4 * VL, .activationSRAM, aligned: true)
            lastAccessAddress = ea
            for l in 0..<VL { setAsramWord(ea + 4 * l, UInt32(bitPattern: a[A][l])) }
            count(.registerRead, 4 + 4 * VL); count(.int32Add, 1); count(.activationSRAMWrite, 4 * VL)
        case .ldt:
            let ea = effectiveAddress(i)
            try checkAccess(ea, ROWBYTES, .weightSRAM, aligned: false)
            let rows = try unpackRows(at: ea, rows: 1)
            lastAccessAddress = ea
            t[A] = rows[0]
            count(.registerRead, 4); count(.registerWrite, ceilDiv(VLEN, 4)); count(.int32Add, 1)
            count(.weightSRAMRead, ROWBYTES); count(.tritUnpack, ROWBYTES)
        case .stt:
            let ea = effectiveAddress(i)
            try checkAccess(ea, ROWBYTES, .weightSRAM, aligned: false)
            lastAccessAddress = ea
            let bytes = RefTrits.packRow(t[A], config.packing)
            precondition(bytes.count == ROWBYTES)
            for j in 0..<ROWBYTES { wsram[ea + j] = bytes[j] }
            count(.registerRead, 4 + ceilDiv(VLEN, 4)); count(.int32Add, 1)
            count(.weightSRAMWrite, ROWBYTES); count(.tritUnpack, ROWBYTES)
        case .ldm:
            let ea = effectiveAddress(i)
            try checkAccess(ea, ROWS * ROWBYTES, .weightSRAM, aligned: false)
            let rows = try unpackRows(at: ea, rows: ROWS)
            lastAccessAddress = ea
            m[A] = rows
            count(.registerRead, 4); count(.registerWrite, ROWS * ceilDiv(VLEN, 4)); count(.int32Add, 1)
            count(.weightSRAMRead, ROWS * ROWBYTES); count(.tritUnpack, ROWS * ROWBYTES)

        // 7.7 DMA
        case .dmaw, .dmaa, .dmas:
            let dst = u32(X(i.a)), src = u32(X(i.b)), len = u32(X(i.c))
            let (from, to): (MemorySpace, MemorySpace) = switch i.opcode {
            case .dmaw: (.dram, .weightSRAM)
            case .dmaa: (.dram, .activationSRAM)
            default: (.activationSRAM, .dram)
            }
            if src + len > memorySize(from) || dst + len > memorySize(to) {
                throw RefInstructionTrap(cause: .dmaFault, detail: "dst \(dst) src \(src) len \(len)")
            }
            // 6.5: the data starts flowing at max(t + 1 + dmaLatency, end of the previously
            // enqueued transfer) and takes ceil(bytes / dramBytesPerCycle) cycles.
            let flow = max(issue + 1 + config.dmaLatency, transfers.last?.end ?? 0)
            let kind: RefTransfer.Kind = i.opcode == .dmaw ? .dmaw : i.opcode == .dmaa ? .dmaa : .dmas
            transfers.append(RefTransfer(kind: kind, dst: dst, src: src, len: len, end: flow + ceilDiv(len, config.dramBytesPerCycle)))
            count(.registerRead, 12)
            switch i.opcode {
            case .dmaw: count(.dramRead, len); count(.weightSRAMWrite, len)
            case .dmaa: count(.dramRead, len); count(.activationSRAMWrite, len)
            default: count(.activationSRAMRead, len); count(.dramWrite, len)
            }
        case .dwait:
            break

        // 7.8 Ternary compute
        case .vmac:
            for l in 0..<VL {
                let w = t[B][l]
                let act = Int(v[C][l])
                if w == 1 { a[A][l] = Int32(bitPattern: wrap32(Int(a[A][l]) + act)); count(.tritAdd, 1) }
                if w == -1 { a[A][l] = Int32(bitPattern: wrap32(Int(a[A][l]) - act)); count(.tritSub, 1) }
                if w == 0 { count(.tritSkip, 1) }
            }
            count(.registerRead, 4 * VL + ceilDiv(VL, 4) + VL); count(.registerWrite, 4 * VL)
        case .mmac:
            for r in 0..<ROWS {
                var s = 0
                for l in 0..<VL {
                    let w = Int(m[B][r][l])
                    s += w * Int(v[C][l])
                    count(w == 1 ? .tritAdd : w == -1 ? .tritSub : .tritSkip, 1)
                }
                a[A][r] = Int32(bitPattern: wrap32(Int(a[A][r]) + s))
            }
            count(.registerRead, 4 * ROWS + ROWS * ceilDiv(VL, 4) + VL); count(.registerWrite, 4 * ROWS)
            count(.int32Add, ROWS)
        case .mgemm, .mgemz:
            // 7.8: the tile (bounds, then codes), then every vector's bounds, before any change.
            let tileAddress = u32(X(i.b))
            try checkAccess(tileAddress, ROWS * ROWBYTES, .weightSRAM, aligned: false)
            let tile = try unpackRows(at: tileAddress, rows: ROWS)
            let vectors = (0..<(D - A + 1)).map { n in u32(wrap32(u32(X(i.c)) + n * VLEN)) }
            for address in vectors { try checkAccess(address, VL, .activationSRAM, aligned: false) }
            for (n, address) in vectors.enumerated() {
                for r in 0..<ROWS {
                    var s = 0
                    for l in 0..<VL {
                        let w = Int(tile[r][l])
                        s += w * Int(Int8(bitPattern: asram[address + l]))
                        count(w == 1 ? .tritAdd : w == -1 ? .tritSub : .tritSkip, 1)
                    }
                    a[A + n][r] = Int32(bitPattern: wrap32((i.opcode == .mgemz ? 0 : Int(a[A + n][r])) + s))
                }
            }
            let n = vectors.count
            setX(i.b, wrap32(tileAddress + ROWS * ROWBYTES))
            setX(i.c, wrap32(u32(X(i.c)) + n * VLEN))
            // mgemz reads no accumulator and adds nothing into it.
            let accumulates = i.opcode == .mgemm
            count(.registerRead, 8 + (accumulates ? 4 * ROWS * n : 0)); count(.registerWrite, 8 + 4 * ROWS * n)
            count(.weightSRAMRead, ROWS * ROWBYTES); count(.tritUnpack, ROWS * ROWBYTES)
            count(.activationSRAMRead, n * VL); count(.int32Add, 2 + (accumulates ? ROWS * n : 0))
        case .hgemm, .hgemz:
            // 7.8: the tile's bounds, then every vector's, before any change; every 16-bit
            // pattern is a binary16 value and nothing needs alignment, so nothing else traps.
            let tileAddress = u32(X(i.b)), tileBytes = 2 * ROWS * VLEN
            try checkAccess(tileAddress, tileBytes, .weightSRAM, alignment: 1)
            let vectors = (0..<(D - A + 1)).map { n in u32(wrap32(u32(X(i.c)) + n * 2 * VLEN)) }
            for address in vectors { try checkAccess(address, 2 * VL, .activationSRAM, alignment: 1) }
            func half(_ memory: [UInt8], _ at: Int) -> UInt32 { UInt32(memory[at]) | UInt32(memory[at + 1]) << 8 }
            let overwrites = i.opcode == .hgemz
            for (n, address) in vectors.enumerated() {
                for r in 0..<ROWS {
                    let products = (0..<VL).map { l in
                        RefFloat.halfProduct(half(wsram, tileAddress + 2 * (r * VLEN + l)), half(asram, address + 2 * l))
                    }
                    let tree = RefFloat.treeSum(products)
                    a[A + n][r] = Int32(bitPattern: overwrites ? tree : RefFloat.add(UInt32(bitPattern: a[A + n][r]), tree))
                }
            }
            let n = vectors.count
            setX(i.b, wrap32(tileAddress + tileBytes))
            setX(i.c, wrap32(u32(X(i.c)) + n * 2 * VLEN))
            // hgemz reads no accumulator and adds nothing into it.
            count(.registerRead, 8 + (overwrites ? 0 : 4 * ROWS * n)); count(.registerWrite, 8 + 4 * ROWS * n)
            count(.weightSRAMRead, tileBytes); count(.activationSRAMRead, n * 2 * VL)
            count(.fp16Mul, n * ROWS * VL); count(.fp16Add, n * ROWS * VL + (overwrites ? 0 : n * ROWS))
            count(.int32Add, 2)
        case .sgn:
            let T = s32(X(i.c))
            for l in 0..<VL {
                let value = Int(a[B][l])
                t[A][l] = value > T ? 1 : value < -T ? -1 : 0
            }
            count(.registerRead, 4 * VL + 4); count(.registerWrite, ceilDiv(VL, 4)); count(.int8Op, VL)
        case .sgnb:
            for l in 0..<VL { t[A][l] = a[B][l] >= 0 ? 1 : -1 }
            count(.registerRead, 4 * VL); count(.registerWrite, ceilDiv(VL, 4)); count(.int8Op, VL)
        case .thr:
            for l in 0..<VL {
                let value = Int(a[B][l])
                t[A][l] = value > Int(a[C][l]) ? 1 : value < Int(a[D][l]) ? -1 : 0
            }
            count(.registerRead, 12 * VL); count(.registerWrite, ceilDiv(VL, 4)); count(.int8Op, VL)
        case .tcvt:
            for l in 0..<VL { v[A][l] = t[B][l] }
            count(.registerRead, ceilDiv(VL, 4)); count(.registerWrite, VL); count(.int8Op, VL)

        // 7.9 Accumulator and requantization
        case .azero:
            for l in 0..<VL { a[A][l] = 0 }
            count(.registerWrite, 4 * VL)
        case .abcast:
            let value = Int32(bitPattern: X(i.b))
            for l in 0..<VL { a[A][l] = value }
            count(.registerRead, 4); count(.registerWrite, 4 * VL)
        case .awiden:
            for l in 0..<VL { a[A][l] = Int32(v[B][l]) }
            count(.registerRead, VL); count(.registerWrite, 4 * VL)
        case .aadd:
            let (p, q) = (a[B], a[C])
            for l in 0..<VL { a[A][l] = sat32(Int(p[l]) + Int(q[l])) }
            count(.registerRead, 8 * VL); count(.registerWrite, 4 * VL); count(.int32Add, VL)
        case .asub:
            let (p, q) = (a[B], a[C])
            for l in 0..<VL { a[A][l] = sat32(Int(p[l]) - Int(q[l])) }
            count(.registerRead, 8 * VL); count(.registerWrite, 4 * VL); count(.int32Add, VL)
        case .amul:
            let (p, q) = (a[B], a[C])
            for l in 0..<VL { a[A][l] = sat32(Int(p[l]) * Int(q[l])) }
            count(.registerRead, 8 * VL); count(.registerWrite, 4 * VL); count(.int32Mul, VL)
        case .arelu:
            let p = a[B]
            for l in 0..<VL { a[A][l] = Int32(max(Int(p[l]), 0)) }
            count(.registerRead, 4 * VL); count(.registerWrite, 4 * VL); count(.int32Add, VL)
        case .asq:
            let p = a[B]
            for l in 0..<VL { a[A][l] = sat32(Int(p[l]) * Int(p[l])) }
            count(.registerRead, 4 * VL); count(.registerWrite, 4 * VL); count(.int32Mul, VL)
        case .amax:
            var mx = 0
            for l in 0..<VL { mx = max(mx, min(abs(Int(a[B][l])), (1 << 31) - 1)) }
            setX(i.a, UInt32(mx))
            count(.registerRead, 4 * VL); count(.registerWrite, 4); count(.int32Add, VL)
        case .asum:
            var sum = 0
            for l in 0..<VL { sum += Int(a[B][l]) }
            setX(i.a, wrap32(sum))
            count(.registerRead, 4 * VL); count(.registerWrite, 4); count(.int32Add, VL)
        case .rq:
            let M = s32(X(i.c))
            let sh = Int(X(i.d) & 63)
            for l in 0..<VL {
                let p = Int(a[B][l]) * M       // exact: |p| <= 2^62
                v[A][l] = sat8(roundHalfEvenShift(p, sh))
            }
            count(.registerRead, 4 * VL + 8); count(.registerWrite, VL); count(.int32Mul, VL); count(.int8Op, VL)

        // 7.11 Floating-point scale unit
        case .fcvt:
            for l in 0..<VL { a[A][l] = Int32(bitPattern: RefFloat.fromInt(Int(a[B][l]))) }
            count(.registerRead, 4 * VL); count(.registerWrite, 4 * VL); count(.fp32Add, VL)
        case .fmuls:
            let s = X(i.c)
            for l in 0..<VL { a[A][l] = Int32(bitPattern: RefFloat.multiply(UInt32(bitPattern: a[B][l]), s)) }
            count(.registerRead, 4 * VL + 4); count(.registerWrite, 4 * VL); count(.fp32Mul, VL)
        case .fdivs:
            let s = X(i.c)
            for l in 0..<VL { a[A][l] = Int32(bitPattern: RefFloat.divide(UInt32(bitPattern: a[B][l]), s)) }
            count(.registerRead, 4 * VL + 4); count(.registerWrite, 4 * VL); count(.fp32Div, VL)
        case .fdq:
            // 7.11: fcvt, fdivs and fmuls in one, each step rounded.
            let s = X(i.c), g = X(i.d)
            for l in 0..<VL {
                let converted = RefFloat.fromInt(Int(a[B][l]))
                a[A][l] = Int32(bitPattern: RefFloat.multiply(RefFloat.divide(converted, s), g))
            }
            count(.registerRead, 4 * VL + 8); count(.registerWrite, 4 * VL)
            count(.fp32Add, VL); count(.fp32Div, VL); count(.fp32Mul, VL)
        case .famax:
            setX(i.a, RefFloat.absMax((0..<VL).map { UInt32(bitPattern: a[B][$0]) }))
            count(.registerRead, 4 * VL); count(.registerWrite, 4); count(.fp32Add, VL)
        case .fq:
            let s = X(i.c)
            for l in 0..<VL { v[A][l] = RefFloat.quantize(RefFloat.multiply(UInt32(bitPattern: a[B][l]), s)) }
            count(.registerRead, 4 * VL + 4); count(.registerWrite, VL); count(.fp32Mul, VL); count(.int8Op, VL)
        case .fdiv:
            setX(i.a, RefFloat.divide(X(i.b), X(i.c)))
            count(.registerRead, 8); count(.registerWrite, 4); count(.fp32Div, 1)
        case .fmax:
            setX(i.a, RefFloat.maximum(X(i.b), X(i.c)))
            count(.registerRead, 8); count(.registerWrite, 4); count(.fp32Add, 1)
        case .fmul:
            setX(i.a, RefFloat.multiply(X(i.b), X(i.c)))
            count(.registerRead, 8); count(.registerWrite, 4); count(.fp32Mul, 1)

        // 7.6 bfloat16 and binary16 loads and stores: vl lanes of 2 bytes, alignment 2.
        case .ldbf, .ldhf:
            let ea = effectiveAddress(i)
            try checkAccess(ea, 2 * VL, .activationSRAM, alignment: 2)
            lastAccessAddress = ea
            let format = i.opcode == .ldbf ? RefFloat.bfloat16 : RefFloat.binary16
            for l in 0..<VL {
                let half = UInt32(asram[ea + 2 * l]) | UInt32(asram[ea + 2 * l + 1]) << 8
                a[A][l] = Int32(bitPattern: RefFloat.convert(half, from: format, to: RefFloat.binary32))
            }
            count(.registerRead, 4); count(.registerWrite, 4 * VL); count(.int32Add, 1); count(.activationSRAMRead, 2 * VL)
        case .stbf, .sthf:
            let ea = effectiveAddress(i)
            try checkAccess(ea, 2 * VL, .activationSRAM, alignment: 2)
            lastAccessAddress = ea
            let format = i.opcode == .stbf ? RefFloat.bfloat16 : RefFloat.binary16
            for l in 0..<VL {
                let half = RefFloat.convert(UInt32(bitPattern: a[A][l]), from: RefFloat.binary32, to: format)
                asram[ea + 2 * l] = UInt8(half & 0xFF)
                asram[ea + 2 * l + 1] = UInt8(half >> 8)
            }
            count(.registerRead, 4 + 4 * VL); count(.int32Add, 1); count(.activationSRAMWrite, 2 * VL)

        // 7.12 Float32 vector unit
        case .fvadd, .fvsub, .fvmul, .fvdiv, .fvmax:
            let (p, q) = (a[B], a[C])
            for l in 0..<VL {
                let (x, y) = (UInt32(bitPattern: p[l]), UInt32(bitPattern: q[l]))
                let r: UInt32 = switch i.opcode {
                case .fvadd: RefFloat.add(x, y)
                case .fvsub: RefFloat.subtract(x, y)
                case .fvmul: RefFloat.multiply(x, y)
                case .fvdiv: RefFloat.divide(x, y)
                default: RefFloat.maximum(x, y)
                }
                a[A][l] = Int32(bitPattern: r)
            }
            count(.registerRead, 8 * VL); count(.registerWrite, 4 * VL)
            count(i.opcode == .fvmul ? .fp32Mul : i.opcode == .fvdiv ? .fp32Div : .fp32Add, VL)
        case .fvmac:
            let (p, q) = (a[B], a[C])
            for l in 0..<VL {
                a[A][l] = Int32(bitPattern: RefFloat.fma(UInt32(bitPattern: p[l]), UInt32(bitPattern: q[l]), UInt32(bitPattern: a[A][l])))
            }
            count(.registerRead, 12 * VL); count(.registerWrite, 4 * VL); count(.fp32Mul, VL); count(.fp32Add, VL)
        case .fadds, .fsubs, .fmaxs:
            let s = X(i.c)
            let p = a[B]
            for l in 0..<VL {
                let x = UInt32(bitPattern: p[l])
                let r: UInt32 = switch i.opcode {
                case .fadds: RefFloat.add(x, s)
                case .fsubs: RefFloat.subtract(x, s)
                default: RefFloat.maximum(x, s)
                }
                a[A][l] = Int32(bitPattern: r)
            }
            count(.registerRead, 4 * VL + 4); count(.registerWrite, 4 * VL); count(.fp32Add, VL)
        case .fmacs:
            let s = X(i.c)
            let p = a[B]
            for l in 0..<VL { a[A][l] = Int32(bitPattern: RefFloat.fma(UInt32(bitPattern: p[l]), s, UInt32(bitPattern: a[A][l]))) }
            count(.registerRead, 8 * VL + 4); count(.registerWrite, 4 * VL); count(.fp32Mul, VL); count(.fp32Add, VL)
        case .fwmacbf, .fwmachf:
            // 7.12: vl 16-bit float weights from the weight SRAM at x[rs] + x[rt] (wrapping).
            let ea = u32(wrap32(u32(X(i.c)) + u32(X(i.d))))
            try checkAccess(ea, 2 * VL, .weightSRAM, alignment: 2)
            lastAccessAddress = ea
            let format = i.opcode == .fwmacbf ? RefFloat.bfloat16 : RefFloat.binary16
            let p = a[B]
            for l in 0..<VL {
                let half = UInt32(wsram[ea + 2 * l]) | UInt32(wsram[ea + 2 * l + 1]) << 8
                let w = RefFloat.convert(half, from: format, to: RefFloat.binary32)
                a[A][l] = Int32(bitPattern: RefFloat.fma(UInt32(bitPattern: p[l]), w, UInt32(bitPattern: a[A][l])))
            }
            count(.registerRead, 8 * VL + 8); count(.registerWrite, 4 * VL); count(.int32Add, 1)
            count(.weightSRAMRead, 2 * VL); count(.fp32Mul, VL); count(.fp32Add, VL)
        case .fmvbf, .fmvhf, .fvmbf, .fvmhf:
            // 7.12: a ROWS x vl matrix of 16-bit floats, row r at x[rs] + r * x[rt] (wrapping).
            let rowAddresses = (0..<ROWS).map { u32(wrap32(u32(X(i.c)) + $0 * u32(X(i.d)))) }
            for ea in rowAddresses { try checkAccess(ea, 2 * VL, .weightSRAM, alignment: 2) }
            matrixRowAddresses = rowAddresses
            let format = i.opcode == .fmvbf || i.opcode == .fvmbf ? RefFloat.bfloat16 : RefFloat.binary16
            func w(_ r: Int, _ l: Int) -> UInt32 {
                let at = rowAddresses[r] + 2 * l
                return RefFloat.convert(UInt32(wsram[at]) | UInt32(wsram[at + 1]) << 8, from: format, to: RefFloat.binary32)
            }
            let x = a[B].map { UInt32(bitPattern: $0) }
            if i.opcode == .fmvbf || i.opcode == .fmvhf {
                for r in 0..<ROWS {
                    let tree = RefFloat.treeSum((0..<VL).map { RefFloat.multiply(x[$0], w(r, $0)) })
                    a[A][r] = Int32(bitPattern: RefFloat.add(UInt32(bitPattern: a[A][r]), tree))
                }
                count(.registerRead, 4 * VL + 4 * ROWS + 8); count(.registerWrite, 4 * ROWS)
                count(.fp32Add, ROWS * VL + ROWS)
            } else {
                for l in 0..<VL {
                    let tree = RefFloat.treeSum((0..<ROWS).map { RefFloat.multiply(x[$0], w($0, l)) })
                    a[A][l] = Int32(bitPattern: RefFloat.add(UInt32(bitPattern: a[A][l]), tree))
                }
                count(.registerRead, 4 * ROWS + 4 * VL + 8); count(.registerWrite, 4 * VL)
                count(.fp32Add, ROWS * VL + VL)
            }
            count(.int32Add, ROWS); count(.weightSRAMRead, 2 * ROWS * VL); count(.fp32Mul, ROWS * VL)
        case .fexp:
            let p = a[B]
            for l in 0..<VL { a[A][l] = Int32(bitPattern: RefFloat.exp(UInt32(bitPattern: p[l]))) }
            count(.registerRead, 4 * VL); count(.registerWrite, 4 * VL); count(.fp32Mul, 10 * VL); count(.fp32Add, 11 * VL)
        case .fsum:
            setX(i.a, RefFloat.treeSum((0..<VL).map { UInt32(bitPattern: a[B][$0]) }))
            count(.registerRead, 4 * VL); count(.registerWrite, 4); count(.fp32Add, VL)
        case .frmax:
            // Lane order from -inf; maximum() is NaN-propagating and orders -0.0 below +0.0.
            var m: UInt32 = 0xFF80_0000
            for l in 0..<VL { m = RefFloat.maximum(m, UInt32(bitPattern: a[B][l])) }
            setX(i.a, m)
            count(.registerRead, 4 * VL); count(.registerWrite, 4); count(.fp32Add, VL)
        case .fadd:
            setX(i.a, RefFloat.add(X(i.b), X(i.c)))
            count(.registerRead, 8); count(.registerWrite, 4); count(.fp32Add, 1)
        case .fsub:
            setX(i.a, RefFloat.subtract(X(i.b), X(i.c)))
            count(.registerRead, 8); count(.registerWrite, 4); count(.fp32Add, 1)
        case .fsqrt:
            setX(i.a, RefFloat.squareRoot(X(i.b)))
            count(.registerRead, 4); count(.registerWrite, 4); count(.fp32Div, 1)
        }
        return out
    }
}

/// floor(n / d) for d > 0 (an arithmetic right shift when d is a power of two).
fileprivate func floorDiv(_ n: Int, _ d: Int) -> Int {
    let q = n / d
    return (n % d != 0 && n < 0) ? q - 1 : q
}

/// The rounding step of `rq` (7.9): q = floor(p / 2^sh), r = p - q*2^sh, round half to
/// even. For sh <= 62, 2^sh fits an Int and this is the pseudo-code literally. For
/// sh = 63 (|p| <= 2^62 < 2^63) the exact result is always 0: for p >= 0, q = 0 and
/// r = p <= 2^62 = 2^(sh-1), a tie only at q = 0 (even); for p < 0, q = -1 and
/// r = p + 2^63 >= 2^62, which rounds q up to 0 (a tie at p = -2^62 rounds to even, 0).
fileprivate func roundHalfEvenShift(_ p: Int, _ sh: Int) -> Int {
    if sh == 0 { return p }
    if sh == 63 {
        precondition(abs(p) <= 1 << 62)
        return 0
    }
    let pow = 1 << sh
    var q = floorDiv(p, pow)
    let r = p - q * pow
    precondition(r >= 0 && r < pow)
    let half = pow / 2
    if r > half || (r == half && q % 2 != 0) { q += 1 }
    return q
}

/// The float32 operations of 7.11, written independently of the simulator: products and
/// quotients are computed in Double and rounded once to float32 (exact for a product, whose
/// 48-bit significand fits a Double; for a quotient the Double rounding cannot change the
/// float32 result, since 53 >= 2 * 24 + 2), comparisons work on the bit patterns, and
/// rounding to an integer is done by hand.
enum RefFloat {
    static let canonicalNaN: UInt32 = 0x7FC0_0000

    /// NaN in the encoding sense: exponent all ones and a non-zero fraction.
    static func isNaN(_ bits: UInt32) -> Bool { bits & 0x7FFF_FFFF > 0x7F80_0000 }

    static func value(_ bits: UInt32) -> Double { Double(Float(bitPattern: bits)) }

    /// Rounds an exact (or doubly rounded, see above) result to float32; NaN is canonical.
    static func bits(_ value: Double) -> UInt32 {
        value.isNaN ? canonicalNaN : Float(value).bitPattern
    }

    static func fromInt(_ n: Int) -> UInt32 { bits(Double(n)) }     // n is exact in a Double
    static func multiply(_ p: UInt32, _ q: UInt32) -> UInt32 { bits(value(p) * value(q)) }
    static func divide(_ p: UInt32, _ q: UInt32) -> UInt32 { bits(value(p) / value(q)) }

    /// famax: max |lane|, +0.0 for no lanes, canonical NaN if any lane is NaN. Without the
    /// sign bit, the magnitudes of non-NaN floats order like their patterns as integers.
    static func absMax(_ lanes: [UInt32]) -> UInt32 {
        if lanes.contains(where: isNaN) { return canonicalNaN }
        return lanes.map { $0 & 0x7FFF_FFFF }.max() ?? 0
    }

    /// fmax: the larger value, -0.0 < +0.0, canonical NaN if either is NaN. A float's
    /// pattern maps to an integer key that orders like the value: negative patterns
    /// reversed below the positive ones (so -0.0 sits just below +0.0).
    static func maximum(_ p: UInt32, _ q: UInt32) -> UInt32 {
        if isNaN(p) || isNaN(q) { return canonicalNaN }
        func key(_ b: UInt32) -> Int { b & 0x8000_0000 != 0 ? -Int(b & 0x7FFF_FFFF) - 1 : Int(b) }
        return key(p) >= key(q) ? p : q
    }

    /// fq: round half to even, clamp to -128 ... 127; NaN gives 0.
    static func quantize(_ product: UInt32) -> Int8 {
        if isNaN(product) { return 0 }
        let p = value(product)
        if p >= 127 { return 127 }            // also +inf; rounding then clamping gives the same
        if p <= -128 { return -128 }
        // Round the magnitude half to even, then restore the sign.
        let m = abs(p)
        let whole = m.rounded(.down)
        let fraction = m - whole               // exact (m < 1: whole = 0; else Sterbenz)
        var n = Int(whole)
        if fraction > 0.5 || (fraction == 0.5 && n % 2 == 1) { n += 1 }
        return Int8(p < 0 ? -n : n)
    }
}
