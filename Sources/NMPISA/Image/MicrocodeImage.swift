import NMPTrits

/// An assembled program: code, the initial contents of the three memories, and symbols.
///
/// `ImageWriter` and `ImageReader` convert it to and from the `.nmc` byte layout that
/// ISA.md section "Microcode image" defines. Every data section loads at address 0 of its
/// memory.
public struct MicrocodeImage: Equatable, Sendable {
    /// Instruction index where execution starts.
    public var entry: UInt32
    /// Layout of packed trits in the weight data (and the layout the program expects).
    public var packing: TritPacking
    /// Instruction words, index 0 first.
    public var code: [UInt32]
    /// Initial weight-SRAM bytes.
    public var weightData: [UInt8]
    /// Initial activation-SRAM bytes.
    public var activationData: [UInt8]
    /// Initial DRAM bytes.
    public var dramData: [UInt8]
    /// Named addresses and constants, sorted by `Symbol.canonicalOrder`.
    public var symbols: [Symbol]
    /// What the program needs of the machine (`.require`), at most one per key, sorted by key.
    public var requirements: [Requirement]

    public init(entry: UInt32 = 0, packing: TritPacking = .base3, code: [UInt32] = [],
                weightData: [UInt8] = [], activationData: [UInt8] = [], dramData: [UInt8] = [],
                symbols: [Symbol] = [], requirements: [Requirement] = []) {
        self.entry = entry
        self.packing = packing
        self.code = code
        self.weightData = weightData
        self.activationData = activationData
        self.dramData = dramData
        self.symbols = symbols
        self.requirements = requirements
    }

    /// The data section of a memory space.
    public func data(_ space: MemorySpace) -> [UInt8] {
        switch space {
        case .weightSRAM: weightData
        case .activationSRAM: activationData
        case .dram: dramData
        }
    }
}

/// Where a symbol's value points.
public enum SymbolSpace: UInt8, CaseIterable, Sendable {
    /// A `.equ` constant.
    case constant = 0
    /// An instruction index.
    case code = 1
    /// Byte addresses in each memory.
    case weightSRAM = 2
    case activationSRAM = 3
    case dram = 4

    /// The assembler section whose labels land in this space (nil for constants).
    public var sectionDirective: String? {
        switch self {
        case .constant: nil
        case .code: ".text"
        case .weightSRAM: ".wdata"
        case .activationSRAM: ".adata"
        case .dram: ".ddata"
        }
    }
}

/// A named value in the image's symbol table.
public struct Symbol: Hashable, Sendable {
    public var name: String
    public var space: SymbolSpace
    public var value: Int64

    public init(name: String, space: SymbolSpace, value: Int64) {
        self.name = name
        self.space = space
        self.value = value
    }

    /// The order the writer stores symbols in, so that assembling a disassembly gives
    /// identical bytes whatever order the source defined them in: by space, value, name.
    public static func canonicalOrder(_ x: Symbol, _ y: Symbol) -> Bool {
        (x.space.rawValue, x.value, x.name) < (y.space.rawValue, y.value, y.name)
    }
}
