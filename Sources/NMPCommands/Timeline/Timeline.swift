import NMPISA
import NMPRuntime
import NMPSimulator

/// `--perfetto`: the timeline of one or more simulated passes as a Trace Event Format file
/// (`TraceEventFile`). Each pass is a process; its tracks are:
///
/// - `issue`: one slice per issue cycle, named by the mnemonic;
/// - `stalls`: one slice per stall, named by its cause (ISA.md 6.7), where it happens: the
///   `data` and DMA waits before the issue, the SRAM-port and bank cycles and the branch
///   penalty after it. `issue` and `stalls` tile the run: their cycles add up to its cycles
///   (ISA.md 6.6);
/// - one track per unit (`ExecutionUnit`, from the instruction table): the instruction's
///   issue cycles, memory and float-unit cycles included;
/// - `DRAM channel`: each DMA transfer while its data flows (ISA.md 6.5), with its bytes;
/// - with code regions (`layer`, `model`, `generate`): `operation`, one slice per operation
///   and layer, and `layer`, one slice per decoder layer;
/// - counters `MAC utilization` (trit-MACs against ROWS x VLEN per cycle) and `DRAM
///   bandwidth` (GB/s), in fixed windows.
///
/// Size rule: consecutive slices of one track with the same name that touch are merged into
/// one (with `count` and summed `bytes` in `args`). A pass draws at most
/// `Limits.detailEventsPerPass` slices on its issue, stall, unit and DRAM tracks, and the
/// file at most `detailEvents`; after that the pass's `issue` track has one `summary` slice
/// per code-region stretch, cut every `summaryCycles` cycles (with its instructions and
/// stalls in `args`), and the stall, unit and DRAM tracks stop. Counters are sampled in
/// windows of 1,024 cycles, doubled until the pass has at most `counterSamples` of them.
/// The operation and layer tracks are always complete.
final class Timeline {
    /// The size rule's numbers.
    struct Limits {
        var detailEventsPerPass = 200_000
        var detailEvents = 500_000
        var summaryCycles = 100_000
        var counterSamples = 2_000
    }

    private(set) var file: TraceEventFile
    let config: MachineConfig
    let limits: Limits
    private var passes = 0
    /// Detail slices left for the whole file.
    fileprivate var detailLeft: Int

    init(config: MachineConfig, limits: Limits = Limits()) {
        self.config = config
        self.limits = limits
        detailLeft = limits.detailEvents
        file = TraceEventFile(clockGHz: config.clockGHz)
    }

    /// A new pass (process) named `name`.
    func pass(_ name: String) -> PassTimeline {
        passes += 1
        return PassTimeline(timeline: self, pid: passes, name: name)
    }

    /// The file's bytes.
    func rendered() -> [UInt8] {
        file.rendered(otherData: [
            ("generator", .string("nmp")),
            ("clock_ghz", .number(config.clockGHz)),
            ("time_unit", .string("ts and dur in microseconds; args.cycle and args.cycles in machine cycles")),
            ("size_rule", .string("merged same-name slices; per pass at most \(limits.detailEventsPerPass) detail slices, "
                                  + "\(limits.detailEvents) per file, then summary slices per code region "
                                  + "(at most \(limits.summaryCycles) cycles each); counters in at most \(limits.counterSamples) windows")),
        ])
    }

    fileprivate func emit(_ body: (inout TraceEventFile) -> Void) { body(&file) }
}

/// What a code region stands for on the `operation` and `layer` tracks.
struct RegionLabel {
    var operation: String
    /// The decoder layer (nil: a once-per-pass operation).
    var layer: Int?

    /// The labels of a decoder program's regions ("q_proj@3": operation q_proj of layer 3).
    static func decoder(_ names: [String]) -> [RegionLabel] {
        names.map { name in
            DecoderOperation.parse(region: name).map { RegionLabel(operation: $0.0.rawValue, layer: $0.1) }
                ?? RegionLabel(operation: name.isEmpty ? "setup" : name, layer: nil)
        }
    }
}

/// The tracks of one pass, fed one retired instruction at a time.
final class PassTimeline {
    private unowned let timeline: Timeline
    let pid: Int
    private let config: MachineConfig
    /// The operation and layer tracks' slices, by region index and by layer, named when
    /// the pass finishes (a runtime knows its regions' names once it has compiled the pass).
    private var regionSlices: [Slice] = []

    // Track ids, in display order.
    private static let issue = 1, stalls = 2, firstUnit = 3
    private static let dram = firstUnit + ExecutionUnit.allCases.count
    private static let operation = dram + 1, layer = dram + 2
    private static let trackCount = layer + 1

    /// Per opcode byte: the unit track of its instructions (from the instruction table).
    private static let unitTrack: [Int] = {
        var tracks = [Int](repeating: firstUnit, count: 256)
        for op in Opcode.allCases {
            tracks[Int(op.rawValue)] = firstUnit + ExecutionUnit.allCases.firstIndex(of: op.spec.group.unit)!
        }
        return tracks
    }()

    /// The stall causes in declaration order, once (`allCases` builds an array per call).
    private static let causes = StallCause.allCases
    /// A stall cause's key on the stall track: its index in `causes`.
    private static func stallIndex(_ cause: StallCause) -> Int { causes.firstIndex(of: cause)! }
    private static let dataIndex = stallIndex(.data), sramPortIndex = stallIndex(.sramPort)
    private static let bankConflictIndex = stallIndex(.bankConflict), branchIndex = stallIndex(.branch)

    /// A slice not yet written: a following one that touches it with the same key extends it.
    private struct Slice {
        var key: Int
        var start: Int, end: Int
        var count = 1
        var pc: Int
        var bytes = 0
    }
    private var open: [Slice?] = Array(repeating: nil, count: PassTimeline.trackCount)
    private var detailLeft: Int
    /// The summary slice being built: its region, cycles and instructions.
    private var summary: (region: Int, start: Int, end: Int, instructions: Int)?
    /// Its stall cycles, by `stallIndex` (a plain array: this runs for every instruction).
    private var summaryStalls = [Int](repeating: 0, count: PassTimeline.causes.count)
    private var lastNext = 0
    private var lastMACs = 0
    // Counters: trit-MACs and DRAM bytes per window of `window` cycles.
    private var window = 1024
    private var macs: [Int] = []
    private var dramBytes: [Int] = []

    fileprivate init(timeline: Timeline, pid: Int, name: String) {
        self.timeline = timeline
        self.pid = pid
        config = timeline.config
        detailLeft = timeline.limits.detailEventsPerPass
        timeline.emit { file in
            file.process(pid, name: name, sortIndex: pid)
            file.thread(pid, Self.issue, name: "issue")
            file.thread(pid, Self.stalls, name: "stalls")
            for (i, unit) in ExecutionUnit.allCases.enumerated() { file.thread(pid, Self.firstUnit + i, name: unit.rawValue) }
            file.thread(pid, Self.dram, name: "DRAM channel")
        }
    }

    /// Adds one retired instruction (and the DMA transfer it enqueued).
    func record(_ r: TraceRecord) {
        let opcode = Int(r.word & 0xFF)
        let first = r.firstCycle, next = r.nextCycle
        lastNext = next
        if r.arrayEnd >= 0 {
            count(macs: r.tritMACs - lastMACs, from: r.arrayStart, to: r.arrayEnd)
        } else {
            count(macs: r.tritMACs - lastMACs, at: r.cycle)
        }
        lastMACs = r.tritMACs
        if r.dmaEnd >= 0 { count(transfer: r) }
        if let last = regionSlices.last, last.key == r.region, last.end == first {
            regionSlices[regionSlices.count - 1].end = next
        } else {
            regionSlices.append(Slice(key: r.region, start: first, end: next, pc: r.pc))
        }
        guard detailLeft > 0 && timeline.detailLeft > 0 else {
            summarize(r)
            return
        }
        add(Self.issue, key: opcode, start: r.cycle, end: r.cycle + 1, pc: r.pc)
        if r.arrayEnd >= 0 {
            // A matrix product occupies the array while it works, after its issue (ISA.md 6.12).
            add(Self.unitTrack[opcode], key: opcode, start: r.arrayStart, end: r.arrayEnd, pc: r.pc)
        } else {
            let occupancy = 1 + r.sramPortStall + r.bankConflictStall
            add(Self.unitTrack[opcode], key: opcode, start: r.cycle, end: r.cycle + occupancy, pc: r.pc)
        }
        // The stalls where they happen: before the issue cycle, then after it (ISA.md 6.8).
        var cycle = first
        for (cause, cycles) in r.stalls {
            if cause == .sramPort || cause == .bankConflict || cause == .branch { cycle = max(cycle, r.cycle + 1) }
            add(Self.stalls, key: Self.stallIndex(cause), start: cycle, end: cycle + cycles, pc: r.pc)
            cycle += cycles
        }
        if r.dmaEnd >= 0 {
            let start = r.dmaEnd - (r.dmaBytes + config.dramBytesPerCycle - 1) / config.dramBytesPerCycle
            add(Self.dram, key: opcode, start: start, end: r.dmaEnd, pc: r.pc, bytes: r.dmaBytes)
        }
    }

    /// Writes what is still open and the counters; `cycles` is the run's cycle count (after
    /// a trap, the cycles the trapping instruction waited before it would have issued get a
    /// slice of their own on the issue track, so the tracks still add up). `regions` label
    /// the program's code regions (empty: no operation and layer tracks).
    func finish(cycles: Int, trap: Trap?, regions: [RegionLabel] = []) {
        for track in 0..<Self.trackCount { flush(track) }
        flushSummary()
        if !regions.isEmpty { writeRegions(regions) }
        if let trap, cycles > lastNext {
            timeline.emit { $0.slice(pid, Self.issue, name: "trap: \(trap.cause.rawValue)", start: lastNext, cycles: cycles - lastNext,
                                     args: [("pc", .int(trap.pc))]) }
        }
        let peak = Double(config.peakTritMACsPerCycle)
        timeline.emit { file in
            for (i, (macCount, bytes)) in zip(macs, dramBytes).enumerated() {
                let start = i * window, span = min(window, max(1, cycles - start))
                guard start < cycles else { break }
                file.counter(pid, name: "MAC utilization", cycle: start, series: [("%", 100 * Double(macCount) / (Double(span) * peak))])
                file.counter(pid, name: "DRAM bandwidth", cycle: start,
                             series: [("GB/s", Double(bytes) * config.clockGHz / Double(span))])
            }
            file.counter(pid, name: "MAC utilization", cycle: cycles, series: [("%", 0)])
            file.counter(pid, name: "DRAM bandwidth", cycle: cycles, series: [("GB/s", 0)])
        }
    }

    // MARK: Slices

    private func add(_ track: Int, key: Int, start: Int, end: Int, pc: Int, bytes: Int = 0) {
        if var slice = open[track], slice.key == key, slice.end == start {
            slice.end = end
            slice.count += 1
            slice.bytes += bytes
            open[track] = slice
            return
        }
        flush(track)
        open[track] = Slice(key: key, start: start, end: end, pc: pc, bytes: bytes)
    }

    private func flush(_ track: Int) {
        guard let slice = open[track] else { return }
        open[track] = nil
        var args: [(String, TraceEventFile.Arg)] = []
        let name: String
        switch track {
        case Self.stalls:
            name = Self.causes[slice.key].rawValue   // (the inverse of `stallIndex`)
        default:
            name = Opcode(rawValue: UInt8(slice.key))?.mnemonic ?? "?"
            args.append(("pc", .int(slice.pc)))
        }
        if slice.count > 1 { args.append(("count", .int(slice.count))) }
        if track == Self.dram { args.append(("bytes", .int(slice.bytes))) }
        detailLeft -= 1
        timeline.detailLeft -= 1
        timeline.emit { $0.slice(pid, track, name: name, start: slice.start, cycles: slice.end - slice.start, args: args) }
    }

    /// The operation track (one slice per region stretch) and the layer track (one per run
    /// of a decoder layer's operations; a once-per-pass operation under its own name).
    private func writeRegions(_ regions: [RegionLabel]) {
        func label(_ region: Int) -> RegionLabel { region < regions.count ? regions[region] : RegionLabel(operation: "region \(region)") }
        var layers: [(name: String, layer: Int?, start: Int, end: Int)] = []
        timeline.emit { file in
            file.thread(pid, Self.operation, name: "operation")
            file.thread(pid, Self.layer, name: "layer")
            for slice in regionSlices {
                let l = label(slice.key)
                file.slice(pid, Self.operation, name: l.operation, start: slice.start, cycles: slice.end - slice.start,
                           args: l.layer.map { [("layer", .int($0))] } ?? [])
                let name = l.layer.map { "layer \($0)" } ?? l.operation
                if let last = layers.last, last.name == name, last.end == slice.start {
                    layers[layers.count - 1].end = slice.end
                } else {
                    layers.append((name, l.layer, slice.start, slice.end))
                }
            }
            for l in layers {
                file.slice(pid, Self.layer, name: l.name, start: l.start, cycles: l.end - l.start,
                           args: l.layer.map { [("layer", .int($0))] } ?? [])
            }
        }
    }

    // MARK: Summary mode

    private func summarize(_ r: TraceRecord) {
        let first = r.firstCycle
        if let s = summary, s.region != r.region || first - s.start >= timeline.limits.summaryCycles { flushSummary() }
        if summary == nil {
            for track in 0..<Self.operation { flush(track) }
            summary = (r.region, first, first, 0)
            summaryStalls = [Int](repeating: 0, count: Self.causes.count)
        }
        summary!.end = r.nextCycle
        summary!.instructions += 1
        // Field by field: `r.stalls` builds an array.
        summaryStalls[Self.dataIndex] += r.dataStall
        summaryStalls[Self.stallIndex(r.waitCause)] += r.waitStall
        summaryStalls[Self.sramPortIndex] += r.sramPortStall
        summaryStalls[Self.bankConflictIndex] += r.bankConflictStall
        summaryStalls[Self.branchIndex] += r.branchStall
    }

    private func flushSummary() {
        guard let s = summary else { return }
        summary = nil
        var args: [(String, TraceEventFile.Arg)] = [("instructions", .int(s.instructions))]
        args.append(("region", .int(s.region)))
        for (cause, cycles) in zip(Self.causes, summaryStalls) where cycles > 0 { args.append((cause.rawValue, .int(cycles))) }
        timeline.emit { $0.slice(pid, Self.issue, name: "summary", start: s.start, cycles: s.end - s.start, args: args) }
    }

    // MARK: Counters

    private func count(macs n: Int, at cycle: Int) {
        guard n != 0 else { return }
        let index = bucket(cycle)
        macs[index] += n
    }

    /// Spreads a matrix product's trit-MACs evenly over the cycles [start, end) the array
    /// works on it, the rest in its last cycle.
    private func count(macs n: Int, from start: Int, to end: Int) {
        guard n != 0 else { return }
        let cycles = max(1, end - start)
        func done(by cycle: Int) -> Int { cycle >= end ? n : max(0, cycle - start) * (n / cycles) }
        _ = bucket(end - 1)
        var cycle = start
        while cycle < end {
            let index = bucket(cycle)
            let stop = min(end, (index + 1) * window)
            macs[index] += done(by: stop) - done(by: cycle)
            cycle = stop
        }
    }

    /// Spreads a transfer's bytes over the cycles its data flows: `dramBytesPerCycle` a
    /// cycle, the rest in its last cycle (ISA.md 6.5).
    private func count(transfer r: TraceRecord) {
        let perCycle = config.dramBytesPerCycle
        let start = r.dmaEnd - (r.dmaBytes + perCycle - 1) / perCycle
        func delivered(by cycle: Int) -> Int { min(r.dmaBytes, max(0, cycle - start) * perCycle) }
        guard r.dmaBytes > 0 else { return }
        _ = bucket(r.dmaEnd - 1)
        var cycle = start
        while cycle < r.dmaEnd {
            let index = bucket(cycle)
            let end = min(r.dmaEnd, (index + 1) * window)
            dramBytes[index] += delivered(by: end) - delivered(by: cycle)
            cycle = end
        }
    }

    /// The counter window of `cycle`, coarsening the windows until it is one of at most
    /// `counterSamples`.
    private func bucket(_ cycle: Int) -> Int {
        while cycle / window >= timeline.limits.counterSamples {
            macs = stride(from: 0, to: macs.count, by: 2).map { macs[$0] + ($0 + 1 < macs.count ? macs[$0 + 1] : 0) }
            dramBytes = stride(from: 0, to: dramBytes.count, by: 2).map { dramBytes[$0] + ($0 + 1 < dramBytes.count ? dramBytes[$0 + 1] : 0) }
            window *= 2
        }
        let index = cycle / window
        if index >= macs.count {
            macs += Array(repeating: 0, count: index + 1 - macs.count)
            dramBytes += Array(repeating: 0, count: index + 1 - dramBytes.count)
        }
        return index
    }
}
