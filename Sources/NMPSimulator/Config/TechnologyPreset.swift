import Foundation
import NMPJSON

/// Energy prices of a technology: every key of the `energy` object (ISA.md 3.4) with its
/// value and where it comes from. `--tech NAME` starts a machine from a preset's prices;
/// a config file's `energy` keys still override them.
///
/// Sources (ISA.md 3.4 lists them with the derivations):
/// - [H] M. Horowitz, "Computing's energy problem (and what we can do about it)", ISSCC
///   2014 (45 nm, 0.9 V); the operation energies as tabulated on W. Dally's Hot Chips 2023
///   keynote slide "Cost of Operations", which credits Horowitz.
/// - [B] H. Wang et al., "BitNet: Scaling 1-bit Transformers for Large Language Models",
///   arXiv 2310.11453, Table 2 (7 nm and 45 nm ADD / MUL energies).
/// - [Han] S. Han et al., arXiv 1506.02626, Figure 1 (45 nm, 32-bit accesses).
/// - [OC] M. O'Connor et al., "Fine-Grained DRAM: Energy-Efficient DRAM for Extreme
///   Bandwidth Systems", MICRO 2017, section 1: HBM2 "approximately 3.97 pJ/bit".
/// - [D] W. Dally, Hot Chips 2023 keynote, slide "The Importance of Staying Local":
///   "LPDDR DRAM GB 640pJ/word" (32-bit words).
public struct TechnologyPreset: Sendable {
    /// One price: the value a preset gives a key, and why.
    public struct Price: Sendable {
        /// The `energy` key (ISA.md 3.4), e.g. "dramRead".
        public let key: String
        /// Where the value comes from and how it is derived.
        public let source: String
        /// True when no source gives it: an estimate or an assumption, stated to be replaced.
        public let estimate: Bool
    }

    /// The name `--tech` takes, e.g. "7nm-lpddr".
    public let name: String
    /// One line: the logic node and the memory.
    public let summary: String
    /// The prices.
    public let energy: EnergyTable
    /// Every key of the `energy` object in ISA.md 3.4's order, with its source.
    public let prices: [Price]

    /// The preset a machine starts from without `--tech`.
    public static let defaultName = "7nm-lpddr"

    /// Every preset, the default first.
    public static let all: [TechnologyPreset] = [sevenLPDDR, sevenHBM2, bitnet7nm, horowitz45nm]

    /// The preset of that name, or nil.
    public static func named(_ name: String) -> TechnologyPreset? { all.first { $0.name == name } }

    /// The default preset.
    public static var standard: TechnologyPreset { named(defaultName)! }

    // MARK: The presets

    /// 45 nm throughout: [H]'s figures for arithmetic and memories alike.
    static let horowitz45nm: TechnologyPreset = {
        var e = EnergyTable.bitnet7nm45nmMemory
        e.int32Add = 0.1; e.int32Mul = 3.1; e.int32Div = 32 * 0.1; e.int8Op = 0.03
        e.fp32Add = 0.9; e.fp32Mul = 3.7; e.fp32Div = 10 * 3.7
        e.tritAdd = 0.03; e.tritSub = 0.03; e.tritSkip = 0; e.tritUnpack = 5 * 0.03
        e.fp16Add = 0.4; e.fp16Mul = 1.1
        return TechnologyPreset(name: "45nm", summary: "45 nm logic and memories throughout (Horowitz, ISSCC 2014)", energy: e, prices: [
            Price(key: "instruction", source: "a 4-byte fetch from an 8 KiB array: 10 pJ per 64 bits [H] / 8 * 4", estimate: false),
            Price(key: "registerRead", source: "1 pJ per 32-bit register-file access [Han] / 4", estimate: false),
            Price(key: "registerWrite", source: "as registerRead", estimate: false),
            Price(key: "int32Add", source: "32-bit add, 0.1 pJ [H]", estimate: false),
            Price(key: "int32Mul", source: "32-bit multiply, 3.1 pJ [H]", estimate: false),
            Price(key: "int32Div", source: "32 add steps of a radix-2 divider: 32 * int32Add", estimate: true),
            Price(key: "int8Op", source: "8-bit add, 0.03 pJ [H]", estimate: false),
            Price(key: "fp32Add", source: "FP32 add, 0.9 pJ [H]", estimate: false),
            Price(key: "fp32Mul", source: "FP32 multiply, 3.7 pJ [H]", estimate: false),
            Price(key: "fp32Div", source: "an iterative divider of about 10 multiplier passes: 10 * fp32Mul", estimate: true),
            Price(key: "tritAdd", source: "8-bit add, 0.03 pJ [H]: the activation is added", estimate: false),
            Price(key: "tritSub", source: "as tritAdd", estimate: false),
            Price(key: "tritSkip", source: "no adder toggles for a 0 trit (ISA.md 1.2)", estimate: false),
            Price(key: "tritUnpack", source: "about five 8-bit operations per packed byte: 5 * int8Op", estimate: true),
            Price(key: "sramCurve", source: "64-bit cache accesses of 8 KB, 32 KB, 1 MB: 10, 20, 100 pJ [H]", estimate: false),
            Price(key: "dramRead", source: "1.3 nJ per 64-bit access, the low end of 1.3-2.6 nJ [H], / 8", estimate: false),
            Price(key: "dramWrite", source: "as dramRead", estimate: false),
            Price(key: "staticPowerMW", source: "assumption: no citable leakage figure for such a chip; 20 mW", estimate: true),
            Price(key: "fp16Add", source: "FP16 add, 0.4 pJ [H]", estimate: false),
            Price(key: "fp16Mul", source: "FP16 multiply, 1.1 pJ [H]", estimate: false),
        ])
    }()

    /// The table nmp used before presets: [B]'s 7 nm arithmetic with [H]'s 45 nm memories.
    static let bitnet7nm = TechnologyPreset.sevenNanometer(
        name: "bitnet-7nm", summary: "7 nm arithmetic (BitNet, Table 2) with 45 nm memories (Horowitz)",
        energy: .bitnet7nm45nmMemory, prices: sevenNanometerArithmetic + [
            Price(key: "sramCurve", source: "64-bit cache accesses of 8 KB, 32 KB, 1 MB: 10, 20, 100 pJ at 45 nm [H]", estimate: false),
            Price(key: "dramRead", source: "1.3 nJ per 64-bit access at 45 nm, the low end of 1.3-2.6 nJ [H], / 8", estimate: false),
            Price(key: "dramWrite", source: "as dramRead", estimate: false),
        ] + staticAndBaseline, memoryAt45nm: true)

    /// 7 nm logic and SRAM with LPDDR DRAM: the default machine's 64 bytes per cycle at
    /// 1 GHz (64 GB/s) is an LPDDR5/5X x64 interface, not an HBM stack.
    static let sevenLPDDR = TechnologyPreset.sevenNanometer(
        name: "7nm-lpddr", summary: "7 nm logic and SRAM (BitNet, Table 2; SRAM scaled, estimate) with LPDDR DRAM (Dally, Hot Chips 2023)",
        energy: .sevenNanometer(dramPerByte: 640.0 / 4), prices: sevenNanometerArithmetic + sevenNanometerSRAM + [
            Price(key: "dramRead", source: "LPDDR DRAM, 640 pJ per 32-bit word [D] / 4 (20 pJ/bit)", estimate: false),
            Price(key: "dramWrite", source: "as dramRead", estimate: false),
        ] + staticAndBaseline)

    /// 7 nm logic and SRAM with HBM2 DRAM.
    static let sevenHBM2 = TechnologyPreset.sevenNanometer(
        name: "7nm-hbm2", summary: "7 nm logic and SRAM (BitNet, Table 2; SRAM scaled, estimate) with HBM2 DRAM (O'Connor et al., MICRO 2017)",
        energy: .sevenNanometer(dramPerByte: 3.97 * 8), prices: sevenNanometerArithmetic + sevenNanometerSRAM + [
            Price(key: "dramRead", source: "HBM2, \"approximately 3.97 pJ/bit\" [OC] * 8", estimate: false),
            Price(key: "dramWrite", source: "as dramRead", estimate: false),
        ] + staticAndBaseline)

    // MARK: Shared price notes

    /// The arithmetic and register entries of the 7 nm presets, in key order up to `tritUnpack`
    /// (registers and instruction fetch follow the memory of the preset: see `memoryAt45nm`).
    private static let sevenNanometerArithmetic: [Price] = [
        Price(key: "int32Add", source: "32-bit add, 0.1 pJ at 45 nm [H], scaled by [B]'s INT8 add ratio 0.007 / 0.03", estimate: false),
        Price(key: "int32Mul", source: "32-bit multiply, 3.1 pJ at 45 nm [H], scaled by [B]'s INT8 multiply ratio 0.07 / 0.2", estimate: false),
        Price(key: "int32Div", source: "32 add steps of a radix-2 divider: 32 * int32Add", estimate: true),
        Price(key: "int8Op", source: "INT8 add at 7 nm, 0.007 pJ [B]", estimate: false),
        Price(key: "fp32Add", source: "FP32 add at 7 nm, 0.38 pJ [B]", estimate: false),
        Price(key: "fp32Mul", source: "FP32 multiply at 7 nm, 1.31 pJ [B]", estimate: false),
        Price(key: "fp32Div", source: "an iterative divider of about 10 multiplier passes: 10 * fp32Mul", estimate: true),
        Price(key: "tritAdd", source: "INT8 add at 7 nm, 0.007 pJ [B]: the activation is added", estimate: false),
        Price(key: "tritSub", source: "as tritAdd", estimate: false),
        Price(key: "tritSkip", source: "no adder toggles for a 0 trit (ISA.md 1.2)", estimate: false),
        Price(key: "tritUnpack", source: "about five 8-bit operations per packed byte: 5 * int8Op", estimate: true),
    ]

    /// The on-chip memory entries of the 7 nm presets: [H]'s 45 nm figures times [B]'s FP32
    /// add ratio 0.38 / 0.9 (no 7 nm SRAM figure was verified at a source).
    private static let sevenNanometerSRAM: [Price] = [
        Price(key: "sramCurve", source: "[H]'s 10, 20, 100 pJ per 64 bits (8 KB, 32 KB, 1 MB) times [B]'s FP32 add ratio 0.38 / 0.9", estimate: true),
    ]

    private static let staticAndBaseline: [Price] = [
        Price(key: "staticPowerMW", source: "assumption: no citable leakage figure for such a chip; 20 mW", estimate: true),
        Price(key: "fp16Add", source: "FP16 add at 7 nm, 0.16 pJ [B]", estimate: false),
        Price(key: "fp16Mul", source: "FP16 multiply at 7 nm, 0.34 pJ [B]", estimate: false),
    ]

    private init(name: String, summary: String, energy: EnergyTable, prices: [Price]) {
        self.name = name
        self.summary = summary
        self.energy = energy
        self.prices = prices
    }

    /// A 7 nm preset: its register and instruction-fetch entries come first in key order.
    private static func sevenNanometer(name: String, summary: String, energy: EnergyTable, prices: [Price],
                                       memoryAt45nm: Bool = false) -> TechnologyPreset {
        let scaled = " times [B]'s FP32 add ratio 0.38 / 0.9"
        let front: [Price] = memoryAt45nm ? [
            Price(key: "instruction", source: "a 4-byte fetch from an 8 KiB array: 10 pJ per 64 bits at 45 nm [H] / 8 * 4", estimate: false),
            Price(key: "registerRead", source: "1 pJ per 32-bit register-file access at 45 nm [Han] / 4", estimate: false),
            Price(key: "registerWrite", source: "as registerRead", estimate: false),
        ] : [
            Price(key: "instruction", source: "a 4-byte fetch from an 8 KiB array on sramCurve: (10 pJ per 64 bits [H]\(scaled)) / 8 * 4", estimate: true),
            Price(key: "registerRead", source: "1 pJ per 32-bit register-file access [Han] / 4\(scaled)", estimate: true),
            Price(key: "registerWrite", source: "as registerRead", estimate: true),
        ]
        return TechnologyPreset(name: name, summary: summary, energy: energy, prices: front + prices)
    }
}

extension EnergyTable {
    /// [B]'s 7 nm arithmetic with [H]'s 45 nm memories (the `bitnet-7nm` preset).
    static let bitnet7nm45nmMemory: EnergyTable = {
        var e = EnergyTable()
        e.instruction = 10.0 / 8 * 4
        e.registerRead = 0.25; e.registerWrite = 0.25
        e.sramCurve = [SRAMEnergyPoint(bytes: 8_192, picojoulesPer64Bit: 10),
                       SRAMEnergyPoint(bytes: 32_768, picojoulesPer64Bit: 20),
                       SRAMEnergyPoint(bytes: 1_048_576, picojoulesPer64Bit: 100)]
        e.dramRead = 1300.0 / 8; e.dramWrite = 1300.0 / 8
        return e
    }()

    /// The on-chip memory scale of the 7 nm presets: [B]'s FP32 add at 7 nm over [H]'s at
    /// 45 nm (an estimate: memories scale with the node, typically less than logic).
    static let memoryScale7nm = 0.38 / 0.9

    /// [B]'s 7 nm arithmetic, SRAM, instruction fetch and registers scaled from [H] and
    /// [Han] by `memoryScale7nm`, and DRAM at `dramPerByte` pJ.
    static func sevenNanometer(dramPerByte: Double) -> EnergyTable {
        var e = EnergyTable.bitnet7nm45nmMemory
        let s = memoryScale7nm
        e.instruction = 10 * s / 8 * 4
        e.registerRead = 0.25 * s; e.registerWrite = 0.25 * s
        e.sramCurve = [SRAMEnergyPoint(bytes: 8_192, picojoulesPer64Bit: 10 * s),
                       SRAMEnergyPoint(bytes: 32_768, picojoulesPer64Bit: 20 * s),
                       SRAMEnergyPoint(bytes: 1_048_576, picojoulesPer64Bit: 100 * s)]
        e.dramRead = dramPerByte; e.dramWrite = dramPerByte
        return e
    }
}

extension EnergyTable {
    /// The keys of the `energy` object in ISA.md 3.4's order.
    public static var keys: [String] { EnergyKey.all.map(\.name) }

    /// This table with every key except `kept` taken from `other` (a preset under a config
    /// file's own `energy` keys).
    public func replacing(with other: EnergyTable, except kept: Set<String>) -> EnergyTable {
        var result = self
        for key in EnergyKey.all where !kept.contains(key.name) {
            switch key {
            case .value(_, let path): result[keyPath: path] = other[keyPath: path]
            case .curve: result.sramCurve = other.sramCurve
            }
        }
        return result
    }

    /// Six significant digits, for tables.
    static func short(_ value: Double) -> String { String(format: "%.6g", value) }

    /// The value of `key` as text ("0.007", or the curve's points), six significant digits;
    /// nil for an unknown key.
    public func text(of key: String) -> String? {
        switch EnergyKey.all.first(where: { $0.name == key }) {
        case .value(_, let path)?: return Self.short(self[keyPath: path])
        case .curve?: return sramCurve.map { "\(Self.short($0.picojoulesPer64Bit)) at \($0.bytes) B" }.joined(separator: ", ")
        case nil: return nil
        }
    }
}

extension MachineConfig {
    /// The keys a JSON config document gives inside its `energy` object (in document
    /// order; none when it has no such object or does not parse).
    public static func energyKeys(inJSON bytes: [UInt8]) -> [String] {
        guard case .object(let root)? = try? StrictJSON.parse(bytes, maxDepth: 64),
              case .object(let energy)? = root.first(where: { $0.0 == "energy" })?.1 else { return [] }
        return energy.map(\.0)
    }
}

extension EnergyTable {
    /// The unit of an `energy` key's value (ISA.md 3.4).
    public static func unit(of key: String) -> String {
        switch key {
        case "instruction": "pJ per instruction"
        case "registerRead", "registerWrite", "dramRead", "dramWrite", "tritUnpack": "pJ per byte"
        case "tritAdd", "tritSub", "tritSkip": "pJ per trit-MAC"
        case "sramCurve": "pJ per 64 bits at size"
        case "staticPowerMW": "mW"
        default: "pJ per operation"
        }
    }
}
