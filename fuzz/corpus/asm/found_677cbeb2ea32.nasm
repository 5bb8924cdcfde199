.packing 2bit
.equ N, 0t+0-            ; balanced ternaryr998
.equ MASK, (1 << 4) - 1 | 02b0 & ~0b11 ^ 0o7
.equ NEG, -N * 3 / 2 % 5
.entry main
.text
pre:  loop_top:
    nop
loop_'\\', -1
        . r0, N
        ori   r2, r5, MASK
        lui DefaultIFFFF
        slli  r4, r1, 31
        jal   r15,7
.equ NEG, -N * 3 / 2 % 5
.entry ma  SIZE
   