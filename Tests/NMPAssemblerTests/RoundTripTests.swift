import Foundation
import NMPTestSupport
import Testing
import NMPISA
import NMPTrits
@testable import NMPAssembler

/// Disassembling an image and assembling the text gives the identical bytes.
struct RoundTripTests {
    static let programsDirectory = repositoryRoot.appendingPathComponent("programs")

    static var programs: [String] { repositoryFiles(in: "programs", suffix: ".nasm") }

    func roundTrip(_ image: MicrocodeImage, _ label: String) {
        let text = Disassembler.disassemble(image, name: label)
        let again = Assembler.assemble(source: text, fileName: "\(label).dis.nasm")
        let assembled = !again.hasErrors
        #expect(assembled, "\(label): disassembly does not assemble:\n\(again.renderedDiagnostics.prefix(2000))")
        let identical = again.image?.encoded() == image.encoded()
        #expect(identical, "\(label): round trip changed the image")
    }

    @Test func thereAreEnoughPrograms() {
        #expect(Self.programs.count >= 8)
    }

    @Test(arguments: programs)
    func programAssemblesCleanlyAndRoundTrips(_ name: String) throws {
        let source = try String(contentsOf: Self.programsDirectory.appendingPathComponent(name), encoding: .utf8)
        let result = Assembler.assemble(source: source, fileName: name)
        let clean = result.diagnostics.isEmpty
        #expect(clean, "\(name):\n\(result.renderedDiagnostics)")
        let image = try #require(result.image)
        #expect(try MicrocodeImage(decoding: image.encoded()) == image)
        roundTrip(image, name)
    }

    /// 10,000 random valid instruction words, plus undecodable words kept as `.inst`.
    @Test func randomInstructionWords() {
        var rng = SplitMix64(seed: 0x5EED_0030)
        var code: [UInt32] = []
        for n in 0..<10_000 {
            code.append(n % 50 == 49 ? UInt32(truncatingIfNeeded: rng.next()) : Instruction.random(using: &rng).word)
        }
        let labels = (0..<40).map { i in Symbol(name: "L\(i)", space: .code, value: Int64(rng.next() % UInt64(code.count + 1))) }
        roundTrip(MicrocodeImage(code: code, symbols: labels.sorted(by: Symbol.canonicalOrder)), "random-code")
    }

    /// Every opcode with the largest register numbers its files allow and extreme
    /// immediates: the float32 vector unit and the half-width loads and stores included.
    @Test(arguments: Opcode.allCases)
    func everyOpcodeRoundTrips(_ op: Opcode) {
        var code: [UInt32] = []
        for (registerValue, immediate) in [(0, 0), (1, 1), (15, -1), (7, 32767), (3, -32768)] as [(UInt8, Int32)] {
            var instruction = Instruction(op)
            for operand in op.spec.operands {
                switch operand {
                case .register(let file, let field): instruction.setRegister(field, min(registerValue, UInt8(file.count - 1)))
                case .memory: instruction.b = min(registerValue, 15); instruction.imm = immediate
                case .immediate(let kind): instruction.imm = Int32(clamping: min(max(Int64(immediate), kind.range.lowerBound), kind.range.upperBound))
                case .target: instruction.imm = 2   // a loop body needs at least one instruction
                }
            }
            code.append(instruction.word)
        }
        roundTrip(MicrocodeImage(code: code), "opcode-\(op.mnemonic)")
    }

    /// Random data sections, packings, entry points and symbols of every space.
    @Test(arguments: 0..<25)
    func randomImages(_ seed: Int) {
        var rng = SplitMix64(seed: 0x5EED_0100 + UInt64(seed))
        // Random bytes mixed with runs of equal bytes (which disassemble to `.space N, v`).
        func bytes(_ n: Int) -> [UInt8] {
            var out: [UInt8] = []
            while out.count < n {
                if rng.next() % 3 == 0 {
                    let value = rng.next() % 2 == 0 ? 0 : UInt8(truncatingIfNeeded: rng.next())
                    out += [UInt8](repeating: value, count: Int(rng.next() % 100) + 1)
                } else {
                    out += (0..<Int(rng.next() % 40)).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
                }
            }
            return Array(out.prefix(n))
        }
        let code = (0..<(1 + Int(rng.next() % 40))).map { _ in Instruction.random(using: &rng).word }
        let sizes = (0..<3).map { _ in rng.next() % 3 == 0 ? 0 : Int(rng.next() % 300) }
        var symbols: [Symbol] = []
        for i in 0..<Int(rng.next() % 12) {
            let space = SymbolSpace.allCases[Int(rng.next() % 5)]
            let limit: Int = switch space {
            case .constant: 0
            case .code: code.count
            case .weightSRAM: sizes[0]
            case .activationSRAM: sizes[1]
            case .dram: sizes[2]
            }
            let value = space == .constant ? Int64(truncatingIfNeeded: rng.next()) : Int64(rng.next() % UInt64(limit + 1))
            symbols.append(Symbol(name: "s\(i)_x.y", space: space, value: value))
        }
        let image = MicrocodeImage(entry: UInt32(rng.next() % UInt64(code.count)), packing: rng.next() % 2 == 0 ? .base3 : .twoBit,
                                   code: code, weightData: bytes(sizes[0]), activationData: bytes(sizes[1]),
                                   dramData: bytes(sizes[2]), symbols: symbols.sorted(by: Symbol.canonicalOrder),
                                   requirements: RequirementKey.allCases.filter { _ in rng.next() % 3 == 0 }
                                       .map { Requirement($0, Int64(rng.next() % UInt64(RequirementKey.maxValue)) + 1) })
        roundTrip(image, "random-\(seed)")
    }
}
