import NMPISA
import NMPSupport

/// Names for ranges of code, for per-operation reports: region `regionOfPC[pc]` owns
/// instruction pc.
///
/// A runtime that compiles a model into one program names each operation's code (a
/// layer's quantization, its matrix product, a softmax, ...) and passes the regions to
/// `Simulator(image:config:regions:)`; the run then attributes every cycle, stall, retired
/// instruction and energy event to exactly one region (ISA.md 6.11, `RunResult.regions`).
public struct CodeRegions: Sendable, Equatable {
    /// The regions' names, indexed by region number.
    public var names: [String]
    /// The region of each instruction of the code, by pc: one entry per code word.
    public var regionOfPC: [UInt16]

    public init(names: [String], regionOfPC: [UInt16]) {
        self.names = names
        self.regionOfPC = regionOfPC
    }
}

/// What one code region accounts for in a run (ISA.md 6.11): the cycles from the cycle
/// each of its instructions could first issue to the cycle the next instruction could
/// first issue, the stalls and retirements of its instructions, and their energy events
/// (the trit-MACs split by the trits they met, a DMA transfer's bytes with the instruction
/// that enqueued it). Over all regions each of these sums to the run's total.
public struct RegionTotals: Sendable, Equatable {
    /// The region's name (`CodeRegions.names`).
    public var name: String
    /// Cycles attributed to the region; cycles = retired + the sum of `stalls`.
    public var cycles: Int
    /// Stall cycles of the region's instructions, by cause.
    public var stalls: CaseTable<StallCause, Int>
    /// The region's retired instructions (a trapping instruction does not retire).
    public var retired: Int
    /// Units of every energy event the region's instructions counted (ISA.md 3.3).
    public var events: CaseTable<EnergyEvent, Int>
    /// Lanes the float unit processed for the region: the sum of vl over its float32 vector
    /// instructions (those whose issue cycles depend on `floatLanes`, ISA.md 6.10), ROWS * vl
    /// for each float matrix product. At
    /// `floatLanes` lanes per cycle, the fewest cycles the unit needs for this work.
    public var floatLaneOps: Int

    public init(name: String, cycles: Int, stalls: CaseTable<StallCause, Int>, retired: Int,
                events: CaseTable<EnergyEvent, Int>, floatLaneOps: Int = 0) {
        self.name = name
        self.cycles = cycles
        self.stalls = stalls
        self.retired = retired
        self.events = events
        self.floatLaneOps = floatLaneOps
    }
}

extension EnergyReport {
    /// A region's energy on `config`: its events priced by the energy table, and static
    /// power for its cycles (static energy is charged per cycle, so the regions' static
    /// energies add up to the run's).
    public init(region: RegionTotals, config: MachineConfig) {
        self.init(events: region.events, cycles: region.cycles, config: config)
    }
}

extension RunResult {
    /// A region's energy on the config the run used.
    public func energy(of region: RegionTotals) -> EnergyReport {
        EnergyReport(region: region, config: config)
    }
}

extension CodeRegions {
    /// Checks that the regions fit `codeCount` instructions: one region per instruction,
    /// each naming a region that exists.
    func validate(codeCount: Int) throws(LoadError) {
        guard regionOfPC.count == codeCount else {
            throw LoadError("the code regions give a region for \(regionOfPC.count) instructions, but the code has \(codeCount)")
        }
        if let pc = regionOfPC.firstIndex(where: { Int($0) >= names.count }) {
            throw LoadError("instruction \(pc) is in region \(regionOfPC[pc]), but there are only \(names.count) region names")
        }
    }
}

/// The counts a region accumulates in the step loop, as a running sum: when execution
/// passes from region A to region B, the counts so far are added to A and subtracted from
/// B, and at the end the final counts are added to the last region, so each region ends
/// with the sum of its stretches' differences. The step loop pays only one comparison of
/// region numbers per instruction.
struct RegionCounts {
    /// The cycle the next instruction could first issue (`next`), or the run's cycles at the end.
    var cycles = 0
    var retired = 0
    /// In the order of `StallCause.allCases`.
    var data = 0, sramPort = 0, bankConflict = 0, branch = 0, dmaQueue = 0, dmaWait = 0, drain = 0
    /// Trit-MACs: add + sub, add - sub, all.
    var tritNonzero = 0, tritSum = 0, tritTotal = 0
    /// Stalls waiting on the ternary array (`StallCause.array`, after `drain`).
    var array = 0

    static let fields = 13

    /// The fields in a fixed order.
    @inline(__always)
    func field(_ i: Int) -> Int {
        switch i {
        case 0: cycles
        case 1: retired
        case 2: data
        case 3: sramPort
        case 4: bankConflict
        case 5: branch
        case 6: dmaQueue
        case 7: dmaWait
        case 8: drain
        case 9: tritNonzero
        case 10: tritSum
        case 11: tritTotal
        default: array
        }
    }

    /// Adds the counts to `from`'s running totals and subtracts them from `to`'s.
    static func pass(_ counts: RegionCounts, from: Int, to: Int, totals: UnsafeMutablePointer<Int>) {
        for i in 0..<fields {
            totals[from * fields + i] += counts.field(i)
            totals[to * fields + i] -= counts.field(i)
        }
    }

    /// Adds the final counts to the last region's running totals.
    static func close(_ counts: RegionCounts, in region: Int, totals: UnsafeMutablePointer<Int>) {
        for i in 0..<fields { totals[region * fields + i] += counts.field(i) }
    }
}

extension Simulator {
    /// The regions' totals after a run: the counts from the running sums, the events from
    /// the per-pc tallies of each region's instructions and its trit-MAC split, priced by
    /// the same table as the run's (so the regions' events sum to the run's exactly).
    func regionReport() -> [RegionTotals] {
        var byRegion = [[Opcode: OpcodeTally]](repeating: [:], count: regionNames.count)
        for pc in 0..<code.count where tallies[pc].count > 0 {
            let ins = code[pc]
            byRegion[Int(ins.region)][ins.opcode, default: OpcodeTally()].add(tallies[pc].instruction(ins))
        }
        return regionNames.indices.map { region in
            let t = regionTotals + region * RegionCounts.fields
            var counters = Counters()
            counters.tritAdd = (t[9] + t[10]) / 2
            counters.tritSub = (t[9] - t[10]) / 2
            counters.tritSkip = t[11] - t[9]
            let tallies = CaseTable<Opcode, OpcodeTally> { byRegion[region][$0] ?? OpcodeTally() }
            let stalls = CaseTable<StallCause, Int> { cause in
                switch cause {
                case .data: t[2]
                case .sramPort: t[3]
                case .bankConflict: t[4]
                case .branch: t[5]
                case .dmaQueue: t[6]
                case .dmaWait: t[7]
                case .drain: t[8]
                case .array: t[12]
                }
            }
            let floatLaneOps = byRegion[region].reduce(0) { sum, entry in
                switch entry.key.spec.timing {
                case .floatLanes, .floatLanesChain, .floatMemory: sum + entry.value.vlSum
                case .floatMatrix: sum + config.rows * entry.value.vlSum
                default: sum
                }
            }
            return RegionTotals(name: regionNames[region], cycles: t[0], stalls: stalls, retired: t[1],
                                events: eventCounts(tallies: tallies, counters: counters, config: config),
                                floatLaneOps: floatLaneOps)
        }
    }
}
