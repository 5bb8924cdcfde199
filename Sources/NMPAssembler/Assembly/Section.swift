import NMPISA

/// The four sections of a `.nasm` file.
enum Section: CaseIterable {
    case text, wdata, adata, ddata

    init?(directive: String) {
        switch directive {
        case ".text": self = .text
        case ".wdata": self = .wdata
        case ".adata": self = .adata
        case ".ddata": self = .ddata
        default: return nil
        }
    }

    var directive: String {
        switch self {
        case .text: ".text"
        case .wdata: ".wdata"
        case .adata: ".adata"
        case .ddata: ".ddata"
        }
    }

    var space: SymbolSpace {
        switch self {
        case .text: .code
        case .wdata: .weightSRAM
        case .adata: .activationSRAM
        case .ddata: .dram
        }
    }

    /// Largest size the assembler builds for the section (instructions for .text,
    /// bytes otherwise): bounds memory use on hostile input.
    var limit: Int64 {
        self == .text ? 1 << 20 : 1 << 28
    }
}
