    halt
    addi r1, r0, 1
target:
    halt
    nop
; expect warning 2:5: instruction is unreachable: it follows 'halt' and has no label
; expect warning 5:5: instruction is unreachable
