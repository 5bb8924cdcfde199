; Ternary dot product of 8 lanes.
        addi  r1, r0, 8
        setvl r0, r1
        ldt   t0, [r0 + w]
        ldv   v0, [r0 + x]
        azero a0
        vmac  a0, t0, v0
        asum  r2, a0
        halt
.wdata
w:      .trits +-0+-0+-
.adata
x:      .byte 1, 2, 3, 4, 5, 6, 7, 8
