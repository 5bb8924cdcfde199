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
/// - Weights: DRAM, as `WeightPacker` tiles (row block by row block, each block's column
///   chunks in order), streamed in passes of `blocksPerPass` row blocks. A pass is two DMA
///   transfers (one block each, or a single block's halves) into one of two weight-SRAM
///   buffers; the next pass streams into the other buffer while the code multiplies (with
///   the pipelined DMA of ISA.md 6.5 the DRAM channel stays busy as long as the next pass is
///   requested a DMA latency before the current one has arrived). The multiply is one
///   `mgemm` per tile (ISA.md 7.8), which streams the group's tokens past the tile while
///   the array reads the next tile: the issue cycles per tile are the larger of the tile's
///   weight-SRAM cycles (2 on the default machine, below the 6.5 cycles the DRAM needs per
///   416-byte tile) and one per token. A weight SRAM too small for two buffers of two
///   blocks falls back to one block per pass (`note`).
/// - Input activations: float32 `[tokens, in]` in DRAM, brought into an activation-SRAM
///   staging buffer a piece at a time for the per-token absmax and quantization. A group of
///   one token whose input is one piece requests the first pass of weights right behind its
///   input, so that the weights stream while the core quantizes. A group of several tokens
///   whose rows fit twice (`prefetchesSlots`) alternates two row buffers: the next slot's
///   row streams while this one is quantized, and the first pass of weights is requested
///   behind the last slot's row, one slot before the quantization ends.
/// - Tokens run in groups of up to 8 (`mgemm`'s accumulators a(8-n) ... a7, one per token);
///   a group's int8 codes, chunk-major, stay in the activation SRAM while all passes stream
///   past them, so each weight tile is read from DRAM once per group. The code of a group
///   is a loop over the groups, so the program does not grow with the token count.
/// - Outputs: float32 `[tokens, out]` in DRAM (and optionally the int32 sums, same layout).
///   The outputs of `outputBatch` passes are staged per token in an activation-SRAM buffer
///   (two alternating buffers when one batch does not hold them all) and written with one DMA
///   per token and batch. When all of a group's outputs fit one batch (a decode token on the
///   default machine), they leave with one transfer at the end, and no output transfer sits
///   in the DMA FIFO between two passes of weights.
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
    /// Row blocks per pass (2, or 1 when the weight SRAM cannot hold two buffers of two
    /// blocks); passes of `blocksPerPass` blocks, and the blocks of a last, smaller pass (0 if none).
    public let blocksPerPass: Int
    public let fullPasses: Int
    public let lastPassBlocks: Int
    public var passes: Int { fullPasses + (lastPassBlocks > 0 ? 1 : 0) }
    /// Tokens per group; full groups, and the tokens of the last partial group (0 if none).
    public let group: Int
    public let fullGroups: Int
    public let lastGroupTokens: Int
    /// Bytes of one row block of packed tiles, and of one full pass (one weight buffer).
    public let blockBytes: Int
    public var passBytes: Int { blocksPerPass * blockBytes }
    /// Chunks of float32 input brought in per DMA, pieces per token row, and the input
    /// buffers they rotate through (up to 3 when there are several pieces, else 1), each
    /// `pieceChunks` chunks from `inputBufferAddress` on.
    public let pieceChunks: Int
    public let pieces: Int
    public let inputBuffers: Int
    /// For a group of several tokens whose rows come in one piece each: the second row
    /// buffer its token slots alternate with the one at `inputBufferAddress`, so that the
    /// next slot's row streams in while this one is quantized (nil: one row buffer). It
    /// follows the first when the SRAM has room, else it lies in the staging buffers, just
    /// below the first: rows are only needed while a group quantizes, before its multiply
    /// stages anything, and a row transfer into that space is enqueued after the group
    /// before's last flush, so it takes effect after the flush has read its staged outputs
    /// (transfers take effect in FIFO order, ISA.md 6.5).
    public let secondInputAddress: Int?
    public var prefetchesSlots: Bool { secondInputAddress != nil }
    /// Why the plan is smaller than the compiler's preferred schedule (a fallback for a small
    /// SRAM), for the caller to print; nil when it is the preferred one.
    public let note: String?

    // Activation SRAM layout.
    /// The group's int8 codes, chunk-major: chunk c of token slot t (of a group of n) at
    /// quantizedAddress + (c * n + t) * VLEN.
    public let quantizedAddress = 32
    public let scalesAddress: Int
    /// Passes per output DMA; the staging buffers (one when a batch holds every pass);
    /// bytes per token slot in a buffer (outputBatch * blocksPerPass * ROWS float32 values,
    /// then as many int32 sums if `writesSums`).
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

    /// Row blocks per pass of a layer of `inFeatures` inputs on `config`: 2 when the weight
    /// SRAM holds two buffers of two row blocks, else 1. It depends on the machine and the
    /// input width only.
    public static func blocksPerPass(inFeatures: Int, config: MachineConfig) -> Int {
        let chunks = inFeatures / config.vlen + (inFeatures % config.vlen == 0 ? 0 : 1)
        guard let blockBytes = Checked.product([chunks, config.tileBytes]), let four = Checked.product([4, blockBytes]) else { return 1 }
        return four <= config.weightSRAM.size ? 2 : 1
    }

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
            throw CompileError("two row blocks of \(inFeatures) packed input features (\(2 * blockBytes) bytes) do not fit the \(config.weightSRAM.size)-byte weight SRAM (field weightSRAM.size); the compiler streams whole row blocks, double-buffered, and needs weightSRAM.size >= \(2 * blockBytes) (largest input width here: \(config.weightSRAM.size / (2 * config.tileBytes) * vlen) features)")
        }
        let perPass = Self.blocksPerPass(inFeatures: inFeatures, config: config)
        blocksPerPass = perPass
        fullPasses = blocks / perPass
        lastPassBlocks = blocks % perPass
        var notes: [String] = []
        if perPass == 1 && blocks > 1 {
            notes.append("weight SRAM: \(config.weightSRAM.size) bytes hold two buffers of one row block (\(2 * blockBytes) bytes) but not of two (\(4 * blockBytes) bytes): one row block per pass (weightSRAM.size >= \(4 * blockBytes) for two)")
        }
        let kPad = chunks * vlen
        let perValue = writesSums ? 8 : 4
        let passCount = fullPasses + (lastPassBlocks > 0 ? 1 : 0)
        // The largest group (at most 8 tokens) whose buffers fit in the activation SRAM with
        // at least one chunk of float32 input, and whose offsets fit 16-bit immediates.
        // Then the largest output batch that still fits (every pass, with one staging buffer,
        // if it can).
        func buffers(_ batch: Int) -> Int { batch >= passCount ? 1 : 2 }
        func slot(_ batch: Int) -> Int { batch * perPass * rows * perValue }
        func fixedBytes(_ g: Int, _ batch: Int) -> Int {
            32 + Self.align(kPad * g) + Self.align(4 * g) + buffers(batch) * Self.align(slot(batch) * g)
        }
        // The quantization stores a group's codes two chunks apart with 16-bit offsets, and the
        // staging stores reach each token's slot with them.
        func offsetsFit(_ g: Int, _ batch: Int) -> Bool {
            2 * g * vlen <= 32767 && g * slot(batch) <= 32767
        }
        let preferred = min(8, tokens)
        var chosen = 0
        for g in stride(from: preferred, through: 1, by: -1) where fixedBytes(g, 1) + 4 * vlen <= config.activationSRAM.size && offsetsFit(g, 1) {
            chosen = g
            break
        }
        guard chosen > 0 else {
            throw CompileError("one token of \(inFeatures) int8 activations plus its staging buffers and one chunk of input (\(fixedBytes(1, 1) + 4 * vlen) bytes) do not fit the \(config.activationSRAM.size)-byte activation SRAM (field activationSRAM.size): it needs activationSRAM.size >= \(fixedBytes(1, 1) + 4 * vlen)")
        }
        if chosen < preferred {
            notes.append("activation SRAM: groups of \(chosen) token(s) instead of \(preferred) (each weight tile is loaded once per group)")
        }
        group = chosen
        fullGroups = tokens / group
        lastGroupTokens = tokens % group
        // (At most 4096 passes per batch: a batch that size already leaves one flush per
        // 4096 passes, and the search stays short for absurd shapes.)
        // The input of a token in one piece comes first (a token's row read once, not once
        // for the absmax and again for the codes), then the largest batch.
        let inputRoom = fixedBytes(chosen, 1) + 4 * kPad <= config.activationSRAM.size ? 4 * kPad : 4 * vlen
        let batch = (1...min(passCount, 4096)).last { fixedBytes(chosen, $0) + inputRoom <= config.activationSRAM.size && offsetsFit(chosen, $0) } ?? 1
        outputBatch = batch
        stagingSlotBytes = slot(batch)
        scalesAddress = 32 + Self.align(kPad * chosen)
        let firstStaging = scalesAddress + Self.align(4 * chosen)
        let bufferBytes = Self.align(chosen * stagingSlotBytes)
        stagingAddress = buffers(batch) == 1 ? [firstStaging] : [firstStaging, firstStaging + bufferBytes]
        let afterStaging = firstStaging + buffers(batch) * bufferBytes
        // A row that does not fit after the staging buffers comes in pieces through buffers
        // that start at the staging buffers (rows are only needed before the multiply stages
        // anything; see `secondInputAddress` for why a transfer into that space is safe), up
        // to three of them, so that two more pieces stream while the core works on one (one
        // buffer if there is room for one chunk only).
        let rowFits = (config.activationSRAM.size - afterStaging) / (4 * vlen) >= chunks
        inputBufferAddress = rowFits ? afterStaging : firstStaging
        let room = (config.activationSRAM.size - inputBufferAddress) / (4 * vlen)
        inputBuffers = room < chunks ? max(1, min(3, room)) : 1
        pieceChunks = max(1, min(chunks, room / inputBuffers))
        pieces = (chunks + pieceChunks - 1) / pieceChunks
        let rowBytes = 4 * kPad
        if chosen == 1 || pieces > 1 {
            secondInputAddress = nil
        } else if inputBufferAddress + 2 * rowBytes <= config.activationSRAM.size {
            secondInputAddress = inputBufferAddress + rowBytes
        } else if inputBufferAddress - firstStaging >= rowBytes {
            secondInputAddress = inputBufferAddress - rowBytes
        } else {
            secondInputAddress = nil
            notes.append("activation SRAM: room for one float32 input row, not two: each token slot's row is waited for before it is quantized, and the weights start streaming only after the quantization")
        }
        if pieces > 1 {
            notes.append("activation SRAM: the float32 input comes in \(pieces) pieces per token (read twice: for the absmax, then for the codes), and the weights start streaming only after the quantization")
        }
        note = notes.isEmpty ? nil : notes.joined(separator: "; ")
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

    /// Whether a layer compiled with this plan can multiply each token group with the int8
    /// codes and scales that `previous`, on the same input, left in the activation SRAM
    /// (q, k and v share their input, as do gate and up; `BitLinearCodegen.emitShared`):
    /// the same groups, codes and scales at the same addresses, and nothing this plan writes
    /// during its multiply (staging buffers after the scales) overlapping them.
    public func sharesQuantization(with previous: BitLinearPlan) -> Bool {
        tokens == previous.tokens && inFeatures == previous.inFeatures && config == previous.config
            && group == previous.group && quantizedAddress == previous.quantizedAddress
            && scalesAddress == previous.scalesAddress && stagingAddress[0] >= scalesAddress + 4 * group
    }

    /// Rows of output block `b`.
    public func rows(inBlock b: Int) -> Int { min(config.rows, outFeatures - b * config.rows) }

    /// Rounds up to a multiple of 8 (the default bank width: aligned accesses avoid bank conflicts).
    static func align(_ n: Int) -> Int { (n + 7) / 8 * 8 }
}
