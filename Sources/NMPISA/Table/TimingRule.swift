/// A latency that the machine config sets; its raw value is the config key.
public enum LatencyParameter: String, CaseIterable, Sendable {
    case aluLatency, mulLatency, divLatency
    case loadLatency, unpackLatency
    case vectorLatency, vectorMulLatency, macLatency, mmacLatency
    case reduceLatency, requantLatency, floatLatency, expLatency
}

/// Which memory an access goes to.
public enum MemorySpace: String, CaseIterable, Sendable {
    case weightSRAM = "wsram"
    case activationSRAM = "asram"
    case dram = "dram"
}

/// How many bytes a memory instruction moves, as a function of the machine config.
public enum AccessSize: Hashable, Sendable {
    /// A fixed number of bytes (1 or 4 for the scalar loads and stores).
    case bytes(Int)
    /// `vl` lanes of `laneBytes` bytes each (int8 vectors: 1, accumulators: 4).
    case activeLanes(laneBytes: Int)
    /// One packed trit row: ROWBYTES = ceil(VLEN / trits-per-byte).
    case tritRow
    /// ROWS packed trit rows: ROWS * ROWBYTES.
    case tritMatrix

    /// The alignment the address must have (ISA.md 7.6): 4 for the 4-byte element accesses
    /// (`lw`, `sw`, `lda`, `sta`), else 1; a misaligned address traps.
    public var alignment: Int {
        switch self {
        case .bytes(4), .activeLanes(laneBytes: 4): 4
        case .activeLanes(laneBytes: 2): 2
        default: 1
        }
    }

    /// The bytes an access moves with vector length `vl` on a machine of `rows` rows of
    /// `rowBytes` packed bytes.
    public func bytes(vl: Int, rows: Int, rowBytes: Int) -> Int {
        switch self {
        case .bytes(let n): n
        case .activeLanes(let n): n * vl
        case .tritRow: rowBytes
        case .tritMatrix: rows * rowBytes
        }
    }

    /// The formula as ISA.md writes it.
    public var formula: String {
        switch self {
        case .bytes(let n): "\(n)"
        case .activeLanes(let n): n == 1 ? "vl" : "\(n)*vl"
        case .tritRow: "ROWBYTES"
        case .tritMatrix: "ROWS*ROWBYTES"
        }
    }
}

/// How an instruction occupies the issue stage and how its result becomes visible.
///
/// The simulator implements exactly these rules; ISA.md section "Timing" defines them and
/// its instruction table prints `description` for every opcode.
public enum TimingRule: Hashable, Sendable {
    /// Issues in one cycle; its register result is ready `latency` cycles after issue
    /// (no result: ready at once).
    case pipelined(latency: LatencyParameter?)
    /// A float32 vector operation: holds the issue stage for ceil(vl / `floatLanes`) cycles
    /// (at least 1), the float unit processing `floatLanes` lanes per cycle; its result is
    /// ready `latency` cycles after the last of them.
    case floatLanes(latency: LatencyParameter)
    /// A float32 vector operation like `floatLanes` whose lanes pass through several
    /// pipelined steps in turn (`fdq`: convert, divide, multiply); its result is ready the
    /// sum of their latencies after the last issue cycle.
    case floatLanesChain([LatencyParameter])
    /// Issues like `pipelined`; when taken, the next instruction issues `branchPenalty`
    /// cycles later.
    case branch(latency: LatencyParameter?)
    /// Issues and holds the SRAM port for the bank-access cycles of the access;
    /// a load's result is ready `loadLatency` (+ `unpackLatency` for trit loads) after
    /// the last access cycle.
    case memory(MemorySpace, AccessSize, load: Bool, unpacks: Bool)
    /// A float32 vector operation with an operand read from an SRAM: holds the issue stage
    /// for the larger of the access's bank cycles and ceil(vl / `floatLanes`); its result is
    /// ready `loadLatency` + `floatLatency` after the last of them (ISA.md 6.10).
    case floatMemory(MemorySpace, AccessSize)
    /// A float32 matrix product over ROWS rows of vl 16-bit lanes in an SRAM: holds the issue
    /// stage for the larger of the rows' bank cycles and ceil(ROWS * vl / `floatLanes`) (one
    /// multiply per lane per cycle); its result is ready `loadLatency` + `reduceLatency` after
    /// the last of them (ISA.md 6.10).
    case floatMatrix(MemorySpace)
    /// `mgemm`, `hgemm`: holds the issue stage for one cycle and queues the product for the
    /// matrix array, which works on it for the larger of the tile's weight-SRAM bank cycles
    /// and the sum of its N vectors' activation-SRAM bank cycles (one vector per cycle); its
    /// pointer registers are ready `aluLatency` after issue, its N accumulators `loadLatency`
    /// + `unpackLatency` + `mmacLatency` after the array's last cycle on it, and the array
    /// reads those accumulators `loadLatency` + `unpackLatency` after that cycle (ISA.md 6.12).
    case gemm(GEMMOperands)
    /// Enqueues a DMA transfer in one cycle; stalls while the queue is full.
    case dmaEnqueue
    /// Stalls until at most `imm` DMA transfers are outstanding.
    case dmaWait
    /// Stops issue once every outstanding DMA transfer and register write has completed.
    case halt

    /// The cycle rule as written in ISA.md's instruction table.
    public var description: String {
        switch self {
        case .pipelined(let latency?):
            "1 issue, result +`\(latency.rawValue)`"
        case .pipelined(nil):
            "1 issue"
        case .floatLanes(let latency):
            "max(1, ceil(vl/`floatLanes`)) issue, result +`\(latency.rawValue)`"
        case .floatLanesChain(let latencies):
            "max(1, ceil(vl/`floatLanes`)) issue, result +" + latencies.map { "`\($0.rawValue)`" }.joined(separator: "+")
        case .branch(let latency?):
            "1 issue, result +`\(latency.rawValue)`, taken +`branchPenalty`"
        case .branch(nil):
            "1 issue, taken +`branchPenalty`"
        case .memory(let space, let size, let load, let unpacks):
            "banks(\(space.rawValue), \(size.formula))"
                + (load ? ", result +`loadLatency`" : "")
                + (unpacks ? "+`unpackLatency`" : "")
        case .floatMemory(let space, let size):
            "max(banks(\(space.rawValue), \(size.formula)), ceil(vl/`floatLanes`)) issue, result +`loadLatency`+`floatLatency`"
        case .floatMatrix(let space):
            "max(rowbanks(\(space.rawValue), ROWS, 2*vl), ceil(ROWS*vl/`floatLanes`)) issue, result +`loadLatency`+`reduceLatency`"
        case .gemm(let operands):
            "1 issue (waits for a place in the array's queue), pointers +`aluLatency`; array max(banks(wsram, \(operands.tileFormula)), sum over N of banks(asram, \(operands.vectorFormula))), accumulators +`loadLatency`+`unpackLatency`+`mmacLatency` after its last array cycle (6.12)"
        case .dmaEnqueue:
            "1 issue, waits for a free DMA queue slot"
        case .dmaWait:
            "waits until <= imm DMA transfers outstanding"
        case .halt:
            "waits for DMA queue and scoreboard to drain"
        }
    }
}

/// What a matrix product (`TimingRule.gemm`) multiplies: packed trits with int8 vectors
/// (`mgemm`, the ternary array), or binary16 values with binary16 vectors (`hgemm`, the
/// FP16 array of the FP16 baseline). ISA.md 6.12.
public enum GEMMOperands: Hashable, Sendable {
    case trits, halves

    /// Bytes per vector lane: an int8 code or a binary16 value.
    public var laneBytes: Int { self == .trits ? 1 : 2 }
    /// The tile's bytes as ISA.md writes them.
    public var tileFormula: String { self == .trits ? "ROWS*ROWBYTES" : "2*ROWS*VLEN" }
    /// A vector's bytes as ISA.md writes them.
    public var vectorFormula: String { self == .trits ? "vl" : "2*vl" }
}
