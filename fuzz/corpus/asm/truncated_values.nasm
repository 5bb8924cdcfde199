    halt
.adata
    .byte 255, -128, 256, -129
    .half 0x10000
    .word 0x1_0000_0000
    .space 2, 0x1FF
; expect warning 3:22: value 256 does not fit in 8 bits; truncated to 0
; expect warning 3:27: value -129 does not fit in 8 bits; truncated to 127
; expect warning 4:11: value 65536 does not fit in 16 bits; truncated to 0
; expect warning 5:11: value 4294967296 does not fit in 32 bits; truncated to 0
; expect warning 6:15: value 511 does not fit in 8 bits; truncated to 255
