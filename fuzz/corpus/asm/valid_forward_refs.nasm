.equ LAST, END - 1
.equ TWICE, LAST * 2
        addi r1, r0, TWICE
        beq  r0, r0, END
        .inst (0x10 | 1 << 8)
END:    halt
.wdata
.packing base3
        .trits 0
        .byte 242, 243
.adata
lbl.with.dots_1: .half 'z'
