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
///   stream past them, so each weight tile is loaded once per group.
/// - Outputs: per group and row block, the int32 accumulators and the float32 results of
///   the block's rows for every token of the group, staged in the activation SRAM (two
///   buffers of `outputBatch` blocks each) and written to DRAM with one DMA per batch: the
///   DMA engine is serial and every transfer pays `dmaLatency`, so fewer, larger output
///   transfers leave more of it to the weights.
public struct BitLinearPlan: Sendable {
    public let tokens: Int
    public let inFeatures: Int
    public let outFeatures: Int
    public let config: MachineConfig

    /// Row blocks of ROWS output rows (the last may be ragged) and column chunks of VLEN
    /// input features (the last may be ragged).
    public let blocks: Int
    public let chunks: Int
    /// Input features in the last chunk (VLEN when it is full).
    public let lastChunkColumns: Int
    /// Tokens per group, and groups.
    public let group: Int
    public let groups: Int
    /// Bytes of one row block of packed tiles.
    public let blockBytes: Int
    /// Chunks of float32 input brought in per DMA, and pieces per token row.
    public let pieceChunks: Int
    public let pieces: Int

    // Activation SRAM layout.
    public let quantizedAddress = 0
    public var quantizedStride: Int { chunks * config.vlen }
    public let scalesAddress: Int
    public let stagingAddress: [Int]
    /// Bytes of one row block's outputs for the group; row blocks per output DMA.
    public let stagingBytes: Int
    public let outputBatch: Int
    public let inputBufferAddress: Int

    // DRAM layout.
    public let weightAddress = 0
    public let inputAddress: Int
    public let outputAddress: Int
    public var dramBytes: Int { outputAddress + groups * blocks * stagingBytes }
    /// An upper bound of the generated program's instructions, checked against
    /// `maxInstructions` before any code is generated.
    public let instructionBound: Int

    public init(tokens: Int, inFeatures: Int, outFeatures: Int, config: MachineConfig) throws(CompileError) {
        guard tokens >= 1 else { throw CompileError("a layer needs at least one token (got \(tokens))") }
        guard inFeatures >= 1, outFeatures >= 1 else {
            throw CompileError("a layer needs at least one input and one output feature (got \(inFeatures) x \(outFeatures))")
        }
        guard inFeatures <= Self.maxInFeatures else {
            throw CompileError("a layer of \(inFeatures) input features is beyond the int32 accumulators: a sum of \(inFeatures) products of up to 128 could overflow; at most \(Self.maxInFeatures) input features")
        }
        self.tokens = tokens
        self.inFeatures = inFeatures
        self.outFeatures = outFeatures
        self.config = config
        let vlen = config.vlen, rows = config.rows
        // Divisions rounded up without `n + d - 1`, which overflows for n near Int.max.
        blocks = outFeatures / rows + (outFeatures % rows == 0 ? 0 : 1)
        chunks = (inFeatures + vlen - 1) / vlen
        lastChunkColumns = inFeatures - (chunks - 1) * vlen
        blockBytes = chunks * config.tileBytes
        guard 2 * blockBytes <= config.weightSRAM.size else {
            throw CompileError("two row blocks of \(inFeatures) packed input features (\(2 * blockBytes) bytes) do not fit the \(config.weightSRAM.size)-byte weight SRAM; the compiler streams whole row blocks (largest input width here: \(config.weightSRAM.size / (2 * config.tileBytes) * vlen) features)")
        }
        let kPad = chunks * vlen
        // The largest group (at most 6 tokens) whose buffers fit in the activation SRAM with
        // at least one chunk of float32 input, and whose token offsets fit ldv's immediate.
        // Then the largest output batch (at most 8 row blocks) that still fits.
        func fixedBytes(_ g: Int, _ batch: Int) -> Int {
            Self.align(kPad * g) + Self.align(4 * g) + 2 * Self.align(batch * 2 * g * rows * 4)
        }
        var chosen = 0
        for g in stride(from: min(6, tokens), through: 1, by: -1) {
            if fixedBytes(g, 1) + 4 * vlen <= config.activationSRAM.size && (g - 1) * kPad <= 32767 {
                chosen = g
                break
            }
        }
        guard chosen > 0 else {
            throw CompileError("one token of \(inFeatures) int8 activations plus its staging buffers does not fit the \(config.activationSRAM.size)-byte activation SRAM")
        }
        group = chosen
        groups = tokens / group + (tokens % group == 0 ? 0 : 1)
        stagingBytes = 2 * group * rows * 4
        outputBatch = (1...min(8, blocks)).last { fixedBytes(chosen, $0) + 4 * vlen <= config.activationSRAM.size } ?? 1
        scalesAddress = Self.align(kPad * chosen)
        let firstStaging = scalesAddress + Self.align(4 * chosen)
        stagingAddress = [firstStaging, firstStaging + Self.align(outputBatch * stagingBytes)]
        inputBufferAddress = firstStaging + 2 * Self.align(outputBatch * stagingBytes)
        let room = (config.activationSRAM.size - inputBufferAddress) / (4 * vlen)
        pieceChunks = max(1, min(chunks, room))
        pieces = (chunks + pieceChunks - 1) / pieceChunks
        // DRAM: weights, inputs, outputs; sizes checked for overflow (a model config can ask
        // for absurd shapes) before they are compared with the machine's DRAM.
        let weightBytes = Checked.product([blocks, blockBytes]) ?? Int.max
        let inputBytes = Checked.product([tokens, inFeatures, 4]) ?? Int.max
        let outputBytes = Checked.product([groups, blocks, stagingBytes]) ?? Int.max
        let dram = Checked.sum([weightBytes, inputBytes, outputBytes, 16])
        guard let dram, dram <= config.dramSize else {
            throw CompileError("the layer's weights, inputs and outputs (\(dram.map { String($0) } ?? "more than 2^63") bytes) do not fit the \(config.dramSize)-byte DRAM")
        }
        inputAddress = Self.align(weightBytes)
        outputAddress = Self.align(inputAddress + inputBytes)
        // The generated program repeats its code per token and per token group and row
        // block; bound it before any text is built (an upper bound counted from
        // BitLinearCodegen: at most 58 instructions per input piece and token, 40 + 11 per
        // token of a group per row block).
        let estimate = Checked.sum([Checked.product([tokens, 12 + 58 * pieces]),
                                    Checked.product([groups, Checked.sum([4, Checked.product([blocks, 40 + 11 * group])]) ?? Int.max]), 16])
        guard let estimate, estimate <= Self.maxInstructions else {
            throw CompileError("the compiled program would have up to \(estimate.map { String($0) } ?? "more than 2^63") instructions, more than the \(Self.maxInstructions) an image holds: the compiler repeats code per token group and row block (fewer tokens per run, or a machine with more rows, help)")
        }
        instructionBound = estimate
    }

    /// The most instructions a program may have: the assembler's `.text` limit (ISA.md 8.6).
    public static let maxInstructions = 1 << 20

    /// The widest layer: int32 accumulators hold any sum of this many products of an int8
    /// code (at most 128 in magnitude) and a trit, 128 * 16,777,215 < 2^31.
    public static let maxInFeatures = Int(Int32.max) / 128

    /// Rows of output block `b`.
    public func rows(inBlock b: Int) -> Int { min(config.rows, outFeatures - b * config.rows) }

    /// Rounds up to a multiple of 8 (the default bank width: aligned accesses avoid bank conflicts).
    static func align(_ n: Int) -> Int { (n + 7) / 8 * 8 }
}
