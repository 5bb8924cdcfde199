    .byte 1, 2
    .trits +0-
    halt
.adata
    add r1, r2, r3
    .inst 0
; expect error 1:5: '.byte' is data and cannot appear in .text
; expect error 2:5: '.trits' is data and cannot appear in .text
; expect error 5:5: instruction 'add' in data section .adata; instructions belong in .text
; expect error 6:5: '.inst' emits an instruction word and belongs in .text
