import NMPISA
import NMPSupport

/// Where a run's energy went, in pJ: per event (count x price from the config's energy
/// table) and static power x run time, grouped into report categories.
public struct EnergyReport: Sendable {
    /// A report line: a group of events, or static energy.
    public enum Category: String, CaseIterable, Sendable {
        case instruction = "instruction fetch/decode"
        case registers = "register file"
        case arithmetic = "int8/int32 arithmetic"
        case fp32 = "fp32 unit"
        case tritMACs = "trit MACs"
        case fp16MACs = "fp16 MACs"
        case tritUnpack = "trit unpack/pack"
        case weightSRAM = "weight SRAM"
        case activationSRAM = "activation SRAM"
        case dram = "DRAM"
        case staticPower = "static"

        /// The JSON key.
        public var key: String {
            switch self {
            case .instruction: "instruction"
            case .registers: "register_file"
            case .arithmetic: "arithmetic"
            case .fp32: "fp32"
            case .tritMACs: "trit_macs"
            case .fp16MACs: "fp16_macs"
            case .tritUnpack: "trit_unpack"
            case .weightSRAM: "weight_sram"
            case .activationSRAM: "activation_sram"
            case .dram: "dram"
            case .staticPower: "static"
            }
        }

        /// The category an event's energy is reported in.
        public init(_ event: EnergyEvent) {
            self = switch event {
            case .instruction: .instruction
            case .registerRead, .registerWrite: .registers
            case .int32Add, .int32Mul, .int32Div, .int8Op: .arithmetic
            case .fp32Add, .fp32Mul, .fp32Div: .fp32
            case .tritAdd, .tritSub, .tritSkip: .tritMACs
            case .fp16Mul, .fp16Add: .fp16MACs
            case .tritUnpack: .tritUnpack
            case .weightSRAMRead, .weightSRAMWrite: .weightSRAM
            case .activationSRAMRead, .activationSRAMWrite: .activationSRAM
            case .dramRead, .dramWrite: .dram
            }
        }
    }

    /// pJ per event.
    public var byEvent: CaseTable<EnergyEvent, Double>
    /// Static power x run time, pJ.
    public var staticPicojoules: Double

    /// pJ per category, static included.
    public var byCategory: CaseTable<Category, Double> {
        var totals = CaseTable<Category, Double>()
        for (event, pJ) in byEvent { totals[Category(event)] += pJ }
        totals[.staticPower] = staticPicojoules
        return totals
    }

    /// Dynamic plus static energy, pJ: the events summed in the order of ISA.md 3.3 (the
    /// same order in every process, so the total is the same to the last bit), then static.
    public var total: Double { byEvent.sum() + staticPicojoules }

    /// Prices `events` with `config`'s energy table and charges static power for `cycles`.
    public init(events: CaseTable<EnergyEvent, Int>, cycles: Int, config: MachineConfig) {
        byEvent = CaseTable { Double(events[$0]) * config.picojoules(per: $0) }
        // mW x ns = pJ; one cycle lasts 1 / clockGHz ns.
        staticPicojoules = config.energy.staticPowerMW * Double(cycles) / config.clockGHz
    }
}

extension MachineConfig {
    /// The price of one unit of `event` on this machine, pJ: the energy table's value, with
    /// SRAM bytes priced by each SRAM's size along the table's SRAM curve.
    public func picojoules(per event: EnergyEvent) -> Double {
        let e = energy
        return switch event {
        case .instruction: e.instruction
        case .registerRead: e.registerRead
        case .registerWrite: e.registerWrite
        case .int32Add: e.int32Add
        case .int32Mul: e.int32Mul
        case .int32Div: e.int32Div
        case .int8Op: e.int8Op
        case .fp32Add: e.fp32Add
        case .fp32Mul: e.fp32Mul
        case .fp32Div: e.fp32Div
        case .fp16Mul: e.fp16Mul
        case .fp16Add: e.fp16Add
        case .tritAdd: e.tritAdd
        case .tritSub: e.tritSub
        case .tritSkip: e.tritSkip
        case .tritUnpack: e.tritUnpack
        case .weightSRAMRead, .weightSRAMWrite: e.sramPicojoulesPerByte(size: weightSRAM.size)
        case .activationSRAMRead, .activationSRAMWrite: e.sramPicojoulesPerByte(size: activationSRAM.size)
        case .dramRead: e.dramRead
        case .dramWrite: e.dramWrite
        }
    }
}

extension RunResult {
    /// The run's energy on the config it ran on.
    public var energy: EnergyReport { EnergyReport(events: events, cycles: counters.cycles, config: config) }

    /// Run time at the config's clock, seconds.
    public var seconds: Double { Double(counters.cycles) / (config.clockGHz * 1e9) }

    /// Retired instructions per cycle.
    public var instructionsPerCycle: Double { counters.cycles > 0 ? Double(counters.retired) / Double(counters.cycles) : 0 }

    /// Trit-MACs performed over the peak (ROWS x VLEN per cycle) for the run's cycles.
    public var macUtilization: Double {
        counters.cycles > 0 ? Double(counters.tritMACs) / (Double(counters.cycles) * Double(config.peakTritMACsPerCycle)) : 0
    }

    /// DRAM bytes moved (read + written) per second, GB/s.
    public var dramBandwidthGBps: Double {
        seconds > 0 ? Double(events[.dramRead] + events[.dramWrite]) / seconds / 1e9 : 0
    }

    /// Achieved DRAM bandwidth over the config's `dramBytesPerCycle`.
    public var dramBandwidthUtilization: Double {
        counters.cycles > 0
            ? Double(events[.dramRead] + events[.dramWrite]) / (Double(counters.cycles) * Double(config.dramBytesPerCycle))
            : 0
    }
}
