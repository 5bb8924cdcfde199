import Foundation
import NMPISA
import NMPSimulator
import NMPSupport
import NMPTestSupport
import Testing

/// The energy of a run is one number: every report of the same run, and every run of the
/// same program, gives the same total to the last bit.
///
/// A float sum depends on its order. `EnergyReport.total` once summed a dictionary's values,
/// whose iteration order varies between dictionary instances (Swift seeds each hash table
/// separately), so reports of one run differed in the last places (three distinct totals
/// among 200 reports of one BitLinear run). The reports are kept alive here so that each
/// has its own storage.
struct EnergyDeterminismTests {
    /// Distinct totals among `copies` reports of the same counts, each with its own storage.
    static func distinctTotals(_ events: CaseTable<EnergyEvent, Int>, cycles: Int, config: MachineConfig, copies: Int = 256) -> Set<UInt64> {
        let reports = (0..<copies).map { _ in EnergyReport(events: events, cycles: cycles, config: config) }
        return Set(reports.map { $0.total.bitPattern })
    }

    @Test(arguments: repositoryFiles(in: "programs", suffix: ".nasm"))
    func everyReportOfAProgramRunHasTheSameTotal(_ name: String) throws {
        let source = try String(contentsOf: repositoryRoot.appendingPathComponent("programs/\(name)"), encoding: .utf8)
        let run = try Run(source)
        let reports = (0..<256).map { _ in run.result.energy }
        let totals = Set(reports.map(\.total.bitPattern))
        #expect(totals.count == 1, "\(name): \(totals.count) different totals: \(totals.map { Double(bitPattern: $0) })")
        let again = try Run(source)
        #expect(again.result.energy.total.bitPattern == reports[0].total.bitPattern, "\(name): a second run")
    }

    /// Seeded random event counts of very different sizes (1 to 10^9 units), where the
    /// order of a float sum matters.
    @Test(arguments: 0..<8)
    func reportsOfTheSameCountsHaveTheSameTotal(_ seed: Int) {
        var rng = SplitMix64(seed: UInt64(seed) &+ 0xE7E7)
        var events = CaseTable<EnergyEvent, Int>()
        for event in EnergyEvent.allCases {
            let digits = Int(rng.next() % 10)
            events[event] = Int(rng.next() % 9 + 1) * Int(pow(10, Double(digits))) + Int(rng.next() % 997)
        }
        let cycles = Int(rng.next() % 1_000_000)
        let totals = Self.distinctTotals(events, cycles: cycles, config: MachineConfig())
        #expect(totals.count == 1, "seed \(seed): \(totals.count) different totals: \(totals.map { Double(bitPattern: $0) })")
        // And it is the sum in the order of ISA.md 3.3's event table, then static energy.
        let config = MachineConfig()
        var expected = 0.0
        for event in EnergyEvent.allCases { expected += Double(events[event]) * config.picojoules(per: event) }
        expected += config.energy.staticPowerMW * Double(cycles) / config.clockGHz
        #expect(totals.first == expected.bitPattern)
    }
}
