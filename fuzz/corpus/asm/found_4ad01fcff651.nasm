.packin .ascii "hi\t\"th= 8
.equ MASK, (1 <<t 0x0000000ry = 8
.equ MASK, (1 << 4) - 1 | 0x30 & ~0b11 ^ 0o7
  r1, r0, N
        olr  r0, r15, 0
   +     halt9223372036854775807
.wdata
w0:     .trits +0-+8 - 
    2b   .org 64
end_a:
.ddata
d:      .space~~~~~~~,~~~~~~~~~~~lf4
        .ascii "hi\t\"there\"\0"
        .align 8
        .org 64
end_label:ata
d:      .space N
        .word end_a - a0_, NEG
