; scalar_basics.nasm - the scalar core: arithmetic, logic, shifts, compares, branches,
; a subroutine call, and word loads/stores.
;
; The coprocessor's scalar unit is a small 32-bit RISC: 16 registers r0..r15 (r0 always
; reads 0), register-register ops (add ... max), register-immediate ops (addi ... lui),
; compare-and-branch, jal/jalr for calls, and the zero-overhead `loop` (see
; gemv_tiled.nasm). It computes addresses, loop counts and scale factors for the vector
; units. Each part below stores its answer into a named word of activation SRAM so that
; every result can be checked after the run.
;
; Code addresses count instructions (not bytes): jal stores pc + 1, the index of the
; instruction after the call, and branch offsets are in instructions.
;
; Cycle count (default machine, ISA.md chapter 6):
; (Only branches and the multiplier/divider cost extra: every ALU result is ready the
; cycle after it issues, and every lw/sw is an aligned word, 1 cycle.)
; Part 1, cycles 0..50: 2 setup instructions; the loop body add, addi, bne is 3 issue
;   + branch 2 when bne is taken (9 times) = 5 cycles x 9 + 3 (last pass, not taken);
;   then sw ........................................ 2 + 45 + 3 + 1 = 51 cycles
; Part 2, cycles 51..118: 3 setup; body add, add, add, blt = 4 issue, blt taken 10 of the
;   11 times: 6 x 10 + 4; then sw ........................ 3 + 60 + 4 + 1 = 68 cycles
; Part 3, cycles 119..144: 16 instructions; jal, jalr (always taken) and the bge of the
;   second call (25 >= 0) each add branch 2: 5 x 2 ................ 16 + 10 = 26 cycles
; Part 4, cycles 145..222: 16 instructions; each sw of a product or quotient waits for it:
;   mul (mulLatency 3): data 2; div, div, divu, div (divLatency 16): data 15 each
;   ........................................................ 16 + 2 + 4 x 15 = 78 cycles
; Part 5, cycles 223..237: 15 instructions, no stall ...................... 15 cycles
; Part 6, cycles 238..254: 17 instructions, no stall ...................... 17 cycles
; Part 7, cycles 255..268: 14 instructions, no stall ...................... 14 cycles
; Part 8, cycles 269..281: 11 instructions; bltu and bgeu fall through (free), beq is
;   taken (branch 2) ............................................. 11 + 2 = 13 cycles
; Part 9, cycles 282..292: 11 instructions including halt. The three lw issue at 283,
;   284, 285 (results at 285, 286, 287), so each add finds its operands ready; halt at
;   292 finds nothing pending (no drain) .................................. 11 cycles
; Total = 51 + 68 + 26 + 78 + 15 + 17 + 14 + 13 + 11 = 293 cycles = 181 instructions
; + 112 stall cycles: branch 50 (2 x (9 + 10 + 5 + 1)) and data 62 (2 + 4 x 15).
;
; Expected final state (addresses are byte addresses in activation SRAM; values are
; signed decimal, or 0x hex for the 32-bit pattern):
; expect asram.i32[0] = 55
; expect asram.i32[4] = 144
; expect asram.i32[8] = 12
; expect asram.i32[12] = 62
; expect asram.i32[16] = -42
; expect asram.i32[20] = -3
; expect asram.i32[24] = -1
; expect asram.u32[28] = 0x0FFFFFFF
; expect asram.i32[32] = -1
; expect asram.i32[36] = 1
; expect asram.i32[40] = 0
; expect asram.i32[44] = 1
; expect asram.i32[48] = -3
; expect asram.i32[52] = 2
; expect asram.u32[56] = 0xFFFFFF00
; expect asram.u32[60] = 0x0FFFFFFF
; expect asram.i32[64] = -1
; expect asram.i32[68] = 1024
; expect asram.u32[72] = 0x00001234
; expect asram.i32[76] = -16
; expect asram.u32[80] = 0x12345678
; expect asram.u32[84] = 0x12005600
; expect asram.u32[88] = 0xFF34FF78
; expect asram.u32[92] = 0xED34A978
; expect asram.u32[96] = 0x00000087
; expect asram.i32[100] = 5
; expect asram.i32[104] = 1000
; expect asram.i32[116] = 2000
; expect r1 = 0
; expect r2 = 55
; expect r4 = 144
; expect r10 = 2000
; expect r15 = 19
; Cycles, stall cycles by cause and trit-MAC events (default machine, derived above):
; expect cycles = 293
; expect retired = 181
; expect stall.data = 62
; expect stall.sramPort = 0
; expect stall.bankConflict = 0
; expect stall.branch = 50
; expect stall.dmaQueue = 0
; expect stall.dmaWait = 0
; expect stall.drain = 0
; expect stall.array = 0
; expect trit.add = 0
; expect trit.sub = 0
; expect trit.skip = 0

; ------------------------------------------------------------------------------------
; Part 1: sum of 1..10 with a counted loop (bne). sum10 = 10 + 9 + ... + 1 = 55
        addi  r1, r0, 10        ; r1 = n = 10 (counts down)
        add   r2, r0, r0        ; r2 = sum = 0 (add with r0 copies/clears)
sum_loop:
        add   r2, r2, r1        ; sum += n
        addi  r1, r1, -1        ; n -= 1 (addi takes a signed 16-bit immediate)
        bne   r1, r0, sum_loop  ; repeat while n != 0; falls through with r1 = 0
        sw    r2, [r0 + sum10]  ; sum10 = 55

; Part 2: the first Fibonacci number >= 100, with blt (signed less-than).
; (a, b) goes (0,1) (1,1) (1,2) (2,3) (3,5) (5,8) (8,13) (13,21) (21,34) (34,55)
; (55,89) (89,144): the loop stops when b = 144.
        add   r3, r0, r0        ; r3 = a = F(0) = 0
        addi  r4, r0, 1         ; r4 = b = F(1) = 1
        addi  r5, r0, 100       ; r5 = limit
fib_loop:
        add   r6, r3, r4        ; c = a + b
        add   r3, r4, r0        ; a = b
        add   r4, r6, r0        ; b = c
        blt   r4, r5, fib_loop  ; while b < 100
        sw    r4, [r0 + fib]    ; fib = 144

; Part 3: a subroutine. abs_value returns |r11| in r12; the caller passes the return
; address in r15 (jal writes pc + 1 there). Two calls give |-37| = 37 and |25| = 25;
; we store their difference (12) and their sum (62).
        addi  r11, r0, -37      ; argument
        jal   r15, abs_value    ; r15 = address of the next instruction; go
        add   r13, r12, r0      ; r13 = |-37| = 37
        addi  r11, r0, 25
        jal   r15, abs_value    ; r12 = 25; r15 = 19, this call's return address: the
                                ; jal is instruction 18 (counting from 0 at the top)
        sub   r14, r13, r12     ; 37 - 25 = 12
        sw    r14, [r0 + absdiff]   ; absdiff = 12
        add   r14, r13, r12     ; 37 + 25 = 62
        sw    r14, [r0 + abssum]    ; abssum = 62

; Part 4: multiply and divide. div rounds toward zero; division by zero does not trap
; but gives -1 (div) or 0xFFFFFFFF (divu).
        addi  r1, r0, -7
        addi  r2, r0, 6
        mul   r3, r1, r2        ; -7 * 6 = -42 (low 32 bits of the product)
        sw    r3, [r0 + product]
        addi  r1, r0, -17
        addi  r2, r0, 5
        div   r3, r1, r2        ; -17 / 5 = -3.4, toward zero: -3 (not -4)
        sw    r3, [r0 + quotient]
        div   r3, r2, r0        ; 5 / 0 = -1 by definition
        sw    r3, [r0 + divzero]
        addi  r1, r0, -16       ; 0xFFFFFFF0
        addi  r2, r0, 16
        divu  r3, r1, r2        ; unsigned: 4294967280 / 16 = 268435455 = 0x0FFFFFFF
        sw    r3, [r0 + udiv]
        div   r3, r1, r2        ; signed: -16 / 16 = -1
        sw    r3, [r0 + sdiv]

; Part 5: comparisons. The same bits compare differently signed and unsigned.
        addi  r1, r0, -1        ; 0xFFFFFFFF: -1 signed, 4294967295 unsigned
        addi  r2, r0, 1
        slt   r3, r1, r2        ; -1 < 1 signed: 1
        sw    r3, [r0 + lt_signed]
        sltu  r3, r1, r2        ; 4294967295 < 1 unsigned: 0
        sw    r3, [r0 + lt_unsigned]
        addi  r1, r0, -5
        slti  r3, r1, -4        ; -5 < -4: 1
        sw    r3, [r0 + lt_imm]
        addi  r1, r0, -3
        addi  r2, r0, 2
        min   r3, r1, r2        ; min(-3, 2) = -3 (signed)
        sw    r3, [r0 + minimum]
        max   r3, r1, r2        ; max(-3, 2) = 2
        sw    r3, [r0 + maximum]

; Part 6: shifts. Logical right shifts bring in zeros, arithmetic ones copy the sign.
; Register shift amounts use only their low 5 bits: shifting by 36 shifts by 4.
        addi  r1, r0, -16       ; 0xFFFFFFF0
        addi  r2, r0, 36        ; 36 & 31 = 4
        sll   r3, r1, r2        ; 0xFFFFFFF0 << 4 = 0xFFFFFF00
        sw    r3, [r0 + shl]
        srl   r3, r1, r2        ; 0xFFFFFFF0 >> 4 = 0x0FFFFFFF (zeros shifted in)
        sw    r3, [r0 + shr_logical]
        sra   r3, r1, r2        ; -16 >> 4 = -1 (sign bits shifted in)
        sw    r3, [r0 + shr_arith]
        addi  r1, r0, 1
        slli  r3, r1, 10        ; 1 << 10 = 1024
        sw    r3, [r0 + shl_imm]
        lui   r1, 0x1234        ; r1 = 0x1234 << 16 = 0x12340000
        srli  r3, r1, 16        ; 0x00001234
        sw    r3, [r0 + shr_imm]
        addi  r1, r0, -256
        srai  r3, r1, 4         ; -256 >> 4 = -16
        sw    r3, [r0 + sra_imm]

; Part 7: building a 32-bit constant and bitwise logic. addi sign-extends its 16-bit
; immediate, but andi/ori/xori zero-extend theirs, so lui + ori builds any constant.
        lui   r1, 0x1234
        ori   r1, r1, 0x5678    ; r1 = 0x12345678
        sw    r1, [r0 + const32]
        lui   r2, 0xFF00
        ori   r2, r2, 0xFF00    ; r2 = 0xFF00FF00
        and   r3, r1, r2        ; 0x12005600
        sw    r3, [r0 + bits_and]
        or    r3, r1, r2        ; 0xFF34FF78
        sw    r3, [r0 + bits_or]
        xor   r3, r1, r2        ; 0xED34A978
        sw    r3, [r0 + bits_xor]
        andi  r3, r1, 0xFF      ; 0x78 (keep the low byte)
        xori  r3, r3, 0xFF      ; 0x78 ^ 0xFF = 0x87 (flip the low 8 bits)
        sw    r3, [r0 + bits_imm]

; Part 8: unsigned bounds checks with bltu/bgeu, and beq. A negative index, seen as
; unsigned, is huge, so ONE unsigned compare checks both 0 <= i and i < len.
; flags gets bit 0 if i = -1 is rejected and bit 2 if i = 3 is accepted; beq then
; checks that flags == 5 (both right) and skips the line that would mark an error.
        addi  r8, r0, 8         ; len = 8
        add   r10, r0, r0       ; flags = 0
        addi  r9, r0, -1        ; i = -1
        bltu  r9, r8, neg_in_range  ; i < len unsigned? 0xFFFFFFFF < 8: no, not taken
        ori   r10, r10, 1       ; flags |= 1: -1 rejected, as it should be
neg_in_range:
        addi  r9, r0, 3         ; i = 3
        bgeu  r9, r8, three_out ; i >= len unsigned? 3 >= 8: no, not taken
        ori   r10, r10, 4       ; flags |= 4: 3 accepted
three_out:
        addi  r1, r0, 5
        beq   r10, r1, flags_ok ; flags == 5? yes: taken, skipping the next line
        ori   r10, r10, 0x100   ; (skipped: would mark an error)
flags_ok:
        sw    r10, [r0 + flags]     ; flags = 5

; Part 9: word loads. lw/sw move 32-bit words between a scalar register and activation
; SRAM; the address (base register + offset) must be a multiple of 4.
        addi  r7, r0, table     ; r7 = address of the table (a label is just a number)
        lw    r1, [r7]          ; 1000
        lw    r2, [r7 + 4]      ; -2000
        lw    r3, [r7 + 8]      ; 3000
        add   r10, r1, r2
        add   r10, r10, r3      ; 1000 - 2000 + 3000 = 2000
        sw    r10, [r7 + 12]    ; table[3] = total = 2000 (address 104 + 12 = 116)
        add   r1, r0, r0        ; r1 = 0 (just to show a final register state)
        add   r2, r0, r0
        addi  r2, r2, 55        ; r2 = 55 again
        halt

; ------------------------------------------------------------------------------------
; abs_value: r12 = |r11|. Uses bge to skip the negation for non-negative input.
; Returns with jalr r0, r15, 0: jump to r15 + 0 and throw away the link (rd = r0).
abs_value:
        add   r12, r11, r0      ; r12 = x
        bge   r12, r0, abs_done ; x >= 0: done
        sub   r12, r0, r12      ; x < 0: r12 = 0 - x
abs_done:
        jalr  r0, r15, 0        ; return

; ------------------------------------------------------------------------------------
.adata
sum10:        .word 0           ;   0
fib:          .word 0           ;   4
absdiff:      .word 0           ;   8
abssum:       .word 0           ;  12
product:      .word 0           ;  16
quotient:     .word 0           ;  20
divzero:      .word 0           ;  24
udiv:         .word 0           ;  28
sdiv:         .word 0           ;  32
lt_signed:    .word 0           ;  36
lt_unsigned:  .word 0           ;  40
lt_imm:       .word 0           ;  44
minimum:      .word 0           ;  48
maximum:      .word 0           ;  52
shl:          .word 0           ;  56
shr_logical:  .word 0           ;  60
shr_arith:    .word 0           ;  64
shl_imm:      .word 0           ;  68
shr_imm:      .word 0           ;  72
sra_imm:      .word 0           ;  76
const32:      .word 0           ;  80
bits_and:     .word 0           ;  84
bits_or:      .word 0           ;  88
bits_xor:     .word 0           ;  92
bits_imm:     .word 0           ;  96
flags:        .word 0           ; 100
table:        .word 1000, -2000, 3000, 0    ; 104 .. 119; the total lands at 116
