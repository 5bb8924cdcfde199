import NMPTestSupport
import Testing
import NMPISA
import NMPTrits
@testable import NMPAssembler

/// Bytes the assembler emits, checked against values worked out by hand from ISA.md.
struct AssemblerOutputTests {
    func assemble(_ source: String) throws -> MicrocodeImage {
        let result = Assembler.assemble(source: source, fileName: "test.nasm")
        let clean = result.diagnostics.isEmpty
        #expect(clean, "\(result.renderedDiagnostics)")
        return try #require(result.image)
    }

    @Test func instructionWords() throws {
        let image = try assemble("""
            start: add r1, r2, r3      ; 0x00032110
                   addi r5, r0, -1     ; 0xFFFF0520
                   beq r1, r2, start   ; offset -2: 0xFFFE2130
                   ldm m3, [r9 + 416]  ; 0x01A0934A
                   ldv v1, [r2 - 4]    ; 0xFFFC2144
                   jal r0, .           ; offset 0: 0x00000036
                   halt
            """)
        #expect(image.code == [0x0003_2110, 0xFFFF_0520, 0xFFFE_2130, 0x01A0_934A, 0xFFFC_2144, 0x0000_0036, 0x0000_0001])
    }

    @Test func dataDirectives() throws {
        let image = try assemble("""
                halt
            .adata
                .byte 1, -1, 'A', '\\n'
                .half 0x1234
                .word -2
                .align 8
            s:  .ascii "hi\\x21"
                .space 3, 7
                .org 24
            end:
            .ddata
                .word 0t+0-         ; 9 - 1 = 8
            """)
        // 4 bytes, a half, a word = 10; .align 8 pads to 16; 3 string bytes, 3 fill bytes,
        // then .org pads to 24.
        #expect(image.activationData == [1, 0xFF, 0x41, 0x0A, 0x34, 0x12, 0xFE, 0xFF, 0xFF, 0xFF, 0, 0, 0, 0, 0, 0,
                                         0x68, 0x69, 0x21, 7, 7, 7, 0, 0])
        #expect(image.dramData == [8, 0, 0, 0])
        #expect(image.symbols.contains(Symbol(name: "s", space: .activationSRAM, value: 16)))
        #expect(image.symbols.contains(Symbol(name: "end", space: .activationSRAM, value: 24)))
    }

    /// `.trits` packs each row in the chosen layout. Digits are t mod 3 (0, +1, -1 -> 0, 1, 2):
    /// +0-+- is 1 + 0*3 + 2*9 + 1*27 + 2*81 = 208; a lone + pads with zero trits: 1; - is 2.
    @Test func tritRows() throws {
        let base3 = try assemble("halt\n.wdata\n.trits +0-+- +\n.trits -")
        #expect(base3.weightData == [208, 1, 2])
        #expect(base3.packing == .base3)
        // 2-bit: fields from bit 0 up: +,0,-,+ -> 1,0,2,1 -> 0b01_10_00_01.
        let twoBit = try assemble(".packing 2bit\nhalt\n.wdata\n.trits +0-+")
        #expect(twoBit.weightData == [0b0110_0001])
        #expect(twoBit.packing == .twoBit)
    }

    @Test func equForwardReferencesAndLocationCounter() throws {
        let image = try assemble("""
            .equ TWICE, ONCE * 2
            .equ ONCE, end - start
            start: addi r1, r0, TWICE
                   nop
            end:   halt
            .entry end
            """)
        #expect(image.code[0] == Instruction(.addi, a: 1, imm: 4).word)
        #expect(image.entry == 2)
        #expect(image.symbols.contains(Symbol(name: "TWICE", space: .constant, value: 4)))
    }

    /// Source order of symbols does not matter: the image stores them canonically.
    @Test func symbolOrderIsCanonical() throws {
        let a = try assemble("b: nop\na: halt\n.equ Z, 1\n.equ Y, 2")
        let b = try assemble(".equ Y, 2\n.equ Z, 1\nb: nop\na: halt")
        #expect(a.encoded() == b.encoded())
    }

    /// Balanced-ternary literals agree with the NMPTrits reference for many values.
    @Test func balancedTernaryLiterals() throws {
        var rng = SplitMix64(seed: 0x5EED_0010)
        for _ in 0..<300 {
            let value = Int64(truncatingIfNeeded: rng.next()) >> Int64(rng.next() % 64)
            let text = BalancedTernary.string(of: value)
            let image = try assemble("halt\n.ddata\n.word (0t\(text)) & 0xFFFFFFFF, (0t\(text)) >> 32")
            let low = image.dramData[0..<4].reversed().reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
            let high = image.dramData[4..<8].reversed().reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
            #expect(Int64(bitPattern: high << 32 | low) == value, "0t\(text)")
        }
    }

    @Test func crlfLineEndingsAndTabs() throws {
        let image = try assemble("start:\taddi\tr1, r0, 3\r\n\thalt\r\n")
        #expect(image.code.count == 2)
    }
}

/// Corner cases of operands and literals found while writing ISA.md.
struct OperandCornerCaseTests {
    @Test func memoryOffsetSignBelongsToTheExpression() throws {
        let image = try #require(Assembler.assemble(source: "ldv v1, [r2 - 4 + 2]\nldv v1, [r2 - (4 + 2)]\nhalt", fileName: "m.nasm").image)
        #expect(image.code[0] == Instruction(.ldv, a: 1, b: 2, imm: -2).word)
        #expect(image.code[1] == Instruction(.ldv, a: 1, b: 2, imm: -6).word)
    }

    @Test func hexEscapeInAStringIsOneByte() throws {
        let image = try #require(Assembler.assemble(source: "halt\n.adata\n.ascii \"\\xFF\\x80a\"", fileName: "s.nasm").image)
        #expect(image.activationData == [0xFF, 0x80, 0x61])
    }

    /// Any register prefix followed by digits is register syntax, however long, so the
    /// assembler and the image reader agree on what can name a symbol.
    @Test func longRegisterLikeNamesAreRegisters() {
        let result = Assembler.assemble(source: "r1234567: halt", fileName: "r.nasm")
        #expect(result.renderedDiagnostics.contains("'r1234567' is a register name"))
        let huge = Assembler.assemble(source: "addi r99999999999999999999999, r0, 1\nhalt", fileName: "r.nasm")
        #expect(huge.renderedDiagnostics.contains("does not exist"))
    }
}
