    mgemm a4, a3, r1, r2
    mgemz a7, a7, r1, r2
    mgemm a0, r1, r2
    halt
; expect error 1:15: 'mgemm' accumulators a4 ... a3: the last must not come before the first
; expect error 3:5: 'mgemm' takes 4 operands, but 3 were given
