import NMPISA
import NMPSimulator
import Testing

/// The operand roles the simulator's decoder takes from the instruction table
/// (`InstructionSpec.roles`) against the reference machine's scoreboard, which is written
/// from the "Scoreboard:" lines of ISA.md chapter 7 opcode by opcode: a destination that is
/// also read is exactly `.accumulates`, and `vl` as a destination is exactly `.writesVL`.
struct OperandRoleTests {
    @Test(arguments: Opcode.allCases)
    func tableRolesMatchTheReferenceScoreboard(_ op: Opcode) throws {
        // Distinct register numbers per field, so that a destination read as a source is
        // seen only when the instruction really reads it.
        let instruction = Instruction(op, a: 1, b: 2, c: 3, d: 0)
        let reference = try ReferenceMachine(image: MicrocodeImage(entry: 0, packing: .base3, code: [instruction.word]),
                                             config: MachineConfig())
        let (sources, destinations) = reference.scoreboard(instruction)
        let registerDestinations = destinations.filter { $0 != .vl }
        let accumulates = registerDestinations.contains { sources.contains($0) }
        #expect(op.spec.roles.contains(.accumulates) == accumulates, "\(op.mnemonic): table and ISA.md disagree on accumulating")
        #expect(op.spec.roles.contains(.writesVL) == destinations.contains(.vl), "\(op.mnemonic): table and ISA.md disagree on writing vl")
    }
}
