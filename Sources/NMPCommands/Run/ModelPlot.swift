import Foundation
import NMPRuntime
import NMPSimulator
import NMPSupport

/// `nmp model --plot`: the report's numbers as one SVG figure with three panels: the
/// roofline with every operation placed on it, the energy per token by category, and the
/// cycles per token of every operation (its bound and the cycles above it), for the decode
/// token and, when simulated, the prefill.
///
/// Every number is one the report computes (`OperationCost`'s utilization, bound and
/// energy, `ModelReport.energyByCategory`): the figure draws the report, it does not redo it.
struct ModelPlot {
    let report: ModelReport

    private var passes: [(name: String, simulation: DecoderSimulation)] {
        [("decode", report.decode)] + (report.prefill.map { [("prefill", $0)] } ?? [])
    }

    static let width = 1280.0

    func svg() -> String {
        let decode = report.decode
        let rowsHeight = Double(decode.operations.count) * 19 + 120
        let top = 70.0, rooflineHeight = 610.0
        var svg = SVGDocument(width: Self.width, height: top + rooflineHeight + rowsHeight + 10)
        let m = decode.model
        var header = "\(report.source): decode token at context \(Format.count(decode.context))"
        if let prefill = report.prefill { header += ", prefill of \(Format.count(prefill.tokens)) tokens" }
        svg.text("nmp model  " + header, 12, 22, size: 15, weight: "bold")
        svg.text("model: \(m.modelType), hidden \(Format.count(m.hiddenSize)), FFN \(Format.count(m.intermediateSize)), \(Format.count(m.layers)) layers, "
                 + "vocab \(Format.count(m.vocabSize)); KV cache \(decode.plan.kvFormat.rawValue)", 12, 40, size: 10.5, fill: "#444444")
        svg.text("machine: \(RunReport.machineSummary(decode.machine)); energy prices: \(report.energyOrigin.preset.name)"
                 + (report.energyOrigin.fromConfig.isEmpty ? "" : " with \(report.energyOrigin.fromConfig.joined(separator: ", ")) from the config"), 12, 55, size: 10.5, fill: "#444444")
        roofline().draw(into: &svg, frame: PlotRect(x: 0, y: top, width: 780, height: rooflineHeight))
        energy().draw(into: &svg, frame: PlotRect(x: 780, y: top, width: Self.width - 780, height: rooflineHeight))
        let columns = passes.count
        for (i, pass) in passes.enumerated() {
            let w = Self.width / Double(columns)
            cycles(pass.name, pass.simulation).draw(into: &svg, frame: PlotRect(x: Double(i) * w, y: top + rooflineHeight, width: w, height: rowsHeight))
        }
        return svg.render()
    }

    /// An operation's work: trit-MACs on the ternary array, lane-operations on the float
    /// unit; nil for DMA-only operations.
    static func work(_ op: OperationCost) -> Double? {
        switch op.operation.unit {
        case .ternary: Double(op.tritMACs)
        case .float: Double(op.floatLaneOps)
        case .dma: nil
        }
    }

    /// The peak work per cycle of an operation's unit.
    static func peak(_ unit: DecoderOperation.Unit, _ machine: MachineConfig) -> Double {
        switch unit {
        case .ternary: Double(machine.peakTritMACsPerCycle)
        case .float: Double(machine.floatLanes)
        case .dma: Double(machine.dramBytesPerCycle)
        }
    }

    /// A point of the roofline: (work per DRAM byte, work per cycle), or nil when the
    /// operation does no arithmetic or moves no DRAM byte (no finite intensity).
    static func rooflinePoint(_ op: OperationCost, _ machine: MachineConfig) -> (x: Double, y: Double)? {
        guard let work = work(op), work > 0, op.dramBytes > 0, op.cycles > 0 else { return nil }
        return (work / Double(op.dramBytes), op.utilization(machine) * peak(op.operation.unit, machine))
    }

    func roofline() -> LineChart {
        let machine = report.decode.machine
        let bandwidth = Double(machine.dramBytesPerCycle)
        let ternaryPeak = Self.peak(.ternary, machine), floatPeak = Self.peak(.float, machine)
        var series: [PlotSeries] = []
        var points: [(x: Double, y: Double)] = []
        var offRoofline: [String] = []
        let styles: [(unit: DecoderOperation.Unit, marker: MarkerShape, colors: [String])] = [
            (.ternary, .circle, [Palette.color(0), Palette.color(2)]), (.float, .diamond, [Palette.color(1), Palette.color(3)]),
        ]
        for (p, pass) in passes.enumerated() {
            for style in styles {
                let ops = pass.simulation.operations.filter { $0.operation.unit == style.unit }
                var placed: [(x: Double, y: Double)] = [], labels: [String] = [], tips: [String] = []
                for op in ops {
                    guard let point = Self.rooflinePoint(op, machine) else {
                        if p == 0 { offRoofline.append(op.operation.rawValue) }
                        continue
                    }
                    placed.append(point)
                    labels.append(op.operation.rawValue)
                    tips.append("\(pass.name) \(op.operation.rawValue): \(Format.number(point.x, decimals: 2)) per DRAM byte, "
                        + "\(Format.number(point.y, decimals: 1)) per cycle (\(Format.percent(op.utilization(machine))) of peak)")
                }
                guard !placed.isEmpty else { continue }
                points += placed
                let what = style.unit == .ternary ? "ternary array (trit-MACs)" : "float unit (lane-ops)"
                series.append(PlotSeries(name: "\(pass.name): \(what)", points: placed, style: .markers,
                                         marker: p == 0 ? style.marker : (style.unit == .ternary ? .square : .triangle),
                                         color: style.colors[p], labels: labels, tooltips: tips))
            }
        }
        for op in report.decode.operations where op.operation.unit == .dma { offRoofline.append(op.operation.rawValue) }
        // The axes: whole decades around the points and both ridge points.
        let xs = points.map(\.x) + [floatPeak / bandwidth, ternaryPeak / bandwidth]
        let ys = points.map(\.y) + [floatPeak, ternaryPeak]
        let xLow = pow(10, log10(xs.min()! / 2).rounded(.down)), xHigh = pow(10, log10(xs.max()! * 4).rounded(.up))
        let yLow = pow(10, log10(ys.min()! / 2).rounded(.down)), yHigh = pow(10, log10(ternaryPeak * 2).rounded(.up))
        let slopeStart = max(xLow, yLow / bandwidth)
        let roofs = [
            PlotSeries(name: "DRAM roof: \(Format.count(machine.dramBytesPerCycle)) B/cycle x intensity",
                       points: [(slopeStart, slopeStart * bandwidth), (ternaryPeak / bandwidth, ternaryPeak)], style: .line, color: "#333333"),
            PlotSeries(name: "ternary array peak: \(Format.count(Int(ternaryPeak))) trit-MACs/cycle",
                       points: [(ternaryPeak / bandwidth, ternaryPeak), (xHigh, ternaryPeak)], style: .line, color: Palette.color(0)),
            PlotSeries(name: "float unit peak: \(Format.count(Int(floatPeak))) lane-ops/cycle",
                       points: [(floatPeak / bandwidth, floatPeak), (xHigh, floatPeak)], style: .line, color: Palette.color(1), dash: "6 3"),
        ]
        var notes = ["work: trit-MACs for the ternary array's operations, float lane-operations (an FMA or an fexp is one) for the",
                     "float unit's, each against its own peak; per cycle = the report's unit utilization x that peak."]
        if !offRoofline.isEmpty {
            notes.append("not placed (no arithmetic, or no DRAM byte, so no finite intensity): " + offRoofline.joined(separator: ", "))
        }
        return LineChart(title: "Roofline: every operation, per token",
                         x: AxisSpec(title: "operational intensity", unit: "work per DRAM byte", scale: .log10, range: xLow...xHigh),
                         y: AxisSpec(title: "attained work per cycle", unit: "trit-MACs or lane-ops per cycle", scale: .log10, range: yLow...yHigh),
                         series: roofs + series, notes: notes, showsLegend: true, legendPosition: .top)
    }

    func energy() -> BarChart {
        let totals = passes.map { ModelReport.energyByCategory($0.simulation) }
        // The unit that fits the smaller pass, so that its categories do not all read 0.00.
        let unit = EnergyUnit.fitting(passes.map(\.simulation.picojoulesPerToken).min() ?? 0)
        return BarChart(title: "Energy per token by category",
                        categories: EnergyReport.Category.allCases.map(\.rawValue),
                        series: passes.indices.map { i in
                            BarChart.Series(name: passes[i].name, values: totals[i].map { $0.1 / unit.picojoules }, color: Palette.color(i == 0 ? 0 : 2))
                        },
                        axis: AxisSpec(title: "energy per token", unit: unit.rawValue), layout: .grouped,
                        notes: passes.map { "\($0.name): \(Format.energy($0.simulation.picojoulesPerToken)) per token in all" },
                        valueLabel: { Format.number($0, decimals: 2) })
    }

    func cycles(_ name: String, _ s: DecoderSimulation) -> BarChart {
        let tokens = Double(s.tokens)
        let bound = s.operations.map { $0.boundCycles(s.machine) / tokens }
        let above = s.operations.map { max(0, Double($0.cycles) - $0.boundCycles(s.machine)) / tokens }
        let title = name == "decode" ? "Cycles per operation: decode token" : "Cycles per operation: prefill, per token"
        return BarChart(title: title, categories: s.operations.map(\.operation.rawValue),
                        series: [BarChart.Series(name: "bound (DRAM bytes at the DMA bandwidth, or work at the unit's peak)", values: bound, color: "#0072B2"),
                                 BarChart.Series(name: "above bound", values: above, color: "#E69F00")],
                        axis: AxisSpec(title: "cycles per token, " + (s.model.layers == 1 ? "1 layer" : "all \(Format.count(s.model.layers)) layers"), unit: "cycles"),
                        notes: ["\(Format.count(s.cyclesPerToken)) cycles per token in all, \(Format.percent(s.boundCycles / tokens, of: s.cyclesPerToken)) of bound"],
                        valueLabel: { Format.count($0) })
    }
}
