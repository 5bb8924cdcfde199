import NMPISA
import NMPTrits

/// The parameters of the modelled machine (ISA.md section 3.1): vector shape, memories,
/// DMA, latencies and the energy table.
///
/// The defaults are the documented default machine; `MachineConfig()` needs no file. The
/// stored property names are the config keys of ISA.md and of the JSON config file
/// (`weightSRAM.size` is the key `size` of the object `weightSRAM`). A value built in code
/// is not checked until `validate()` runs; the simulator and the JSON reader validate.
public struct MachineConfig: Sendable, Equatable {
    /// Clock frequency in GHz; converts cycles to seconds and static power to energy.
    public var clockGHz: Double = 1.0
    /// VLEN: lanes per vector register, trits per trit row.
    public var vlen: Int = 64
    /// ROWS: rows per trit matrix register; accumulator lanes written by `mmac`.
    public var rows: Int = 32
    /// The weight SRAM's trit layout.
    public var packing: TritPacking = .base3
    /// The weight SRAM (packed trits): 256 bytes per cycle, 4x the DMA's 64, as on-chip SRAM
    /// delivers several times the bandwidth of DRAM (ISA.md 3.1).
    public var weightSRAM = SRAMConfig(size: 262_144, banks: 32, bankWidth: 8)
    /// The activation SRAM (int8 activations, int32 partial results, scalars): 128 bytes
    /// per cycle, 2x the DMA's.
    public var activationSRAM = SRAMConfig(size: 65_536, banks: 16, bankWidth: 8)
    /// DRAM bytes.
    public var dramSize: Int = 1 << 30
    /// DMA bandwidth in bytes per cycle.
    public var dramBytesPerCycle: Int = 64
    /// Cycles from a DMA request to its first data (ISA.md 6.5: overlapped with earlier transfers' data).
    public var dmaLatency: Int = 100
    /// Outstanding DMA transfers before a DMA instruction stalls. 16: a prompt's BitLinear
    /// writes one output row per token behind the weights in flight (Gemmini's default
    /// configuration allows 64 memory requests in flight, `max_in_flight_mem_reqs` in its
    /// src/main/scala/gemmini/Configs.scala).
    public var dmaQueueDepth: Int = 16
    /// Matrix products (`mgemm`, `mgemz`, `hgemm`, `hgemz`) the matrix array holds, running or waiting, before
    /// the next one stalls (ISA.md 6.12): the array works through them while the core issues
    /// other instructions. 16, the execute entries of Gemmini's default reservation station
    /// (`reservation_station_entries_ex` in its src/main/scala/gemmini/Configs.scala).
    public var arrayQueueDepth: Int = 16
    /// Hardware loop stack entries.
    public var loopDepth: Int = 4
    /// Result latencies in cycles (ISA.md 3.1), keyed like the config file.
    public var aluLatency = 1, mulLatency = 3, divLatency = 16
    public var loadLatency = 2, unpackLatency = 1
    public var vectorLatency = 1, vectorMulLatency = 2, macLatency = 1, mmacLatency = 2
    public var reduceLatency = 2, requantLatency = 2
    /// Float32 scale-unit result latency (`fcvt`, `fmuls`, `fq`, `fmax`, `fmul`).
    public var floatLatency = 3
    /// `fexp` result latency (its range reduction and polynomial, ISA.md 7.12).
    public var expLatency = 6
    /// Lanes the float32 unit processes per cycle: a float instruction over vl lanes holds
    /// issue for ceil(vl / floatLanes) cycles. The default equals the default VLEN, so the
    /// unit keeps pace with one accumulator register per cycle.
    public var floatLanes = 64
    /// Extra cycles after a taken branch, a jump or a skipped `loop`.
    public var branchPenalty: Int = 2
    /// Energy per event and static power.
    public var energy = EnergyTable()

    /// The default machine of ISA.md section 3.1.
    public init() {}

    /// The latency a cycle rule names.
    public func latency(_ parameter: LatencyParameter) -> Int {
        switch parameter {
        case .aluLatency: aluLatency
        case .mulLatency: mulLatency
        case .divLatency: divLatency
        case .loadLatency: loadLatency
        case .unpackLatency: unpackLatency
        case .vectorLatency: vectorLatency
        case .vectorMulLatency: vectorMulLatency
        case .macLatency: macLatency
        case .mmacLatency: mmacLatency
        case .reduceLatency: reduceLatency
        case .requantLatency: requantLatency
        case .floatLatency: floatLatency
        case .expLatency: expLatency
        }
    }

    // MARK: Derived quantities (ISA.md 3.2)

    /// 5 for `base3`, 4 for `2bit`.
    public var tritsPerByte: Int { packing.tritsPerByte }
    /// ROWBYTES: bytes of one packed trit row, ceil(VLEN / tritsPerByte).
    public var rowBytes: Int { (vlen + tritsPerByte - 1) / tritsPerByte }
    /// Bytes one `ldm` reads: ROWS * ROWBYTES.
    public var tileBytes: Int { rows * rowBytes }
    /// Peak trit-MACs per cycle: ROWS * VLEN (one `mmac` with vl = VLEN per cycle).
    public var peakTritMACsPerCycle: Int { rows * vlen }
    /// The machine's value of a parameter a program can require (`.require`).
    public func value(of key: RequirementKey) -> Int {
        switch key {
        case .vlen: vlen
        case .rows: rows
        case .weightSRAM: weightSRAM.size
        case .activationSRAM: activationSRAM.size
        case .dram: dramSize
        }
    }

    /// The SRAM a memory space names (DRAM has no banks; it is not an SRAM).
    public func sram(_ space: MemorySpace) -> SRAMConfig? {
        switch space {
        case .weightSRAM: weightSRAM
        case .activationSRAM: activationSRAM
        case .dram: nil
        }
    }
}

/// Size and banking of one SRAM (ISA.md 6.2).
public struct SRAMConfig: Sendable, Equatable, Codable {
    /// Bytes.
    public var size: Int
    /// Banks; word w lies in bank w mod banks.
    public var banks: Int
    /// Bytes each bank delivers per cycle (one word).
    public var bankWidth: Int

    public init(size: Int, banks: Int, bankWidth: Int) {
        self.size = size
        self.banks = banks
        self.bankWidth = bankWidth
    }

    /// Bytes all banks together deliver per cycle.
    public var bytesPerCycle: Int { banks * bankWidth }
}
