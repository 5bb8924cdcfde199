import Foundation
import NMPISA
// SplitMix64, the seeded generator of all test data, lives in NMPSupport (the runtime uses it too).
@_exported import NMPSupport

/// The repository root (tests read ISA.md, programs/ and fixtures from it).
public let repositoryRoot = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

extension Instruction {
    /// A random instruction whose every field is in range (a `loop` gets a non-empty body, an
    /// `mgemm` an accumulator range whose last register is not before its first), so that it
    /// encodes to a valid word.
    public static func random(using rng: inout SplitMix64) -> Instruction {
        let op = Opcode.allCases[Int(rng.next() % UInt64(Opcode.allCases.count))]
        var instruction = Instruction(op)
        for operand in op.spec.operands {
            switch operand {
            case .register(let cls, let field):
                instruction.setRegister(field, UInt8(rng.next() % UInt64(cls.count)))
            case .memory:
                instruction.b = UInt8(rng.next() % 16)
                instruction.imm = Int32(Int16(truncatingIfNeeded: rng.next()))
            case .immediate(let kind):
                instruction.imm = Int32(kind.range.lowerBound + Int64(rng.next() % UInt64(kind.range.count)))
            case .target(let field):
                let full = OperandKind.targetRange(field)
                let range = op == .loop ? 2...full.upperBound : full
                instruction.imm = Int32(range.lowerBound + Int64(rng.next() % UInt64(range.count)))
            }
        }
        if case .gemm = op.spec.timing, instruction.d < instruction.a { (instruction.a, instruction.d) = (instruction.d, instruction.a) }
        return instruction
    }
}

/// The sorted names of the files in `folder` (relative to the repository root) whose
/// names end in `suffix`; empty when the folder does not exist. Parameterized tests take
/// their fixture lists from here.
public func repositoryFiles(in folder: String, suffix: String = "") -> [String] {
    let path = repositoryRoot.appendingPathComponent(folder).path
    return ((try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []).filter { $0.hasSuffix(suffix) }.sorted()
}
