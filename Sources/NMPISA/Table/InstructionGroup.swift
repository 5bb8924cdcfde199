/// The instruction classes ISA.md groups the table by; the simulator counts
/// retired instructions per class.
public enum InstructionGroup: String, CaseIterable, Sendable {
    case control
    case scalar
    case branch
    case memory
    case dma
    case ternary
    case accumulator
    case float

    /// Section heading in ISA.md.
    public var title: String {
        switch self {
        case .control: "Control"
        case .scalar: "Scalar arithmetic"
        case .branch: "Branches, jumps and loops"
        case .memory: "Loads and stores"
        case .dma: "DMA"
        case .ternary: "Ternary compute"
        case .accumulator: "Accumulator and requantization"
        case .float: "Float32 scale and vector unit"
        }
    }
}

/// The units of the machine that execute instructions (ISA.md 1.1), one per timeline track:
/// every instruction holds the issue stage, and its class's unit for its issue cycles.
public enum ExecutionUnit: String, CaseIterable, Sendable {
    /// The scalar ALU, branch and loop logic, and control (`nop`, `halt`, `setvl`).
    case scalar
    /// The SRAM load/store ports.
    case loadStore = "load/store"
    /// The DMA queue's enqueue and `dwait` (the transfers themselves run on the DRAM channel).
    case dma = "DMA queue"
    /// The ternary array: trit-vector and trit-matrix MACs, sign and threshold.
    case ternary = "ternary array"
    /// The int32 accumulator lanes: element-wise, reductions, requantization.
    case accumulator
    /// The float32 scale and vector unit.
    case float = "float unit"
}

extension InstructionGroup {
    /// The unit an instruction of this class runs on.
    public var unit: ExecutionUnit {
        switch self {
        case .control, .scalar, .branch: .scalar
        case .memory: .loadStore
        case .dma: .dma
        case .ternary: .ternary
        case .accumulator: .accumulator
        case .float: .float
        }
    }
}

/// Everything the tools know about one opcode.
public struct InstructionSpec: Sendable {
    /// Bit layout of the word.
    public let format: InstructionFormat
    /// Operands in assembly order, each tied to its word fields.
    public let operands: [OperandKind]
    /// Class for grouping and counters.
    public let group: InstructionGroup
    /// Issue and latency rule (ISA.md "Timing").
    public let timing: TimingRule
    /// The energy events each issue counts, with their counts (ISA.md 3.3). Every
    /// instruction also counts one `.instruction`, which is listed first.
    public let energy: [EventCount]
    /// One-line semantics, as in ISA.md's table.
    public let summary: String
    /// How the operands are used beyond "first register operand is the result, the others
    /// are sources" (ISA.md 6.1): the scoreboard reads these from the table.
    public let roles: OperandRoles

    init(format: InstructionFormat, operands: [OperandKind], group: InstructionGroup, timing: TimingRule,
         energy: [EventCount], summary: String, roles: OperandRoles = []) {
        self.roles = roles
        self.format = format
        self.operands = operands
        self.group = group
        self.timing = timing
        self.energy = [.count(.instruction, 1)] + energy
        self.summary = summary
    }

    /// The latencies that add up to the cycles from the instruction's last issue cycle to
    /// its register result, or nil if it writes no register.
    public var resultLatency: [LatencyParameter]? {
        switch timing {
        case .pipelined(let latency?), .branch(let latency?), .floatLanes(let latency): [latency]
        case .floatLanesChain(let latencies): latencies
        case .memory(_, _, load: true, let unpacks): unpacks ? [.loadLatency, .unpackLatency] : [.loadLatency]
        case .floatMemory: [.loadLatency, .floatLatency]
        case .floatMatrix: [.loadLatency, .reduceLatency]
        case .gemm: [.aluLatency]
        default: nil
        }
    }

    /// Whether the instruction depends on `vl` (ISA.md 2.2): exactly when one of its
    /// energy counts does, so `vl` is one of its scoreboard sources.
    public var readsVL: Bool {
        energy.contains { count in
            count.terms.contains { [.vl, .vlTritBytes, .rowsVlTritBytes, .rowsVl, .tokensVl, .tokensRowsVl].contains($0.quantity) }
        }
    }

    /// The distinct events the opcode can count, `.instruction` first.
    public var events: [EnergyEvent] { energy.flatMap(\.events) }
}

/// Operand roles the scoreboard needs that the operand list alone does not say.
public struct OperandRoles: OptionSet, Hashable, Sendable {
    public let rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }

    /// The destination register is also read: the instruction accumulates into it
    /// (`vmac`, `mmac`, `fvmac`, `fmacs`, `fwmacbf`, `fwmachf`, and the float matrix products), so it waits for the register's earlier result.
    /// The matrix products (`mgemm`, `hgemm`, ...) carry it for their pointer registers, which they read and advance
    /// (their accumulators have the rule of ISA.md 6.12).
    public static let accumulates = OperandRoles(rawValue: 1)
    /// The instruction writes `vl` (`setvl`): later `vl`-dependent instructions wait for it.
    public static let writesVL = OperandRoles(rawValue: 2)
}
