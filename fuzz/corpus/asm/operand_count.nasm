    add r1, r2
    vmac a0, t1, v2, v3
    halt r1
; expect error 1:5: 'add' takes 3 operands, but 2 were given
; expect error 2:22: 'vmac' takes 3 operands, but 4 were given
; expect error 3:10: 'halt' takes 0 operands, but 1 was given
