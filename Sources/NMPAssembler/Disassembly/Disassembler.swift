import NMPISA
import NMPTrits

/// Microcode image to `.nasm` text that assembles back to the identical image: every
/// symbol is re-declared where it points, data is written byte for byte, and words that
/// do not decode are kept as `.inst`.
public enum Disassembler {
    /// The whole image as source text. `name` goes in the header comment only.
    public static func disassemble(_ image: MicrocodeImage, name: String = "image") -> String {
        var text = ""
        disassemble(image, name: name) { text += $0 }
        return text
    }

    /// The whole image as source text, handed to `write` a piece at a time (whole lines), so
    /// that a large image is never held as one string. Runs of at least `runLength` equal
    /// data bytes are written as one `.space N, value` line.
    public static func disassemble<E: Error>(_ image: MicrocodeImage, name: String = "image",
                                             write: (String) throws(E) -> Void) throws(E) {
        var pending = ""
        func line(_ text: String) throws(E) {
            pending += text
            pending += "\n"
            if pending.utf8.count >= 1 << 16 {
                try write(pending)
                pending = ""
            }
        }
        try line("; nmp disassembly of \(name)")
        try line("; \(image.code.count) instructions; data bytes: wsram \(image.weightData.count), asram \(image.activationData.count), dram \(image.dramData.count); \(image.symbols.count) symbols")
        let bySpace = Dictionary(grouping: image.symbols, by: \.space)
        try line(".packing \(image.packing.rawValue)")
        for requirement in image.requirements { try line(requirement.directive) }
        for constant in bySpace[.constant, default: []] {
            // -9223372036854775808 is not a literal (its magnitude overflows), so spell it out.
            let value = constant.value == .min ? "-9223372036854775807 - 1" : String(constant.value)
            try line(".equ \(constant.name), \(value)")
        }
        let codeLabels = labelMap(bySpace[.code, default: []])
        if image.entry != 0 { try line(".entry \(codeLabels[Int64(image.entry)]?.first ?? String(image.entry))") }

        try line("")
        try line(".text")
        for (pc, word) in image.code.enumerated() {
            for label in codeLabels[Int64(pc), default: []] { try line("\(label):") }
            try line("    " + text(ofWord: word, pc: Int64(pc), labels: codeLabels))
        }
        for label in codeLabels[Int64(image.code.count), default: []] { try line("\(label):") }

        for (space, directive) in [(SymbolSpace.weightSRAM, ".wdata"), (.activationSRAM, ".adata"), (.dram, ".ddata")] {
            let bytes = image.data(memorySpace(space))
            let labels = labelMap(bySpace[space, default: []])
            guard !bytes.isEmpty || !labels.isEmpty else { continue }
            try line("")
            try line(directive)
            try dataLines(bytes, labels: labels, trits: space == .weightSRAM ? image.packing : nil, line: line)
        }
        if !pending.isEmpty { try write(pending) }
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

    /// Equal bytes from this many on are one `.space` line.
    public static let runLength = 32

    /// `.byte` lines of at most 16 bytes (data of a section), broken at every label, and `.space N, value` for
    /// runs of `runLength` or more equal bytes; weight data gets a comment with the trits
    /// each `.byte` line holds when all its bytes are valid codes.
    public static func dataLines<E: Error>(_ bytes: [UInt8], labels: [Int64: [String]], trits packing: TritPacking?,
                                            line: (String) throws(E) -> Void) throws(E) {
        // Label offsets inside the data, ascending: each one ends a line or a run.
        let breaks = labels.keys.compactMap { $0 > 0 && $0 < Int64(bytes.count) ? Int($0) : nil }.sorted()
        var nextBreak = 0
        var start = 0
        while start <= bytes.count {
            for label in labels[Int64(start), default: []] { try line("\(label):") }
            guard start < bytes.count else { break }
            while nextBreak < breaks.count && breaks[nextBreak] <= start { nextBreak += 1 }
            let limit = nextBreak < breaks.count ? breaks[nextBreak] : bytes.count
            // A run of equal bytes?
            var run = start + 1
            while run < limit && bytes[run] == bytes[start] { run += 1 }
            if run - start >= runLength {
                let value = bytes[start]
                try line("    .space \(run - start)" + (value == 0 ? "" : ", 0x" + hex(UInt32(value), digits: 2)))
                start = run
                continue
            }
            // Up to 16 bytes, stopping before a label or a run that follows.
            var end = min(limit, start + 16)
            var i = start
            while i < end {
                var j = i + 1
                while j < limit && bytes[j] == bytes[i] && j - i < runLength { j += 1 }
                if j - i >= runLength && i > start { end = i; break }
                i = j
            }
            let chunk = bytes[start..<end]
            var text = "    .byte " + chunk.map { "0x" + hex(UInt32($0), digits: 2) }.joined(separator: ", ")
            if let packing, let decoded = try? packing.unpack(chunk, count: chunk.count * packing.tritsPerByte) {
                text += " ; " + String(decoded.map(\.symbol))
            }
            try line(text)
            start = end
        }
    }
}
