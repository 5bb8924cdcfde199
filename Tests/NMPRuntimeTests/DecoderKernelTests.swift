import NMPISA
@testable import NMPRuntime
import NMPSimulator
import NMPTestSupport
import Testing

/// Each decoder kernel alone on the machine against the reference's building block
/// (`DecoderReference`, ISA.md 11.1 and 11.2), bit for bit, with edge shapes: 1, lanes
/// +- 1, odd sizes, on the default machine and a narrow one (7 lanes, 3 float lanes, an
/// 8 KiB activation SRAM).
struct DecoderKernelTests {
    static var machines: [MachineConfig] {
        var standard = MachineConfig()
        standard.dramSize = 1 << 22
        var narrow = standard
        narrow.vlen = 7
        narrow.rows = 5
        narrow.floatLanes = 3
        narrow.activationSRAM.size = 8192
        return [standard, narrow]
    }

    /// For every query token and head of an attention test: its output (and query) lanes in
    /// `[tokens][heads][headDim]`, the cache rows `[kvHeads][capacity][headDim]` it attends
    /// (its KV head's first context + t + 1 positions) and their count.
    static func attendedRows(tokens: Int, heads: Int, kvHeads: Int, context: Int, capacity: Int, headDim: Int)
        -> [(token: Int, h: Int, head: Range<Int>, rows: Range<Int>, count: Int)] {
        (0..<tokens).flatMap { t in
            (0..<heads).map { h in
                let g = h / (heads / kvHeads), n = context + t + 1
                let head = (t * heads + h) * headDim
                return (t, h, head..<(head + headDim), (g * capacity * headDim)..<((g * capacity + n) * headDim), n)
            }
        }
    }

    /// Runs the code `emit` builds over `dram`; the simulator after halt. The kernel starts
    /// with vl = 1 and junk in every register it might wrongly rely on, not the reset state:
    /// in a program a kernel follows other code.
    static func run(_ config: MachineConfig, dram: [UInt8], _ emit: (inout ProgramBuilder) throws -> Void) throws -> Simulator {
        var b = ProgramBuilder(packing: config.packing)
        for i in 1..<16 { b.li(.r(i), 0x5A5A_0000 + i) }
        for i in 0..<8 { b.emit(.abcast, .reg(.a(i)), .reg(.r(i + 1))) }
        b.li(.r(1), 1)
        b.emit(.setvl, .reg(.zero), .reg(.r(1)))
        try emit(&b)
        b.emit(.halt)
        let simulator = try Simulator(image: b.image(dram: dram), config: config)
        let result = simulator.run()
        #expect(result.halted, "\(String(describing: result.trap))")
        return simulator
    }

    static func floats(_ simulator: Simulator, at address: Int, count: Int) -> [Float] {
        (DRAMImage.words(simulator, at: address, count: count) ?? []).map { Float(bitPattern: $0) }
    }

    static func random(_ n: Int, _ rng: inout SplitMix64, scale: Float = 4) -> [Float] {
        (0..<n).map { _ in (Float(rng.next() >> 40) / Float(1 << 24) * 2 - 1) * scale }
    }

    static func image(_ parts: [(Int, [Float])], halves: [(Int, [UInt16])] = []) -> [UInt8] {
        var bytes: [UInt8] = []
        var all: [(Int, [UInt8])] = parts.map { address, values in
            var b: [UInt8] = []
            DRAMImage.appendFloats(values, to: &b)
            return (address, b)
        }
        all += halves.map { address, values in
            var b: [UInt8] = []
            DRAMImage.appendHalves(values, to: &b)
            return (address, b)
        }
        for (address, data) in all.sorted(by: { $0.0 < $1.0 }) {
            DRAMImage.pad(&bytes, to: address)
            bytes += data
        }
        return bytes
    }

    @Test(arguments: [1, 6, 7, 8, 63, 64, 65, 200], [1, 3])
    func rmsNorm(n: Int, tokens: Int) throws {
        for config in Self.machines {
            var rng = SplitMix64(seed: UInt64(n * 10 + tokens))
            let x = Self.random(tokens * n, &rng)
            let weight = Self.random(n, &rng, scale: 1).map { BFloat16.bits(1 + $0 / 2) }
            let (input, output, weights) = (0, 1 << 16, 1 << 17)
            let simulator = try Self.run(config, dram: Self.image([(input, x)], halves: [(weights, weight)])) { b in
                try FloatKernels(config: config).rmsNorm(tokens: tokens, input: input, output: output, weight: weights, n: n, epsilon: 1e-5, into: &b)
            }
            let got = Self.floats(simulator, at: output, count: tokens * n)
            for t in 0..<tokens {
                let want = DecoderReference.rmsNorm(Array(x[(t * n)..<((t + 1) * n)]), weight: weight, eps: 1e-5, vlen: config.vlen)
                #expect(Array(got[(t * n)..<((t + 1) * n)]).map(\.bitPattern) == want.map(\.bitPattern), "n \(n), token \(t), vlen \(config.vlen)")
            }
        }
    }

    @Test(arguments: [2, 10, 16, 130])
    func rope(headDim: Int) throws {
        for config in Self.machines {
            var rng = SplitMix64(seed: UInt64(headDim))
            let heads = 3, tokens = 2, context = 5
            let x = Self.random(tokens * heads * headDim, &rng)
            let reference = DecoderReference.ropeTables(theta: 10_000, headDim: headDim, positions: context + tokens)
            let tables = RopeTables(theta: 10_000, headDim: headDim, positions: context ..< context + tokens)
            let half = headDim / 2
            #expect(tables.cos.map(\.bitPattern) == reference.cos[(context * half)...].map(\.bitPattern), "the compiler's table")
            #expect(tables.sin.map(\.bitPattern) == reference.sin[(context * half)...].map(\.bitPattern))
            let (buffer, cos, sin) = (0, 1 << 16, 1 << 17)
            let simulator = try Self.run(config, dram: Self.image([(buffer, x), (cos, tables.cos), (sin, tables.sin)])) { b in
                try FloatKernels(config: config).rope(tokens: tokens, buffer: buffer, heads: heads, headDim: headDim, cos: cos, sin: sin, into: &b)
            }
            let got = Self.floats(simulator, at: buffer, count: x.count)
            for t in 0..<tokens {
                let width = heads * headDim
                let want = DecoderReference.rope(Array(x[(t * width)..<((t + 1) * width)]), position: context + t,
                                                 cos: reference.cos, sin: reference.sin, headDim: headDim)
                #expect(Array(got[(t * width)..<((t + 1) * width)]).map(\.bitPattern) == want.map(\.bitPattern), "token \(t), vlen \(config.vlen)")
            }
        }
    }

    /// Activation SRAMs too small for two rows: with 4,096 bytes RMSNorm's 400 features (three
    /// pieces of up to 768 bytes after the weight) stream through four piece buffers, with
    /// 3,000 through the row's own (each token waits for its row); RoPE over 40 heads of 16
    /// keeps one set of buffers in both. Each says so in the schedule notes and computes what the
    /// reference does, as the two-buffer schedules of the default machine do (no note).
    @Test func smallerBufferFallbacks() throws {
        let n = 400, heads = 40, headDim = 16, tokens = 5, context = 2
        for size in [3000, 4096, 65536] {
            var config = Self.machines[0]
            config.activationSRAM.size = size
            var rng = SplitMix64(seed: 31)
            let x = Self.random(tokens * n, &rng)
            let weight = Self.random(n, &rng, scale: 1).map { BFloat16.bits(1 + $0 / 2) }
            let emitNorm = { (b: inout ProgramBuilder) throws in
                try FloatKernels(config: config).rmsNorm(tokens: tokens, input: 0, output: 1 << 16, weight: 1 << 17, n: n, epsilon: 1e-5, into: &b)
            }
            let normed = Self.floats(try Self.run(config, dram: Self.image([(0, x)], halves: [(1 << 17, weight)]), emitNorm),
                                     at: 1 << 16, count: tokens * n)
            for t in 0..<tokens {
                let want = DecoderReference.rmsNorm(Array(x[(t * n)..<((t + 1) * n)]), weight: weight, eps: 1e-5, vlen: config.vlen)
                #expect(Array(normed[(t * n)..<((t + 1) * n)]).map(\.bitPattern) == want.map(\.bitPattern), "token \(t)")
            }
            let width = heads * headDim
            let q = Self.random(tokens * width, &rng)
            let reference = DecoderReference.ropeTables(theta: 10_000, headDim: headDim, positions: context + tokens)
            let tables = RopeTables(theta: 10_000, headDim: headDim, positions: context ..< context + tokens)
            let emitRope = { (b: inout ProgramBuilder) throws in
                try FloatKernels(config: config).rope(tokens: tokens, buffer: 0, heads: heads, headDim: headDim, cos: 1 << 16, sin: 1 << 17, into: &b)
            }
            let rotated = Self.floats(try Self.run(config, dram: Self.image([(0, q), (1 << 16, tables.cos), (1 << 17, tables.sin)]), emitRope),
                                      at: 0, count: q.count)
            for t in 0..<tokens {
                let want = DecoderReference.rope(Array(q[(t * width)..<((t + 1) * width)]), position: context + t,
                                                 cos: reference.cos, sin: reference.sin, headDim: headDim)
                #expect(Array(rotated[(t * width)..<((t + 1) * width)]).map(\.bitPattern) == want.map(\.bitPattern), "token \(t)")
            }
            var b = ProgramBuilder(packing: config.packing)
            try emitNorm(&b)
            try emitRope(&b)
            #expect(b.scheduleNotes.contains { $0.hasPrefix("RMSNorm over 400 features: the activation SRAM has no room") } == (size == 3000),
                    "\(b.scheduleNotes)")
            #expect(b.scheduleNotes.contains { $0.hasPrefix("RMSNorm over 400 features: the activation SRAM has room for 4 piece buffers, not two rows of 3 pieces") }
                        == (size == 4096), "\(b.scheduleNotes)")
            #expect(b.scheduleNotes.contains { $0.hasPrefix("RoPE:") } == (size < 65536), "\(b.scheduleNotes)")
        }
    }

    /// The KV cache write: 20 tokens (a group of 16 and one of 4) at context 3 of a cache of
    /// 30 positions, rounded to bf16 or fp16 per element, each head's positions in place and
    /// every other byte untouched; on the standard and narrow machines (ragged chunks) and one
    /// whose activation SRAM holds one token's rows (a token at a time, with a note).
    @Test(arguments: [KVCacheFormat.bf16, .fp16])
    func kvCacheWrite(format: KVCacheFormat) throws {
        var oneToken = Self.machines[0]
        oneToken.activationSRAM.size = 64 + 4 * 40 + 2 * 40 + 64 + 100
        let kvHeads = 2, headDim = 20, tokens = 20, context = 3, capacity = 30, width = 2 * 20
        for config in Self.machines + [oneToken] {
            var rng = SplitMix64(seed: 41)
            let rows = Self.random(tokens * width, &rng)
            let sentinel = [UInt16](repeating: 0xABCD, count: kvHeads * capacity * headDim)
            let (source, cache) = (0, 1 << 14)
            let emit = { (b: inout ProgramBuilder) throws in
                try FloatKernels(config: config).storeKV(tokens: tokens, source: source, cache: cache, kvHeads: kvHeads, headDim: headDim,
                                                         capacity: capacity, context: context, format: format, into: &b)
            }
            let simulator = try Self.run(config, dram: Self.image([(source, rows)], halves: [(cache, sentinel)]), emit)
            let words = DRAMImage.words(simulator, at: cache, count: kvHeads * capacity * headDim / 2) ?? []
            let got = words.flatMap { [UInt16($0 & 0xFFFF), UInt16($0 >> 16)] }
            var want = sentinel
            for t in 0..<tokens {
                for h in 0..<kvHeads {
                    for d in 0..<headDim {
                        let x = rows[t * width + h * headDim + d]
                        want[(h * capacity + context + t) * headDim + d] = format == .bf16 ? BFloat16.bits(x) : Float16(x).bitPattern
                    }
                }
            }
            #expect(got == want, "vlen \(config.vlen), activation SRAM \(config.activationSRAM.size)")
            var b = ProgramBuilder(packing: config.packing)
            try emit(&b)
            #expect(b.scheduleNotes.contains { $0.hasPrefix("KV cache write:") } == (config.activationSRAM.size == oneToken.activationSRAM.size),
                    "\(b.scheduleNotes)")
        }
    }

    /// Element-wise operations over one piece, several (1000 on the narrow machine, 2049 and
    /// 5000 on both: double-buffered pieces of up to 1024 floats) and a ragged last one.
    @Test(arguments: [1, 7, 65, 1000, 2049, 5000])
    func elementwise(count: Int) throws {
        for config in Self.machines {
            var rng = SplitMix64(seed: UInt64(count))
            let a = Self.random(count, &rng, scale: 12), b = Self.random(count, &rng)
            for (op, want) in [(FloatKernels.Elementwise.add, zip(a, b).map { $0 + $1 }),
                               (.relu2Times, DecoderReference.gatedActivation(gate: a, up: b, activation: .relu2)),
                               (.siluTimes, DecoderReference.gatedActivation(gate: a, up: b, activation: .silu))] {
                let out = 1 << 17
                let simulator = try Self.run(config, dram: Self.image([(0, a), (1 << 16, b)])) { builder in
                    try FloatKernels(config: config).elementwise(op, count: count, a: 0, b: 1 << 16, out: out, into: &builder)
                }
                #expect(Self.floats(simulator, at: out, count: count).map(\.bitPattern) == want.map(\.bitPattern), "\(op), vlen \(config.vlen)")
            }
        }
    }

    /// Query tokens attending a cache of context + tokens positions: 4 query heads over 2
    /// KV heads, head_dim 10, in both cache formats, contexts 0, 1 and 20, one or two tokens.
    @Test(arguments: [KVCacheFormat.fp32, .bf16], [(0, 1), (1, 1), (20, 1), (3, 2)])
    func attention(format: KVCacheFormat, positions: (context: Int, tokens: Int)) throws {
        for config in Self.machines {
            var rng = SplitMix64(seed: 21)
            let heads = 4, kvHeads = 2, headDim = 10, capacity = 24
            let (context, tokens) = positions
            let q = Self.random(tokens * heads * headDim, &rng)
            // The cache as stored, and the float32 values the reference reads back.
            let rawKeys = Self.random(kvHeads * capacity * headDim, &rng), rawValues = Self.random(kvHeads * capacity * headDim, &rng)
            let keys = format == .bf16 ? rawKeys.map { BFloat16.float(BFloat16.bits($0)) } : rawKeys
            let values = format == .bf16 ? rawValues.map { BFloat16.float(BFloat16.bits($0)) } : rawValues
            let plan = try AttentionPlan(tokens: tokens, context: context, capacity: capacity, heads: heads, kvHeads: kvHeads, headDim: headDim,
                                         format: format, config: config)
            let (query, keyCache, valueCache, output) = (0, 1 << 14, 1 << 15, 1 << 16)
            let dram = format == .bf16
                ? Self.image([(query, q)], halves: [(keyCache, rawKeys.map(BFloat16.bits)), (valueCache, rawValues.map(BFloat16.bits))])
                : Self.image([(query, q), (keyCache, keys), (valueCache, values)])
            let simulator = try Self.run(config, dram: dram) { b in
                AttentionKernel(plan: plan).emit(query: query, keyCache: keyCache, valueCache: valueCache, output: output,
                                                 regions: ("scores", "softmax", "values"), into: &b)
            }
            let got = Self.floats(simulator, at: output, count: tokens * heads * headDim)
            for x in Self.attendedRows(tokens: tokens, heads: heads, kvHeads: kvHeads, context: context, capacity: capacity, headDim: headDim) {
                let want = DecoderReference.attention(query: Array(q[x.head]), keys: Array(keys[x.rows]),
                                                      values: Array(values[x.rows]), count: x.count, headDim: headDim, vlen: config.vlen)
                #expect(Array(got[x.head]).map(\.bitPattern) == want.map(\.bitPattern), "token \(x.token), head \(x.h), vlen \(config.vlen)")
            }
        }
    }

    /// The matrix-product attention (16-bit caches): head_dim 10 (ragged chunks on the
    /// narrow machine), 32 (rows of 64 bytes: shifts instead of multiplies) and 70 (two chunks of 64), contexts from 0 to several key blocks (a
    /// weight SRAM with room for blocks of ROWS keys only) and tile counts from 1 to 6 per
    /// block (groups of 4, 2 and 1), one or two tokens, against the
    /// reference's order of sums. The DRAM past each cache row that is read is junk, the
    /// zero rows real zeros.
    @Test(arguments: [KVCacheFormat.bf16, .fp16], [(0, 1), (1, 1), (20, 1), (3, 2), (77, 1), (150, 1), (189, 2)])
    func matrixAttention(format: KVCacheFormat, positions: (context: Int, tokens: Int)) throws {
        var machines = Self.machines
        var tinyWeights = machines[0]
        tinyWeights.weightSRAM.size = 3 * tinyWeights.rows * 2 * 70 + 100
        machines.append(tinyWeights)
        for config in machines {
            for headDim in [10, 32, 70] {
                var rng = SplitMix64(seed: UInt64(22 + headDim))
                let heads = 4, kvHeads = 2, capacity = 200
                let (context, tokens) = positions
                let made = AttentionMatrixPlan.make(tokens: tokens, context: context, capacity: capacity, heads: heads,
                                                    kvHeads: kvHeads, headDim: headDim, format: format, config: config)
                guard let plan = made.plan else {
                    // 70 features in 7 lanes need 10 query registers: the lane-wise kernel's case.
                    #expect(config.vlen == 7 && headDim == 70 && made.reason?.contains("accumulators") == true, "\(made.reason ?? "")")
                    continue
                }
                let q = Self.random(tokens * heads * headDim, &rng)
                func bits(_ x: Float) -> UInt16 { format == .bf16 ? BFloat16.bits(x) : Float16(x).bitPattern }
                var rawKeys = Self.random(kvHeads * capacity * headDim, &rng).map(bits)
                var rawValues = Self.random(kvHeads * capacity * headDim, &rng).map(bits)
                // Junk (NaN) in the rows after the attended ones: never to reach the output.
                for g in 0..<kvHeads {
                    for i in ((g * capacity + context + tokens) * headDim)..<((g + 1) * capacity * headDim) {
                        rawKeys[i] = 0x7FC0; rawValues[i] = 0x7FC0
                    }
                }
                let table: TableFormat = format == .bf16 ? .bf16 : .fp16
                let keys = rawKeys.map(table.float), values = rawValues.map(table.float)
                let (query, keyCache, valueCache, zeros, output) = (0, 1 << 16, 1 << 17, 3 << 16, 1 << 18)
                let dram = Self.image([(query, q), (output, [0])], halves: [(keyCache, rawKeys), (valueCache, rawValues)])
                let simulator = try Self.run(config, dram: dram) { b in
                    AttentionMatrixKernel(plan: plan).emit(query: query, keyCache: keyCache, valueCache: valueCache, output: output,
                                                           zeros: zeros, regions: ("scores", "softmax", "values"), into: &b)
                }
                let got = Self.floats(simulator, at: output, count: tokens * heads * headDim)
                for x in Self.attendedRows(tokens: tokens, heads: heads, kvHeads: kvHeads, context: context, capacity: capacity, headDim: headDim) {
                    let want = DecoderReference.matrixAttention(query: Array(q[x.head]), keys: Array(keys[x.rows]),
                                                                values: Array(values[x.rows]), count: x.count, headDim: headDim,
                                                                vlen: config.vlen, matrixRows: config.rows)
                    #expect(Array(got[x.head]).map(\.bitPattern) == want.map(\.bitPattern),
                            "token \(x.token), head \(x.h), head_dim \(headDim), vlen \(config.vlen), \(plan.blockKeys) keys per block")
                }
            }
        }
    }

    /// The LM head: vocabularies of one row, a ragged group, several blocks and flushes;
    /// hidden sizes of one feature, ragged chunks; on the standard and narrow machines and on
    /// two that force the smaller schedules (a weight SRAM with room for groups of 2 rows,
    /// an activation SRAM with room for one block of logits per DMA). The words after the
    /// logits stay untouched: a ragged last group's extra rows are never written.
    @Test(arguments: [(37, 70), (4, 70), (1, 70), (200, 13), (15, 1), (61, 130)], TableFormat.allCases)
    func lmHead(shape: (vocab: Int, hidden: Int), format: TableFormat) throws {
        let (vocab, hidden) = shape
        var machines = Self.machines
        var smallWeights = machines[0]
        smallWeights.weightSRAM.size = max(416, 6 * 2 * hidden + 16)   // three buffers of two rows (hidden >= 70)
        var smallStaging = machines[0]
        smallStaging.activationSRAM.size = 4 * hidden + 64 + 2 * (4 * 28 + 64) + 128
        machines += [smallWeights, smallStaging]
        for config in machines {
            var rng = SplitMix64(seed: UInt64(vocab * 1000 + hidden))
            let x = Self.random(hidden, &rng)
            let head = Self.random(vocab * hidden, &rng).map { format == .bf16 ? BFloat16.bits($0) : Float16($0).bitPattern }
            let plan = try LMHeadPlan(vocab: vocab, hidden: hidden, format: format, config: config)
            let (input, weights, logits) = (0, 1 << 14, 1 << 17)
            let sentinel = [Float](repeating: 12.5, count: 16)
            let simulator = try Self.run(config, dram: Self.image([(input, x), (logits + 4 * vocab, sentinel)], halves: [(weights, head)])) { b in
                LMHeadKernel(plan: plan).emit(input: input, head: weights, logits: logits, into: &b)
            }
            let got = Self.floats(simulator, at: logits, count: vocab + 16)
            let want = (0..<vocab).map { v in
                DecoderReference.dot(head[(v * hidden)..<((v + 1) * hidden)].map(format.float), x, count: hidden, vlen: config.vlen)
            }
            let context = "vocab \(vocab), hidden \(hidden), vlen \(config.vlen), \(plan.groupRows) rows per group, \(plan.rowsPerBlock) per block, \(plan.blocksPerFlush) block(s) per flush"
            #expect(got.prefix(vocab).map(\.bitPattern) == want.map(\.bitPattern), "\(context)")
            #expect(Array(got.suffix(16)) == sentinel, "\(context): written past the logits")
        }
    }
}
