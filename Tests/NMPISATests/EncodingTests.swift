import NMPTestSupport
import Testing
@testable import NMPISA

struct EncodingTests {
    /// Encodings worked out by hand from ISA.md's field layout (opcode bits 0-7,
    /// A 8-11, B 12-15, C 16-19, D 20-23, IMM16 16-31, IMM20 12-31).
    @Test(arguments: [
        (Instruction(.add, a: 1, b: 2, c: 3), UInt32(0x0003_2110)),
        (Instruction(.halt), UInt32(0x0000_0001)),
        (Instruction(.addi, a: 5, b: 0, imm: -1), UInt32(0xFFFF_0520)),
        (Instruction(.lui, a: 3, imm: 0x1234), UInt32(0x1234_0328)),
        (Instruction(.beq, a: 1, b: 2, imm: -2), UInt32(0xFFFE_2130)),
        (Instruction(.jal, a: 0, imm: -1), UInt32(0xFFFF_F036)),
        (Instruction(.jal, a: 15, imm: 0x7FFFF), UInt32(0x7FFF_FF36)),
        (Instruction(.ldm, a: 3, b: 9, imm: 416), UInt32(0x01A0_934A)),
        (Instruction(.thr, a: 7, b: 6, c: 5, d: 4), UInt32(0x0045_6764)),
        (Instruction(.rq, a: 1, b: 2, c: 14, d: 15), UInt32(0x00FE_217A)),
        (Instruction(.dwait, imm: 65535), UInt32(0xFFFF_0053)),
        // mgemm a2, a5, r9, r10: A = 2, B = 9, C = 10, D = 5.
        (Instruction(.mgemm, a: 2, b: 9, c: 10, d: 5), UInt32(0x005A_9266)),
        // hgemz a0, a7, r1, r2: opcode 0x69, A = 0, B = 1, C = 2, D = 7 (ISA.md 5.4).
        (Instruction(.hgemz, a: 0, b: 1, c: 2, d: 7), UInt32(0x0072_1069)),
    ])
    func knownEncodings(_ instruction: Instruction, _ word: UInt32) throws {
        #expect(instruction.word == word)
        #expect(try Instruction(decoding: word) == instruction)
    }

    @Test func tenThousandRandomInstructionsRoundTrip() throws {
        var rng = SplitMix64(seed: 0x5EED_0001)
        for _ in 0..<10_000 {
            let instruction = Instruction.random(using: &rng)
            let decoded = try Instruction(decoding: instruction.word)
            #expect(decoded == instruction)
        }
    }

    /// Every 32-bit word either decodes to an instruction that re-encodes to the same
    /// word, or is rejected: sampled over a million random words plus every opcode byte.
    @Test func decodeIsInjectiveOnValidWords() {
        var rng = SplitMix64(seed: 0x5EED_0002)
        var valid = 0
        for n in 0..<1_000_000 {
            // Half the samples keep a known opcode byte so that valid words are common.
            var word = UInt32(truncatingIfNeeded: rng.next())
            if n % 2 == 0 {
                let op = Opcode.allCases[Int(rng.next() % UInt64(Opcode.allCases.count))]
                word = (word & ~0xFF & (rng.next() % 4 == 0 ? ~0 : op.usedBits)) | UInt32(op.rawValue)
            }
            if let instruction = try? Instruction(decoding: word) {
                valid += 1
                #expect(instruction.word == word)
            }
        }
        #expect(valid > 100_000)
    }

    /// ISA.md 5.2 rule 6 and 7.8: a matrix product's accumulators aD ... aE need E >= D
    /// (`mgemm` and the FP16 array's `hgemm` alike); N = 1 (E = D) is legal.
    @Test(arguments: [Opcode.mgemm, .mgemz, .hgemm, .hgemz])
    func rejectsAnEmptyAccumulatorRange(_ op: Opcode) throws {
        let backwards = Instruction(op, a: 3, b: 1, c: 2, d: 2).word
        #expect(throws: DecodeError.emptyAccumulatorRange(op, first: 3, last: 2)) { try Instruction(decoding: backwards) }
        let single = Instruction(op, a: 7, b: 1, c: 2, d: 7)
        #expect(try Instruction(decoding: single.word) == single)
    }

    @Test func rejectsUnknownOpcodes() {
        let known = Set(Opcode.allCases.map(\.rawValue))
        for byte in 0...255 where !known.contains(UInt8(byte)) {
            #expect(throws: DecodeError.unknownOpcode(UInt8(byte))) { try Instruction(decoding: UInt32(byte)) }
        }
    }

    @Test(arguments: Opcode.allCases)
    func rejectsEveryReservedBit(_ op: Opcode) {
        for bit in 8..<32 where op.usedBits & (1 << bit) == 0 {
            let word = UInt32(op.rawValue) | (1 << bit)
            #expect(throws: DecodeError.reservedBitsSet(op, mask: 1 << bit)) { try Instruction(decoding: word) }
        }
    }

    @Test(arguments: Opcode.allCases)
    func rejectsRegistersBeyondTheFile(_ op: Opcode) {
        for case .register(let cls, let field) in op.spec.operands where cls.count < 16 {
            for index in cls.count..<16 {
                let word = UInt32(op.rawValue) | UInt32(index) << field.shift
                #expect(throws: DecodeError.registerOutOfRange(op, cls, index)) { try Instruction(decoding: word) }
            }
        }
    }

    @Test func rejectsLoopsWithEmptyBodies() {
        for offset: Int32 in [-5, 0, 1] {
            let word = Instruction(.loop, a: 1, imm: offset).word
            #expect(throws: DecodeError.emptyLoopBody(offset: offset)) { try Instruction(decoding: word) }
        }
        #expect(throws: Never.self) { try Instruction(decoding: Instruction(.loop, a: 1, imm: 2).word) }
    }

    @Test func rejectsShiftAmountsAbove31() {
        for amount: UInt32 in [32, 33, 0x8000, 0xFFFF] {
            let word = UInt32(Opcode.slli.rawValue) | amount << 16
            #expect(throws: DecodeError.immediateOutOfRange(.slli, Int64(amount))) { try Instruction(decoding: word) }
        }
    }
}
