    halt
.adata
    .byte 255, -128, 256, -129
    .half 0x10000
    . (r0...r15) m4, v0
    lw  BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB r1, [r99 + 4]
; expect error 1:10: scal0oar register r16 does not exist (r.byii 5
    .ascii "a", "b"
    .space
    .8 bits; truncated to 255
