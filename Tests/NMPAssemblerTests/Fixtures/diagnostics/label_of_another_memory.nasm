; Each memory starts at address 0: a label of .adata is no address in weight SRAM.
    ldt  t0, [r0 + acts]
    ldv  v0, [r0 + weights + 13]
    lw   r1, [r0 + far]
    ldv  v1, [r0 + acts]
    ldt  t1, [r0 + weights]
    halt
.wdata
weights: .trits +-0+
.adata
acts:    .byte 1, 2, 3, 4
.ddata
far:     .word 7
; expect warning 2:20: 'acts' is a label in .adata, but 'ldt' addresses the weight SRAM (.wdata)
; expect warning 3:20: 'weights' is a label in .wdata, but 'ldv' addresses the activation SRAM (.adata)
; expect warning 4:20: 'far' is a label in .ddata, but 'lw' addresses the activation SRAM (.adata)
