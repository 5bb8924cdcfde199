// libFuzzer target: bytes -> a program (each 4 bytes one word; an opcode byte that is not
// an opcode is mapped onto one, so most words decode) with the same bytes as SRAM and DRAM data, run on one
// of four small machine configs (bit 4 of byte 0: with a float unit of 3 lanes) with a
// cycle budget, split into three code regions by the words' bits 8-9. The simulator must
// never trap the host, every run must satisfy the cycle identity of ISA.md 6.6, and the
// regions must add up to the run (ISA.md 6.11).
// Built by fuzz/build.sh into fuzz/bin/fuzz-sim.
import NMPISA
import NMPSimulator
import NMPTrits

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard size >= 5 else { return 0 }
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    var config = MachineConfig()
    config.dramSize = 1 << 16
    config.dmaLatency = 5
    switch bytes[0] % 4 {
    case 1: config.vlen = 7; config.rows = 3
    case 2: config.vlen = 5; config.rows = 5; config.packing = .twoBit; config.loopDepth = 1
    case 3: config.activationSRAM = SRAMConfig(size: 3001, banks: 3, bankWidth: 5)
            config.weightSRAM = SRAMConfig(size: 5003, banks: 7, bankWidth: 3); config.dmaQueueDepth = 1
    default: break
    }
    if bytes[0] & 0x10 != 0 { config.floatLanes = 3 }
    let opcodes = Opcode.allCases
    var code: [UInt32] = []
    var i = 1
    while i + 4 <= size {
        var word = UInt32(bytes[i]) | UInt32(bytes[i + 1]) << 8 | UInt32(bytes[i + 2]) << 16 | UInt32(bytes[i + 3]) << 24
        let opcode = Opcode(rawValue: bytes[i]) ?? opcodes[Int(bytes[i]) % opcodes.count]
        word = word & ~0xFF | UInt32(opcode.rawValue)
        code.append(word)
        i += 4
    }
    let image = MicrocodeImage(entry: 0, packing: config.packing, code: code,
                               weightData: Array(bytes.prefix(config.weightSRAM.size)),
                               activationData: Array(bytes.prefix(config.activationSRAM.size)),
                               dramData: bytes)
    let regions = CodeRegions(names: ["a", "b", "c"], regionOfPC: code.map { UInt16((($0 >> 8) & 3) % 3) })
    guard let simulator = try? Simulator(image: image, config: config, regions: regions) else { return 0 }
    let result = simulator.run(maxCycles: 20_000)
    let counters = result.counters
    guard counters.cycles == counters.retired + counters.stalls.values.reduce(0, +) else {
        fatalError("cycle identity broken: \(counters)")
    }
    guard counters.retiredByOpcode.values.reduce(0, +) == counters.retired,
          result.events.values.allSatisfy({ $0 >= 0 }), result.energy.total.isFinite else {
        fatalError("inconsistent counters")
    }
    guard result.regions.count == 3,
          result.regions.reduce(0, { $0 + $1.cycles }) == counters.cycles,
          result.regions.reduce(0, { $0 + $1.retired }) == counters.retired,
          result.regions.allSatisfy({ $0.cycles == $0.retired + $0.stalls.values.reduce(0, +) }),
          EnergyEvent.allCases.allSatisfy({ event in result.regions.reduce(0, { $0 + $1.events[event] }) == result.events[event] })
    else {
        fatalError("regions do not add up to the run: \(result.regions) vs \(counters)")
    }
    if let trap = result.trap { _ = trap.detail }
    return 0
}
