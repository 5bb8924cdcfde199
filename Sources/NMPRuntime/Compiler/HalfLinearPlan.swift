import NMPSimulator

/// Where an FP16 linear layer's data lives and how its work is tiled: the FP16 baseline's
/// projections in a prefill, on the same machine with its ternary array replaced by the FP16
/// array of equal peak MACs (`hgemm`, ISA.md 6.12).
///
/// The schedule is the BitLinear's (`BitLinearPlan`), with binary16 in place of trits and
/// int8 codes:
/// - Tokens run in groups of up to 8 (`hgemm`'s accumulators, one per token); a group's
///   binary16 activations, chunk-major, stay in the activation SRAM while every weight tile
///   streams past them once, so each tile is read from DRAM once per group.
/// - Weights: DRAM, as `HalfTilePacker` tiles (row block by row block, each block's column
///   chunks in order; a tile is ROWS rows of VLEN binary16 values, 2 * ROWS * VLEN bytes),
///   streamed in passes into two alternating weight-SRAM buffers, the next pass requested
///   before the current one is waited for. A pass is `blocksPerPass` whole row blocks when
///   two buffers of a block fit the weight SRAM, else `passChunks` column chunks of one
///   block (a 2560-wide block of binary16 is 160 KiB: two do not fit the default 256 KiB).
/// - Input: float32 `[tokens, in]` in DRAM, brought in a piece at a time and converted to
///   binary16 (`sthf`, round to nearest even: the FP16 model's activations).
/// - Outputs: float32 `[tokens, out]` in DRAM: the accumulators' sums, staged per token at
///   the end of each row block and written with one DMA per token and pass.
public struct HalfLinearPlan: Sendable {
    public let tokens: Int
    public let inFeatures: Int
    public let outFeatures: Int
    public let config: MachineConfig

    /// Row blocks of ROWS output rows and column chunks of VLEN input features (the last of
    /// each may be ragged).
    public let blocks: Int
    public let chunks: Int
    public let lastChunkColumns: Int
    /// Bytes of one binary16 tile and of one row block of them.
    public var tileBytes: Int { 2 * config.rows * config.vlen }
    public var blockBytes: Int { chunks * tileBytes }
    /// Whole row blocks per pass (when two buffers of a block fit the weight SRAM), else 1.
    public let blocksPerPass: Int
    /// Column chunks per pass when a pass is part of one block (`chunks` otherwise), and the
    /// passes each block takes (1 for whole blocks).
    public let passChunks: Int
    public let passesPerBlock: Int
    /// Bytes of the weight-SRAM buffer of a pass.
    public var passBytes: Int { blocksPerPass * passChunks * tileBytes }
    /// Tokens per group; full groups, and the tokens of the last partial group (0 if none).
    public let group: Int
    public let fullGroups: Int
    public let lastGroupTokens: Int
    /// Chunks of float32 input per DMA and pieces per token row.
    public let pieceChunks: Int
    public let pieces: Int
    /// Why the plan is smaller than the compiler's preferred schedule, for the caller to
    /// print; nil when it is the preferred one.
    public let note: String?

    // Activation SRAM layout.
    /// Four-byte words where the code keeps counters it has no register for.
    public let spillAddress = 0
    /// The group's binary16 activations, chunk-major: chunk c of token slot t (of a group of
    /// n) at activationAddress + (c * n + t) * 2 * VLEN.
    public let activationAddress = 32
    /// Two staging buffers of `group` slots of `blocksPerPass * ROWS` float32 outputs.
    public let stagingAddress: [Int]
    public var stagingSlotBytes: Int { 4 * blocksPerPass * config.rows }
    public let inputBufferAddress: Int

    // DRAM layout of a standalone layer (a decoder places the tensors itself).
    public let weightAddress = 0
    public let inputAddress: Int
    public let outputAddress: Int
    public var weightBytes: Int { blocks * blockBytes }

    public init(tokens: Int, inFeatures: Int, outFeatures: Int, config: MachineConfig) throws(CompileError) {
        guard tokens >= 1 else { throw CompileError("a layer needs at least one token (got \(tokens))") }
        guard inFeatures >= 1, outFeatures >= 1 else {
            throw CompileError("a layer needs at least one input and one output feature (got \(inFeatures) x \(outFeatures))")
        }
        guard config.loopDepth >= 2 else {
            throw CompileError("the compiled FP16 layer nests two hardware loops, but the machine's loopDepth is \(config.loopDepth)")
        }
        self.tokens = tokens
        self.inFeatures = inFeatures
        self.outFeatures = outFeatures
        self.config = config
        let vlen = config.vlen, rows = config.rows
        let tile = 2 * rows * vlen
        blocks = outFeatures / rows + (outFeatures % rows == 0 ? 0 : 1)
        chunks = inFeatures / vlen + (inFeatures % vlen == 0 ? 0 : 1)
        lastChunkColumns = inFeatures - (chunks - 1) * vlen
        let half = config.weightSRAM.size / 2
        guard tile <= half else {
            throw CompileError("two binary16 tiles (\(2 * tile) bytes: ROWS x VLEN x 2 bytes each) do not fit the \(config.weightSRAM.size)-byte weight SRAM (field weightSRAM.size)")
        }
        guard let block = Checked.product([chunks, tile]) else { throw CompileError("a row block of \(inFeatures) binary16 features overflows") }
        if block <= half {
            // Whole blocks per pass: as many as half the weight SRAM holds (at most 16, so that
            // a pass's outputs stage in a few KiB).
            blocksPerPass = max(1, min(blocks, half / block, 16))
            passChunks = chunks
            passesPerBlock = 1
        } else {
            blocksPerPass = 1
            let perPass = half / tile
            let passes = chunks / perPass + (chunks % perPass == 0 ? 0 : 1)
            passChunks = chunks / passes + (chunks % passes == 0 ? 0 : 1)
            passesPerBlock = chunks / passChunks + (chunks % passChunks == 0 ? 0 : 1)
        }
        var notes: [String] = []
        // The largest group (at most 8 tokens) whose activations, staging buffers and one
        // chunk of float32 input fit the activation SRAM, with 16-bit staging-store offsets.
        let slot = 4 * blocksPerPass * rows, chunkCount = chunks
        func fixed(_ g: Int) -> Int { 32 + Self.align(chunkCount * g * 2 * vlen) + 2 * Self.align(g * slot) }
        let preferred = min(8, tokens)
        guard let chosen = stride(from: preferred, through: 1, by: -1).first(where: {
            fixed($0) + 4 * vlen <= config.activationSRAM.size && $0 * slot <= 32767
        }) else {
            guard slot <= 32767 else {
                throw CompileError("a token's staged outputs (\(slot) bytes: \(blocksPerPass) row block(s) of ROWS = \(rows) float32) are beyond the 16-bit offsets of the staging stores (field rows)")
            }
            throw CompileError("one token of \(inFeatures) binary16 activations plus its staging buffers and one chunk of input (\(fixed(1) + 4 * vlen) bytes) do not fit the \(config.activationSRAM.size)-byte activation SRAM (field activationSRAM.size)")
        }
        if chosen < preferred {
            notes.append("activation SRAM: groups of \(chosen) token(s) instead of \(preferred) (each weight tile is loaded once per group)")
        }
        group = chosen
        fullGroups = tokens / chosen
        lastGroupTokens = tokens % chosen
        let firstStaging = 32 + Self.align(chunks * chosen * 2 * vlen)
        stagingAddress = [firstStaging, firstStaging + Self.align(chosen * slot)]
        inputBufferAddress = firstStaging + 2 * Self.align(chosen * slot)
        pieceChunks = max(1, min(chunks, (config.activationSRAM.size - inputBufferAddress) / (4 * vlen)))
        pieces = chunks / pieceChunks + (chunks % pieceChunks == 0 ? 0 : 1)
        note = notes.isEmpty ? nil : notes.joined(separator: "; ")
        let weightBytes = Checked.product([blocks, block]) ?? Int.max
        let inputBytes = Checked.product([tokens, inFeatures, 4]) ?? Int.max
        let outputBytes = Checked.product([tokens, outFeatures, 4]) ?? Int.max
        let dram = Checked.sum([weightBytes, inputBytes, outputBytes, 32])
        guard let dram, dram <= config.dramSize, dram <= Int(UInt32.max) else {
            throw CompileError("the layer's binary16 weights, inputs and outputs (\(dram.map { String($0) } ?? "more than 2^63") bytes) do not fit the \(config.dramSize)-byte DRAM (field dramSize)")
        }
        inputAddress = Self.align(weightBytes)
        outputAddress = Self.align(inputAddress + inputBytes)
    }

    /// Rounds up to a multiple of 8 (the default bank width).
    static func align(_ n: Int) -> Int { (n + 7) / 8 * 8 }
}

/// Lays out a binary16 weight matrix as `HalfLinearPlan`'s program streams it: tiles of ROWS
/// rows by VLEN columns, row block by row block, each block's column chunks in order; row r
/// of a tile at 2 * r * VLEN, little-endian. Rows past the matrix and columns past its width
/// are +0.0 (the program reads only the real columns and stores only the real rows).
public enum HalfTilePacker {
    /// - Parameter halves: row-major `rows x columns` binary16 bit patterns.
    public static func tiles(_ halves: [UInt16], rows: Int, columns: Int, config: MachineConfig) -> [UInt8] {
        let blocks = (rows + config.rows - 1) / config.rows
        let chunks = (columns + config.vlen - 1) / config.vlen
        var out = [UInt8](repeating: 0, count: blocks * chunks * 2 * config.rows * config.vlen)
        var offset = 0
        for block in 0..<blocks {
            for chunk in 0..<chunks {
                for r in 0..<config.rows {
                    let row = block * config.rows + r
                    for l in 0..<config.vlen {
                        let column = chunk * config.vlen + l
                        if row < rows && column < columns {
                            let h = halves[row * columns + column]
                            out[offset] = UInt8(h & 0xFF)
                            out[offset + 1] = UInt8(h >> 8)
                        }
                        offset += 2
                    }
                }
            }
        }
        return out
    }
}
