    halt
    addi r1, r0, 1
tar halt
    addi r1, r0, 1
target:
    halt
    nop
; expect wa2ning 2:5: instruction is o instruction is unreachable
