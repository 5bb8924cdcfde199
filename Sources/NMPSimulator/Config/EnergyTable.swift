import Foundation
import NMPISA

/// Energy per event in picojoules, and static power (ISA.md section 3.4).
///
/// Arithmetic and register values are per operation or per byte as ISA.md 3.3 counts
/// events. SRAM energy per byte is not a fixed number: it follows the memory's size along
/// `sramCurve` (larger arrays cost more per access), so resizing an SRAM in the config also
/// changes its energy. The FP16 entries are not charged by the simulator; they price the
/// FP16 baseline that reports compare against.
///
/// The defaults are the `7nm-lpddr` technology preset (`TechnologyPreset`, which gives every
/// value's source; ISA.md 3.4 has the derivations): 7 nm arithmetic from BitNet's Table 2,
/// on-chip memories scaled from Horowitz's 45 nm figures (an estimate), LPDDR DRAM.
/// [Horowitz] is M. Horowitz, ISSCC 2014 (45 nm); [BitNet] is arXiv 2310.11453, Table 2
/// (7 nm); [Han] is arXiv 1506.02626, Figure 1.
public struct EnergyTable: Sendable, Equatable {
    /// Fetch and decode of one instruction (pJ): a 4-byte read from an 8 KiB array on
    /// `sramCurve`: 10 pJ per 64 bits at 45 nm, scaled to 7 nm, / 8 * 4.
    public var instruction: Double = 10 * EnergyTable.memoryScale7nm / 8 * 4
    /// One register-file byte read / written (pJ): 1 pJ per 32-bit access at 45 nm / 4,
    /// scaled to 7 nm.
    public var registerRead: Double = 0.25 * EnergyTable.memoryScale7nm, registerWrite: Double = 0.25 * EnergyTable.memoryScale7nm
    /// One 32-bit add-class operation (pJ): [Horowitz] 0.1 at 45 nm scaled to 7 nm by
    /// [BitNet]'s INT8-add ratio 0.007 / 0.03.
    public var int32Add: Double = 0.1 * (0.007 / 0.03)
    /// One 32-bit multiply (pJ): [Horowitz] 3.1 at 45 nm scaled by [BitNet]'s INT8-multiply
    /// ratio 0.07 / 0.2 (= 3.1 * 0.35).
    public var int32Mul: Double = 1.085
    /// One 32-bit divide (pJ). Estimate, no source: 32 add steps of `int32Add`.
    public var int32Div: Double = 32 * (0.1 * (0.007 / 0.03))
    /// One 8-bit compare or conversion (pJ): [BitNet] INT8 add at 7 nm.
    public var int8Op: Double = 0.007
    /// One float32 add-class operation of the scale unit (compare, maximum, int32-to-float32
    /// conversion) (pJ): [BitNet] FP32 add at 7 nm.
    public var fp32Add: Double = 0.38
    /// One float32 multiply (pJ): [BitNet] FP32 multiply at 7 nm.
    public var fp32Mul: Double = 1.31
    /// One float32 divide (pJ). Estimate, no source: an iterative (Newton-Raphson or
    /// Goldschmidt) divider costs about 10 `fp32Mul`-equivalents: 10 * 1.31.
    public var fp32Div: Double = 13.1
    /// One trit-MAC with trit +1 (add), -1 (subtract) (pJ): [BitNet] INT8 add at 7 nm.
    /// A skipped MAC (trit 0) toggles no adder: 0.
    public var tritAdd: Double = 0.007, tritSub: Double = 0.007, tritSkip: Double = 0
    /// One packed byte decoded or encoded (pJ). Estimate, no source: 5 `int8Op`.
    public var tritUnpack: Double = 5 * 0.007
    /// One DRAM byte read / written (pJ): LPDDR, 640 pJ per 32-bit word / 4 (Dally, Hot
    /// Chips 2023).
    public var dramRead: Double = 160, dramWrite: Double = 160
    /// SRAM access energy against array size; read and write cost the same: 64-bit cache
    /// reads of 10 pJ (8 KB), 20 pJ (32 KB), 100 pJ (1 MB) at 45 nm, scaled to 7 nm.
    public var sramCurve: [SRAMEnergyPoint] = [
        SRAMEnergyPoint(bytes: 8_192, picojoulesPer64Bit: 10 * EnergyTable.memoryScale7nm),
        SRAMEnergyPoint(bytes: 32_768, picojoulesPer64Bit: 20 * EnergyTable.memoryScale7nm),
        SRAMEnergyPoint(bytes: 1_048_576, picojoulesPer64Bit: 100 * EnergyTable.memoryScale7nm),
    ]
    /// Leakage and clock power of the whole chip (mW = pJ per ns). Assumption, no source
    /// found: 20 mW (ISA.md 3.4).
    public var staticPowerMW: Double = 20
    /// FP16 add and multiply, for the FP16 baseline only (pJ): [BitNet] at 7 nm.
    public var fp16Add: Double = 0.16, fp16Mul: Double = 0.34

    public init() {}

    /// pJ per byte of an SRAM of `bytes` bytes: `sramCurve` interpolated linearly in
    /// log2(size) between its points, extended along the first or last segment outside
    /// them, and never below 0.
    public func sramPicojoulesPerByte(size bytes: Int) -> Double {
        sramCurve.picojoulesPerByte(size: bytes)
    }
}

/// One point of the SRAM energy curve: an array of `bytes` bytes costs
/// `picojoulesPer64Bit` pJ per 64-bit access.
public struct SRAMEnergyPoint: Sendable, Equatable, Codable {
    public var bytes: Int
    public var picojoulesPer64Bit: Double

    public init(bytes: Int, picojoulesPer64Bit: Double) {
        self.bytes = bytes
        self.picojoulesPer64Bit = picojoulesPer64Bit
    }
}

extension Array where Element == SRAMEnergyPoint {
    /// See `EnergyTable.sramPicojoulesPerByte(size:)`. Points must be sorted by size,
    /// sizes distinct and positive (`validate()` checks). At a curve point the result is
    /// that point's value divided by 8, exactly.
    func picojoulesPerByte(size bytes: Int) -> Double {
        guard let first, bytes > 0 else { return 0 }
        guard count > 1 else { return Swift.max(0, first.picojoulesPer64Bit) / 8 }
        if let exact = self.first(where: { $0.bytes == bytes }) { return Swift.max(0, exact.picojoulesPer64Bit) / 8 }
        let x = log2(Double(bytes))
        var i = 0
        while i < count - 2 && x > log2(Double(self[i + 1].bytes)) { i += 1 }
        let (a, b) = (self[i], self[i + 1])
        let (xa, xb) = (log2(Double(a.bytes)), log2(Double(b.bytes)))
        let per64 = a.picojoulesPer64Bit + (x - xa) / (xb - xa) * (b.picojoulesPer64Bit - a.picojoulesPer64Bit)
        return Swift.max(0, per64) / 8
    }
}
