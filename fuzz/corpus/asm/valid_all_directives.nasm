.packing 2bit
.equ N, 0t+0-            ; balanced ternary = 8
.equ MASK, (1 << 4) - 1 | 0x30 & ~0b11 ^ 0o7
.equ NEG, -N * 3 / 2 % 5
.entry main
.text
pre:    nop
main:   addi  r1, r0, N
        ori   r2, r0, MASK
        lui   r3, 0xFFFF
        slli  r4, r1, 31
        jal   r15, sub
        .inst 0x00000001
sub:    jalr  r0, r15, 0
        halt
.wdata
w0:     .trits +0-+- 0+-0+
        .trits ---,+++
        .align 4
w1:     .space 3, 0x55
.adata
a0_:    .byte 'A', '\n', '\x7f', '\\', -1
        .half 0x1234, -2
        .word 0xDEADBEEF, . + 4
        .ascii "hi\t\"there\"\0"
        .align 8
        .org 64
end_a:
.ddata
d:      .space N
        .word end_a - a0_, NEG
