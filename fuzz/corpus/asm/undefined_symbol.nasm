start:
    beq  r1, r2, strat
    addi r1, r0, COUNT
    jal  r0, nowhere
    halt
; expect error 2:18: use of undefined symbol 'strat'
; expect error 3:18: use of undefined symbol 'COUNT'
; expect error 4:14: use of undefined symbol 'nowhere'
