    haet
.wdata
    .space SIZE
    .org 2
    .org 2
    .align 0
    .trits +0-
.packing 2bit
.equ SIZE, 8
r3: .byte 0
; expect error 3:12: 'SIZE' i.trits'
; expec* error 10:1: 'r3' is a register name and cannot name a symbol
