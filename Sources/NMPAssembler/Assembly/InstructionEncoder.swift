import NMPISA

extension AssemblyState {
    /// Mnemonics of other assembly languages that people type out of habit, with the nmp
    /// instruction that does that job (the edit distance alone would suggest `slt` for `st`).
    static let foreignMnemonics: [String: (String, String)] = [
        "st": ("sw", "stores are sw (word), sb (byte), stv, sta and stt"),
        "str": ("sw", "stores are sw (word), sb (byte), stv, sta and stt"),
        "ld": ("lw", "loads are lw (word), lb (byte), ldv, lda, ldt and ldm"),
        "ldr": ("lw", "loads are lw (word), lb (byte), ldv, lda, ldt and ldm"),
        "li": ("addi", "load a small constant with addi rd, r0, value; a 32-bit one with lui and ori"),
        "mov": ("add", "copy a register with add rd, rs, r0"),
        "mv": ("add", "copy a register with add rd, rs, r0"),
        "j": ("jal", "jump with jal r0, label"),
        "b": ("beq", "branch always with beq r0, r0, label"),
        "call": ("jal", "call with jal r15, label"),
        "ret": ("jalr", "return with jalr r0, r15, 0"),
    ]

    /// Matches written operands against the opcode's operand kinds and encodes the word.
    /// Reports every bad operand of the line, and returns a placeholder word on error (the
    /// image is discarded then) so that addresses stay right for the rest of the file.
    mutating func encodeInstruction(_ mnemonic: String, at: SourceLocation, _ operands: [Operand], pc: Int64) -> UInt32 {
        guard let opcode = Opcode(mnemonic: mnemonic) else {
            var notes: [Diagnostic.Note] = []
            if let (nmp, meaning) = Self.foreignMnemonics[mnemonic.lowercased()] {
                notes.append(.init("did you mean '\(nmp)'? (\(meaning))"))
            } else if let guess = closestMatch(to: mnemonic, in: Opcode.allCases.map(\.mnemonic)) {
                notes.append(.init("did you mean '\(guess)'?"))
            } else if mnemonic != mnemonic.lowercased(), Opcode(mnemonic: mnemonic.lowercased()) != nil {
                notes.append(.init("mnemonics are lower case: '\(mnemonic.lowercased())'"))
            }
            log.error("unknown instruction '\(mnemonic)'", at: at, notes: notes)
            return 0
        }
        let spec = opcode.spec
        let usage = Disassembler.usage(opcode)
        guard operands.count == spec.operands.count else {
            let expected = spec.operands.count
            let location = operands.count > expected ? operands[expected].location : at
            log.error("'\(mnemonic)' takes \(expected) operand\(expected == 1 ? "" : "s"), but \(operands.count) \(operands.count == 1 ? "was" : "were") given",
                      at: location, notes: [.init("usage: \(usage)")])
            return 0
        }
        var instruction = Instruction(opcode)
        var ok = true
        for (index, (kind, operand)) in zip(spec.operands, operands).enumerated() {
            ok = encode(operand, as: kind, number: index + 1, into: &instruction, pc: pc, mnemonic: mnemonic, usage: usage) && ok
        }
        guard ok else { return 0 }
        // Field ranges are checked above; rules on whole words (an empty loop body) live in
        // the decoder, so ask it rather than restating them here.
        do {
            _ = try Instruction(decoding: instruction.word)
        } catch .emptyLoopBody {
            log.error("'loop' body is empty: its end label must come after at least one instruction", at: operands[1].location)
            return 0
        } catch .emptyAccumulatorRange(_, let first, let last) {
            log.error("'\(mnemonic)' accumulators a\(first) ... a\(last): the last must not come before the first",
                      at: operands[1].location, notes: [.init("usage: \(usage)")])
            return 0
        } catch {
            log.error("'\(mnemonic)' does not encode: \(error)", at: at)
            return 0
        }
        return instruction.word
    }

    private mutating func encode(_ operand: Operand, as kind: OperandKind, number: Int, into instruction: inout Instruction,
                                 pc: Int64, mnemonic: String, usage: String) -> Bool {
        func mismatch() -> Bool {
            log.error("operand \(number) of '\(mnemonic)' must be \(kind.description), not \(operand.noun)",
                      at: operand.location, notes: [.init("usage: \(usage)")])
            return false
        }
        switch kind {
        case .register(let cls, let field):
            guard case .register(let found, let index, let at) = operand, found == cls else { return mismatch() }
            guard checkRegister(cls, index, at: at) else { return false }
            instruction.setRegister(field, UInt8(index))
            return true
        case .memory:
            guard case .memory(let base, let baseAt, let offset, _) = operand else { return mismatch() }
            guard checkRegister(.scalar, base, at: baseAt) else { return false }
            instruction.b = UInt8(base)
            guard let offset else { return true }
            guard let v = evaluate(offset, here: pc) else { return false }
            warnIfLabelOfAnotherMemory(offset, opcode: instruction.opcode)
            guard ImmediateKind.signed16.accepts(v) else {
                log.error("memory offset \(v) is out of range (\(ImmediateKind.signed16.rangeDescription))", at: offset.location,
                          notes: [.init("put the address in a register first, e.g. with lui and ori")])
                return false
            }
            instruction.imm = Int32(v)
            // With base r0 the address is the constant itself: check its alignment now.
            if base == 0, case .memory(_, let size, _, _) = instruction.opcode.spec.timing, size.alignment > 1,
               UInt32(bitPattern: Int32(v)) % UInt32(size.alignment) != 0 {
                log.warning("address \(v) is not a multiple of \(size.alignment); '\(mnemonic)' traps with a misaligned access when it runs",
                            at: offset.location, notes: [.init("'\(mnemonic)' moves 4-byte words; align the data with '.align 4'")])
            }
            return true
        case .immediate(let immediate):
            guard case .expression(let e) = operand else { return mismatch() }
            guard let v = evaluate(e, here: pc) else { return false }
            guard immediate.accepts(v) else {
                let hint: [Diagnostic.Note] = immediate == .shift5 ? []
                    : [.init("a 32-bit constant takes two instructions: lui rN, value >> 16 then ori rN, rN, value & 0xFFFF")]
                log.error("immediate \(v) is out of range for '\(mnemonic)' (\(immediate.rangeDescription))", at: e.location, notes: hint)
                return false
            }
            instruction.imm = Int32(v)
            return true
        case .target(let field):
            guard case .expression(let e) = operand else { return mismatch() }
            guard let target = evaluate(e, here: pc) else { return false }
            let (offset, overflow) = target.subtractingReportingOverflow(pc)
            let range = OperandKind.targetRange(field)
            guard !overflow, range.contains(offset) else {
                log.error("target \(target) is too far from instruction \(pc) (offset must be within \(range.lowerBound)...\(range.upperBound))",
                          at: e.location)
                return false
            }
            let codeSize = size[.text, default: 0]
            if target < 0 || target > codeSize {
                log.warning("target \(target) is outside the code (0...\(codeSize)); running it will trap", at: e.location)
            }
            instruction.imm = Int32(offset)
            return true
        }
    }

    /// A memory offset naming a label of another section is almost always a mistake
    /// (an `.adata` address used to load weights, say): each memory starts at address 0.
    private mutating func warnIfLabelOfAnotherMemory(_ offset: Expression, opcode: Opcode) {
        guard case .memory(let space, _, _, _) = opcode.spec.timing else { return }
        let expected: SymbolSpace = space == .weightSRAM ? .weightSRAM : .activationSRAM
        for (name, location) in offset.symbolReferences {
            guard case .label(let labelSpace, _)? = symbols.entries[name]?.definition,
                  labelSpace != expected, let section = labelSpace.sectionDirective,
                  let wanted = expected.sectionDirective else { continue }
            log.warning("'\(name)' is a label in \(section), but '\(opcode.mnemonic)' addresses the \(space == .weightSRAM ? "weight" : "activation") SRAM (\(wanted))",
                        at: location)
        }
    }

    private mutating func checkRegister(_ cls: RegisterClass, _ index: Int, at: SourceLocation) -> Bool {
        guard index < cls.count else {
            log.error("\(cls.noun) \(cls.name(index)) does not exist (\(cls.name(0))...\(cls.name(cls.count - 1)))", at: at)
            return false
        }
        return true
    }
}
