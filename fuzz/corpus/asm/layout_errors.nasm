    halt
.wdata
    .space SIZE
    .org 4
    .org 2
    .align 0
    .trits +0-
.packing 2bit
.equ SIZE, 8
r3: .byte 0
; expect error 3:12: 'SIZE' is not defined before this point
; expect error 5:10: '.org 2' would move backwards from 4
; expect error 6:12: alignment 0 is outside 1...1048576
; expect error 8:1: '.packing' must come before the first '.trits'
; expect error 10:1: 'r3' is a register name and cannot name a symbol
