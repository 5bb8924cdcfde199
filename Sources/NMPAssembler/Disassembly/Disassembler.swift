import NMPISA
import NMPTrits

/// Microcode image to `.nasm` text that assembles back to the identical image: every
/// symbol is re-declared where it points, data is written byte for byte, and words that
/// do not decode are kept as `.inst`.
public enum Disassembler {
    /// The whole image as source text. `name` goes in the header comment only.
    public static func disassemble(_ image: MicrocodeImage, name: String = "image") -> String {
        var out: [String] = ["; nmp disassembly of \(name)"]
        out.append("; \(image.code.count) instructions; data bytes: wsram \(image.weightData.count), asram \(image.activationData.count), dram \(image.dramData.count); \(image.symbols.count) symbols")
        let bySpace = Dictionary(grouping: image.symbols, by: \.space)
        out.append(".packing \(image.packing.rawValue)")
        for constant in bySpace[.constant, default: []] {
            // -9223372036854775808 is not a literal (its magnitude overflows), so spell it out.
            let value = constant.value == .min ? "-9223372036854775807 - 1" : String(constant.value)
            out.append(".equ \(constant.name), \(value)")
        }
        let codeLabels = labelMap(bySpace[.code, default: []])
        if image.entry != 0 { out.append(".entry \(codeLabels[Int64(image.entry)]?.first ?? String(image.entry))") }

        out.append("")
        out.append(".text")
        for (pc, word) in image.code.enumerated() {
            for label in codeLabels[Int64(pc), default: []] { out.append("\(label):") }
            out.append("    " + text(ofWord: word, pc: Int64(pc), labels: codeLabels))
        }
        for label in codeLabels[Int64(image.code.count), default: []] { out.append("\(label):") }

        for (space, directive) in [(SymbolSpace.weightSRAM, ".wdata"), (.activationSRAM, ".adata"), (.dram, ".ddata")] {
            let bytes = image.data(memorySpace(space))
            let labels = labelMap(bySpace[space, default: []])
            guard !bytes.isEmpty || !labels.isEmpty else { continue }
            out.append("")
            out.append(directive)
            out += dataLines(bytes, labels: labels, trits: space == .weightSRAM ? image.packing : nil)
        }
        return out.joined(separator: "\n") + "\n"
    }

    /// One instruction word as text: the instruction, or `.inst 0x...` with the decode
    /// error as a comment. Targets print as a label when one points there, else `. + n`.
    public static func text(ofWord word: UInt32, pc: Int64, labels: [Int64: [String]] = [:]) -> String {
        do {
            return text(of: try Instruction(decoding: word), pc: pc, labels: labels)
        } catch {
            return ".inst 0x\(hex(word, digits: 8)) ; \(error)"
        }
    }

    /// A decoded instruction as text.
    public static func text(of instruction: Instruction, pc: Int64, labels: [Int64: [String]] = [:]) -> String {
        let spec = instruction.opcode.spec
        let operands = spec.operands.map { kind -> String in
            switch kind {
            case .register(let cls, let field):
                return cls.name(Int(instruction.register(field)))
            case .memory:
                let base = RegisterClass.scalar.name(Int(instruction.b))
                return instruction.imm == 0 ? "[\(base)]"
                    : instruction.imm > 0 ? "[\(base) + \(instruction.imm)]" : "[\(base) - \(-Int64(instruction.imm))]"
            case .immediate(.unsigned16):
                // Counts read best in decimal, bit patterns (lui, ori) in hex.
                return instruction.imm < 256 ? String(instruction.imm) : "0x" + hex(UInt32(instruction.imm), digits: 4)
            case .immediate:
                return String(instruction.imm)
            case .target:
                let target = pc + Int64(instruction.imm)
                if let label = labels[target]?.first { return label }
                return instruction.imm == 0 ? "." : instruction.imm > 0 ? ". + \(instruction.imm)" : ". - \(-Int64(instruction.imm))"
            }
        }
        let mnemonic = instruction.opcode.mnemonic
        guard !operands.isEmpty else { return mnemonic }
        return mnemonic + String(repeating: " ", count: max(1, 7 - mnemonic.count)) + operands.joined(separator: ", ")
    }

    /// How to write an opcode's operands: "ldv vN, [rN + imm]".
    public static func usage(_ opcode: Opcode) -> String {
        let operands = opcode.spec.operands.map(\.syntaxHint)
        return operands.isEmpty ? opcode.mnemonic : opcode.mnemonic + " " + operands.joined(separator: ", ")
    }

    /// Symbols grouped by value, names in canonical order.
    public static func labelMap(_ symbols: [Symbol]) -> [Int64: [String]] {
        Dictionary(grouping: symbols.sorted(by: Symbol.canonicalOrder), by: \.value).mapValues { $0.map(\.name) }
    }

    private static func memorySpace(_ space: SymbolSpace) -> MemorySpace {
        switch space {
        case .weightSRAM: .weightSRAM
        case .activationSRAM: .activationSRAM
        default: .dram
        }
    }

    /// `.byte` lines of at most 16 bytes, broken at every label; weight data gets a comment
    /// with the trits each line holds when all its bytes are valid codes.
    private static func dataLines(_ bytes: [UInt8], labels: [Int64: [String]], trits packing: TritPacking?) -> [String] {
        var lines: [String] = []
        var start = 0
        let breaks = Set(labels.keys.compactMap { $0 > 0 && $0 < Int64(bytes.count) ? Int($0) : nil })
        while start <= bytes.count {
            for label in labels[Int64(start), default: []] { lines.append("\(label):") }
            guard start < bytes.count else { break }
            var end = min(bytes.count, start + 16)
            if let cut = breaks.filter({ $0 > start && $0 < end }).min() { end = cut }
            let chunk = bytes[start..<end]
            var line = "    .byte " + chunk.map { "0x" + hex(UInt32($0), digits: 2) }.joined(separator: ", ")
            if let packing, let decoded = try? packing.unpack(chunk, count: chunk.count * packing.tritsPerByte) {
                line += " ; " + String(decoded.map(\.symbol))
            }
            lines.append(line)
            start = end
        }
        return lines
    }
}
