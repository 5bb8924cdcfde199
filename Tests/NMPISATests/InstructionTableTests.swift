import Testing
@testable import NMPISA

/// The table is internally consistent: what Spike's check-opcode-overlap does for RISC-V.
struct InstructionTableTests {
    static let fieldsAllowed: [InstructionFormat: Set<Field>] = [
        .n: [], .r: [.a, .b, .c, .d], .i: [.a, .b, .imm16], .j: [.a, .imm20],
    ]

    @Test func mnemonicsAreUniqueAndLowerCase() {
        let names = Opcode.allCases.map(\.mnemonic)
        #expect(Set(names).count == names.count)
        #expect(names.allSatisfy { $0 == $0.lowercased() && !$0.isEmpty })
        for op in Opcode.allCases { #expect(Opcode(mnemonic: op.mnemonic) == op) }
    }

    @Test(arguments: Opcode.allCases)
    func operandFieldsFitTheFormatAndDoNotOverlap(_ op: Opcode) {
        let spec = op.spec
        let fields = spec.operands.flatMap(\.fields)
        #expect(Set(fields).count == fields.count, "two operands of \(op) share a field")
        #expect(Set(fields).isSubset(of: Self.fieldsAllowed[spec.format]!), "\(op) uses a field its format lacks")
        // Field bit masks must be disjoint from each other and from the opcode byte.
        var used: UInt32 = 0xFF
        for field in fields {
            #expect(used & field.mask == 0, "\(op): field \(field) overlaps")
            used |= field.mask
        }
        #expect(used == op.usedBits)
    }

    @Test func everyGroupHasInstructions() {
        for group in InstructionGroup.allCases {
            #expect(Opcode.allCases.contains { $0.spec.group == group }, "\(group) is empty")
        }
    }

    /// The instruction kinds a BitNet b1.58 coprocessor needs (ISA.md 1.3): scalar arithmetic,
    /// branches and loops, loads and stores, DMA, trit MACs, sign and threshold, absmax,
    /// requantization and the FFN's element-wise operations.
    @Test func coversTheRequiredInstructionKinds() {
        let required = ["add", "sub", "mul", "beq", "jal", "loop", "lw", "sw", "ldt", "ldm", "dmaw", "dwait",
                        "vmac", "mmac", "sgn", "thr", "amax", "rq", "arelu", "asq", "amul", "halt"]
        for name in required { #expect(Opcode(mnemonic: name) != nil, "missing \(name)") }
    }

    @Test func memoryOperandsAreOnlyInIFormat() {
        for op in Opcode.allCases where op.spec.operands.contains(.memory) {
            #expect(op.spec.format == .i)
            #expect(op.spec.group == .memory)
        }
    }
}
