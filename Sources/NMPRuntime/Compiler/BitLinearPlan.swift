import NMPSimulator

/// Why a layer cannot be compiled for a machine.
public struct CompileError: Error, Equatable, CustomStringConvertible {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// Where a BitLinear's data lives on the machine and how its work is tiled (the compiler's
/// decisions, separate from the code that follows from them).
///
/// - Weights: DRAM, as `WeightPacker` tiles, row block by row block; streamed into two
///   weight-SRAM buffers of one row block each (double-buffered DMA).
/// - Input activations: float32 `[tokens, in]` in DRAM, brought into an activation-SRAM
///   staging buffer a piece at a time for the per-token absmax and quantization.
/// - Tokens run in groups of up to 6 (one accumulator and one int8 vector register each);
///   a group's quantized activations stay in the activation SRAM while all row blocks
///   stream past them, so each weight tile is loaded once per group. The code of a group is
///   a loop over the groups, so the program does not grow with the token count.
/// - Outputs: float32 `[tokens, out]` in DRAM (and optionally the int32 sums, same layout).
///   The outputs of `outputBatch` row blocks are staged per token in one of two
///   activation-SRAM buffers and written with one DMA per token and batch: the DMA engine
///   is serial and every transfer pays `dmaLatency`, so fewer, larger output transfers
///   leave more of it to the weights.
public struct BitLinearPlan: Sendable {
    public let tokens: Int
    public let inFeatures: Int
    public let outFeatures: Int
    public let config: MachineConfig
    /// Whether the int32 sums are written to DRAM too (the standalone layer does, for its
    /// report and tests; a decoder does not need them).
    public let writesSums: Bool

    /// Row blocks of ROWS output rows (the last may be ragged) and column chunks of VLEN
    /// input features (the last may be ragged).
    public let blocks: Int
    public let chunks: Int
    /// Input features in the last chunk (VLEN when it is full).
    public let lastChunkColumns: Int
    /// Tokens per group; full groups, and the tokens of the last partial group (0 if none).
    public let group: Int
    public let fullGroups: Int
    public let lastGroupTokens: Int
    /// Bytes of one row block of packed tiles.
    public let blockBytes: Int
    /// Chunks of float32 input brought in per DMA, and pieces per token row.
    public let pieceChunks: Int
    public let pieces: Int

    // Activation SRAM layout.
    public let quantizedAddress = 32
    public var quantizedStride: Int { chunks * config.vlen }
    public let scalesAddress: Int
    /// Row blocks per output DMA; the two staging buffers; bytes per token slot in a buffer
    /// (outputBatch * ROWS float32 values, then as many int32 sums if `writesSums`).
    public let outputBatch: Int
    public let stagingAddress: [Int]
    public let stagingSlotBytes: Int
    public let inputBufferAddress: Int
    /// Eight 4-byte words where the code keeps counters and addresses it has no register
    /// for, at the bottom of the SRAM so that `lw`/`sw` reach them from r0.
    public let spillAddress = 0

    // DRAM layout of a standalone layer (a decoder places the tensors itself).
    public let weightAddress = 0
    public let inputAddress: Int
    public let outputAddress: Int
    public let sumsAddress: Int
    public var dramBytes: Int { sumsAddress + (writesSums ? 4 * tokens * outFeatures : 0) }
    /// Packed weight bytes: blocks * blockBytes.
    public var weightBytes: Int { blocks * blockBytes }

    public init(tokens: Int, inFeatures: Int, outFeatures: Int, config: MachineConfig, writesSums: Bool = true) throws(CompileError) {
        guard tokens >= 1 else { throw CompileError("a layer needs at least one token (got \(tokens))") }
        guard inFeatures >= 1, outFeatures >= 1 else {
            throw CompileError("a layer needs at least one input and one output feature (got \(inFeatures) x \(outFeatures))")
        }
        guard inFeatures <= Self.maxInFeatures else {
            throw CompileError("a layer of \(inFeatures) input features is beyond the int32 accumulators: a sum of \(inFeatures) products of up to 128 could overflow; at most \(Self.maxInFeatures) input features")
        }
        guard config.loopDepth >= 2 else {
            throw CompileError("the compiled layer nests two hardware loops, but the machine's loopDepth is \(config.loopDepth)")
        }
        self.tokens = tokens
        self.inFeatures = inFeatures
        self.outFeatures = outFeatures
        self.config = config
        self.writesSums = writesSums
        let vlen = config.vlen, rows = config.rows
        // Divisions rounded up without `n + d - 1`, which overflows for n near Int.max.
        blocks = outFeatures / rows + (outFeatures % rows == 0 ? 0 : 1)
        chunks = (inFeatures + vlen - 1) / vlen
        lastChunkColumns = inFeatures - (chunks - 1) * vlen
        blockBytes = chunks * config.tileBytes
        guard 2 * blockBytes <= config.weightSRAM.size else {
            throw CompileError("two row blocks of \(inFeatures) packed input features (\(2 * blockBytes) bytes) do not fit the \(config.weightSRAM.size)-byte weight SRAM (field weightSRAM.size); the compiler streams whole row blocks (largest input width here: \(config.weightSRAM.size / (2 * config.tileBytes) * vlen) features)")
        }
        let kPad = chunks * vlen
        let perValue = writesSums ? 8 : 4
        // The largest group (at most 6 tokens) whose buffers fit in the activation SRAM with
        // at least one chunk of float32 input, and whose token offsets fit ldv's immediate.
        // Then the largest output batch (at most 16 row blocks) that still fits.
        func fixedBytes(_ g: Int, _ batch: Int) -> Int {
            32 + Self.align(kPad * g) + Self.align(4 * g) + 2 * Self.align(batch * g * rows * perValue)
        }
        var chosen = 0
        for g in stride(from: min(6, tokens), through: 1, by: -1) {
            if fixedBytes(g, 1) + 4 * vlen <= config.activationSRAM.size && (g - 1) * kPad <= 32767
                && (g - 1) * rows * perValue <= 32767 {
                chosen = g
                break
            }
        }
        guard chosen > 0 else {
            throw CompileError("one token of \(inFeatures) int8 activations plus its staging buffers (\(fixedBytes(1, 1) + 4 * vlen) bytes) does not fit the \(config.activationSRAM.size)-byte activation SRAM (field activationSRAM.size)")
        }
        group = chosen
        fullGroups = tokens / group
        lastGroupTokens = tokens % group
        outputBatch = (1...min(16, blocks)).last {
            fixedBytes(chosen, $0) + 4 * vlen <= config.activationSRAM.size && (chosen - 1) * $0 * rows * perValue <= 32767
        } ?? 1
        stagingSlotBytes = outputBatch * rows * perValue
        scalesAddress = 32 + Self.align(kPad * chosen)
        let firstStaging = scalesAddress + Self.align(4 * chosen)
        stagingAddress = [firstStaging, firstStaging + Self.align(chosen * stagingSlotBytes)]
        inputBufferAddress = stagingAddress[1] + Self.align(chosen * stagingSlotBytes)
        let room = (config.activationSRAM.size - inputBufferAddress) / (4 * vlen)
        pieceChunks = max(1, min(chunks, room))
        pieces = (chunks + pieceChunks - 1) / pieceChunks
        // DRAM: weights, inputs, outputs; sizes checked for overflow (a model config can ask
        // for absurd shapes) before they are compared with the machine's DRAM.
        let weightBytes = Checked.product([blocks, blockBytes]) ?? Int.max
        let inputBytes = Checked.product([tokens, inFeatures, 4]) ?? Int.max
        let outputBytes = Checked.product([tokens, outFeatures, 4]) ?? Int.max
        let dram = Checked.sum([weightBytes, inputBytes, outputBytes, writesSums ? outputBytes : 0, 32])
        guard let dram, dram <= config.dramSize, dram <= Int(UInt32.max) else {
            throw CompileError("the layer's weights, inputs and outputs (\(dram.map { String($0) } ?? "more than 2^63") bytes) do not fit the \(config.dramSize)-byte DRAM (field dramSize)")
        }
        inputAddress = Self.align(weightBytes)
        outputAddress = Self.align(inputAddress + inputBytes)
        sumsAddress = Self.align(outputAddress + outputBytes)
    }

    /// The widest layer: int32 accumulators hold any sum of this many products of an int8
    /// code (at most 128 in magnitude) and a trit, 128 * 16,777,215 < 2^31.
    public static let maxInFeatures = Int(Int32.max) / 128

    /// Rows of output block `b`.
    public func rows(inBlock b: Int) -> Int { min(config.rows, outFeatures - b * config.rows) }

    /// Rounds up to a multiple of 8 (the default bank width: aligned accesses avoid bank conflicts).
    static func align(_ n: Int) -> Int { (n + 7) / 8 * 8 }
}
