import Foundation
import NMPISA

/// Energy per event in picojoules, and static power (ISA.md section 3.4).
///
/// Arithmetic and register values are per operation or per byte as ISA.md 3.3 counts
/// events. SRAM energy per byte is not a fixed number: it follows the memory's size along
/// `sramCurve` (larger arrays cost more per access), so resizing an SRAM in the config also
/// changes its energy. The FP16 entries are not charged by the simulator; they price the
/// FP16 baseline that reports compare against. Every default cites its source in ISA.md.
public struct EnergyTable: Sendable, Equatable {
    /// Fetch and decode of one instruction (pJ).
    public var instruction: Double = 0
    /// One register-file byte read / written (pJ).
    public var registerRead: Double = 0, registerWrite: Double = 0
    /// One 32-bit add-class operation, multiply, divide (pJ).
    public var int32Add: Double = 0, int32Mul: Double = 0, int32Div: Double = 0
    /// One 8-bit compare or conversion (pJ).
    public var int8Op: Double = 0
    /// One trit-MAC with trit +1 (add), -1 (subtract), 0 (skip) (pJ).
    public var tritAdd: Double = 0, tritSub: Double = 0, tritSkip: Double = 0
    /// One packed byte decoded or encoded (pJ).
    public var tritUnpack: Double = 0
    /// One DRAM byte read / written (pJ).
    public var dramRead: Double = 0, dramWrite: Double = 0
    /// SRAM access energy against array size; read and write cost the same.
    public var sramCurve: [SRAMEnergyPoint] = []
    /// Leakage and clock power of the whole chip (mW = pJ per ns).
    public var staticPowerMW: Double = 0
    /// FP16 add and multiply, for the FP16 baseline only (pJ).
    public var fp16Add: Double = 0, fp16Mul: Double = 0

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
    /// sizes distinct and positive (`validate()` checks).
    func picojoulesPerByte(size bytes: Int) -> Double {
        guard let first, bytes > 0 else { return 0 }
        guard count > 1 else { return first.picojoulesPer64Bit / 8 }
        let x = log2(Double(bytes))
        var i = 0
        while i < count - 2 && x > log2(Double(self[i + 1].bytes)) { i += 1 }
        let (a, b) = (self[i], self[i + 1])
        let (xa, xb) = (log2(Double(a.bytes)), log2(Double(b.bytes)))
        let per64 = a.picojoulesPer64Bit + (x - xa) / (xb - xa) * (b.picojoulesPer64Bit - a.picojoulesPer64Bit)
        return Swift.max(0, per64) / 8
    }
}
