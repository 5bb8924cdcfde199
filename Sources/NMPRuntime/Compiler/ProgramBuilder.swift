import NMPAssembler
import NMPISA
import NMPSimulator
import NMPTrits

/// A register of one of the machine's files, as the compiler names it.
public struct Reg: Hashable, Sendable {
    public let file: RegisterClass
    public let index: UInt8

    public static func r(_ i: Int) -> Reg { Reg(file: .scalar, index: UInt8(i)) }
    public static func a(_ i: Int) -> Reg { Reg(file: .accumulator, index: UInt8(i)) }
    public static func v(_ i: Int) -> Reg { Reg(file: .vector, index: UInt8(i)) }
    public static func m(_ i: Int) -> Reg { Reg(file: .matrix, index: UInt8(i)) }
    public static func t(_ i: Int) -> Reg { Reg(file: .trit, index: UInt8(i)) }
    public static let zero = Reg.r(0)
}

/// A code position that may not be known yet: branches and loops to it are patched when it
/// is placed (`ProgramBuilder.place`).
public struct Label: Hashable, Sendable {
    fileprivate let id: Int
}

/// One operand of `ProgramBuilder.emit`, checked against the instruction table's operand
/// kinds.
public enum Operand: Sendable {
    case reg(Reg)
    /// `[base + offset]`.
    case mem(Reg, Int)
    case imm(Int)
    case label(Label)
}

/// Builds a program in memory: typed instructions, labels patched when placed, hardware
/// loops, named code regions for per-operation reports, and comments for `--emit-asm`.
///
/// The instruction words come from the table-driven encoder (`Instruction.word`); the
/// `.nasm` text (`assembly(dram:)`) uses the disassembler's syntax for every instruction, so
/// that `nmp asm` turns it into the identical image (tested).
///
/// Misuse by the compiler (an operand of the wrong file, an immediate out of range, a label
/// placed twice or never) is a programming error and traps with a message: the builder's
/// inputs are the compiler's own decisions, never user input.
public struct ProgramBuilder {
    private(set) var instructions: [Instruction] = []
    private var labelNames: [String] = []
    private var labelPCs: [Int?] = []
    private var fixups: [(pc: Int, label: Label)] = []
    private var usedNames: [String: Int] = [:]
    /// Text lines before instruction pc (comments, blank lines), and a note after it.
    private var before: [Int: [String]] = [:]
    private var notes: [Int: String] = [:]
    /// Region names and the region of each instruction.
    public private(set) var regionNames: [String] = ["setup"]
    private var regionOfPC: [UInt16] = []
    private var region: UInt16 = 0
    public var requirements: [Requirement] = []
    /// What the kernels chose that a report should say: a smaller schedule than the fastest
    /// because the machine's SRAMs are small, another kernel for a format (in emission order).
    public var scheduleNotes: [String] = []
    public let packing: TritPacking

    public init(packing: TritPacking) {
        self.packing = packing
    }

    /// Instructions so far; the pc the next one gets.
    public var count: Int { instructions.count }

    // MARK: Regions and comments

    /// Attributes the following instructions to the region `name` (created on first use).
    public mutating func enterRegion(_ name: String) {
        if let index = regionNames.firstIndex(of: name) {
            region = UInt16(index)
        } else {
            precondition(regionNames.count < Int(UInt16.max), "too many code regions")
            regionNames.append(name)
            region = UInt16(regionNames.count - 1)
        }
    }

    /// The region names and the region of every instruction, for the simulator.
    public var regions: CodeRegions { CodeRegions(names: regionNames, regionOfPC: regionOfPC) }

    public mutating func comment(_ text: String) { before[count, default: []].append("; " + text) }
    public mutating func blank() { before[count, default: []].append("") }

    // MARK: Instructions

    /// Appends `op` with `operands` in the table's assembly order.
    public mutating func emit(_ op: Opcode, _ operands: Operand..., note: String? = nil) {
        let spec = op.spec
        precondition(operands.count == spec.operands.count, "\(op.mnemonic) takes \(spec.operands.count) operands, got \(operands.count)")
        var instruction = Instruction(op)
        for (kind, operand) in zip(spec.operands, operands) {
            switch (kind, operand) {
            case (.register(let file, let field), .reg(let reg)):
                precondition(reg.file == file, "\(op.mnemonic): operand \(reg) is not \(kind.description)")
                instruction.setRegister(field, reg.index)
            case (.memory, .mem(let base, let offset)):
                precondition(base.file == .scalar && (-32768...32767).contains(offset), "\(op.mnemonic): bad memory operand [\(base) + \(offset)]")
                instruction.b = base.index
                instruction.imm = Int32(offset)
            case (.immediate(let immediate), .imm(let value)):
                precondition(immediate.accepts(Int64(value)), "\(op.mnemonic): immediate \(value) outside \(immediate.rangeDescription)")
                instruction.imm = Int32(truncatingIfNeeded: value)
            case (.target, .label(let label)):
                fixups.append((count, label))
            default:
                preconditionFailure("\(op.mnemonic): operand \(operand) does not match \(kind.description)")
            }
        }
        if let note { notes[count] = note }
        instructions.append(instruction)
        regionOfPC.append(region)
    }

    /// Loads a 32-bit constant: `addi` when it fits a signed 16-bit immediate, else `lui`
    /// and (when the low half is not zero) `ori`. A `wide` load is always `lui` + `ori`:
    /// DRAM addresses use it, so that code that differs only in where its tensors are (the
    /// layers of a decoder) takes the same cycles.
    public mutating func li(_ reg: Reg, _ value: Int, wide: Bool = false, note: String? = nil) {
        let bits = UInt32(truncatingIfNeeded: value)
        let signed = Int32(bitPattern: bits)
        if wide {
            emit(.lui, .reg(reg), .imm(Int(bits >> 16)), note: note)
            emit(.ori, .reg(reg), .reg(reg), .imm(Int(bits & 0xFFFF)))
        } else if signed >= -32768 && signed <= 32767 {
            emit(.addi, .reg(reg), .reg(.zero), .imm(Int(signed)), note: note)
        } else {
            emit(.lui, .reg(reg), .imm(Int(bits >> 16)), note: note)
            if bits & 0xFFFF != 0 { emit(.ori, .reg(reg), .reg(reg), .imm(Int(bits & 0xFFFF))) }
        }
    }

    /// Loads a float32 constant's bit pattern.
    public mutating func li(_ reg: Reg, float value: Float, note: String? = nil) {
        li(reg, Int(value.bitPattern), note: note ?? "\(value) as float32 bits")
    }

    /// `reg += value`: one `addi` when the value fits, else through `scratch`.
    public mutating func addConstant(_ reg: Reg, _ value: Int, scratch: Reg, note: String? = nil) {
        guard value != 0 else { return }
        if (-32768...32767).contains(value) {
            emit(.addi, .reg(reg), .reg(reg), .imm(value), note: note)
        } else {
            li(scratch, value)
            emit(.add, .reg(reg), .reg(reg), .reg(scratch), note: note)
        }
    }

    // MARK: Labels and loops

    /// A new label named after `stem` (made unique).
    public mutating func label(_ stem: String) -> Label {
        let n = usedNames[stem, default: 0] + 1
        usedNames[stem] = n
        labelNames.append("\(stem)_\(n)")
        labelPCs.append(nil)
        return Label(id: labelNames.count - 1)
    }

    /// Places `label` at the next instruction.
    public mutating func place(_ label: Label) {
        precondition(labelPCs[label.id] == nil, "label \(labelNames[label.id]) placed twice")
        labelPCs[label.id] = count
    }

    /// `body` run x[counter] times as a hardware loop (ISA.md 6.4): `loop counter, end`,
    /// the body, `end:`. The counter is read once; the body must not be empty.
    public mutating func loop(_ counter: Reg, _ name: String, _ body: (inout ProgramBuilder) -> Void) {
        let end = label(name)
        emit(.loop, .reg(counter), .label(end))
        let start = count
        body(&self)
        precondition(count > start, "empty loop body \(name)")
        place(end)
    }

    /// A counted loop with a constant trip count: nothing when 0, the body once (no loop)
    /// when 1, else `li counter, n` and a hardware loop.
    public mutating func repeatLoop(_ n: Int, counter: Reg, _ name: String, _ body: (inout ProgramBuilder) -> Void) {
        if n <= 0 { return }
        if n == 1 { body(&self); return }
        li(counter, n)
        loop(counter, name, body)
    }

    // MARK: Output

    /// The finished code words and symbols (every label is a code symbol).
    public func finish() -> (code: [UInt32], symbols: [Symbol]) {
        var patched = instructions
        for (pc, label) in fixups {
            guard let target = labelPCs[label.id] else { preconditionFailure("label \(labelNames[label.id]) used but never placed") }
            patched[pc].imm = Int32(target - pc)
        }
        let symbols = zip(labelNames, labelPCs).compactMap { name, pc in pc.map { Symbol(name: name, space: .code, value: Int64($0)) } }
        return (patched.map(\.word), symbols.sorted(by: Symbol.canonicalOrder))
    }

    /// The image of the program with `dram` as its DRAM data.
    public func image(dram: [UInt8] = []) -> MicrocodeImage {
        let (code, symbols) = finish()
        return MicrocodeImage(packing: packing, code: code, dramData: dram, symbols: symbols,
                              requirements: requirements.sorted { $0.key.rawValue < $1.key.rawValue })
    }

    /// `.nasm` text with the compiler's comments that `nmp asm` assembles into
    /// `image(dram:)`, handed to `write` a piece at a time.
    public func assembly<E: Error>(dram: [UInt8], header: [String], write: (String) throws(E) -> Void) throws(E) {
        let (code, symbols) = finish()
        var labelsAt: [Int64: [String]] = [:]
        for symbol in symbols { labelsAt[symbol.value, default: []].append(symbol.name) }
        var pending = ""
        func line(_ text: String) throws(E) {
            pending += text + "\n"
            if pending.utf8.count >= 1 << 16 { try write(pending); pending = "" }
        }
        for text in header { try line("; " + text) }
        try line(".packing \(packing.rawValue)")
        for requirement in requirements.sorted(by: { $0.key.rawValue < $1.key.rawValue }) { try line(requirement.directive) }
        try line(".text")
        for pc in 0...code.count {
            for text in before[pc, default: []] { try line(text) }
            for name in labelsAt[Int64(pc), default: []] { try line("\(name):") }
            guard pc < code.count else { break }
            let text = "        " + Disassembler.text(ofWord: code[pc], pc: Int64(pc), labels: labelsAt)
            if let note = notes[pc] {
                try line(text.padding(toLength: max(text.count + 1, 44), withPad: " ", startingAt: 0) + "; " + note)
            } else {
                try line(text)
            }
        }
        if !dram.isEmpty {
            try line("")
            try line(".ddata")
            try Disassembler.dataLines(dram, labels: [:], trits: nil, line: line)
        }
        if !pending.isEmpty { try write(pending) }
    }

    /// The whole `.nasm` text as one string (small programs and tests).
    public func assembly(dram: [UInt8] = [], header: [String] = []) -> String {
        var text = ""
        assembly(dram: dram, header: header) { text += $0 }
        return text
    }
}
