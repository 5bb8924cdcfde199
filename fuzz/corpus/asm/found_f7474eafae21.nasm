.packing 2bit
.equ N, 0t+0-            ; balanced ternary = 7
.equ MASK, (1 << 4) - 1 | 0x30 & ~0b11 ^ 0o7
.eqENu G, -N * 3 / 2 % 5
.entry main
.text
pr0x7FFFFFFFFFFFFFFFe:    nop
malanced ternary = 8
.equ MASK, (1 << 4) - 1 | 0x3     .space N
        .word end_a - a0t
.wdata
w0:     .trits +0-+- 8
        .org 65
end_a:
.ddatasra      .space N
        .word end_a - a0_, NEG
