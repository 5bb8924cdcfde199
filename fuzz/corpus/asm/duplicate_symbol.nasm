loop_top:
    nop
loop_top:
    halt
.equ N, 1
.equ N, 2
; expect error 3:1: 'loop_top' is already defined
; expect error 6:6: 'N' is already defined
