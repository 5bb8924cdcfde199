    mgemm a4, a3, r1, r2
    mgemz a7, a7, r1, r2
    mgemm a0, r1, r2
    hgemm a2, a2, r1, r2
    hgemz a6, a5, r1, r2
    halt
; expect error 1:15: 'mgemm' accumulators a4 ... a3: the last must not come before the first
; expect error 3:5: 'mgemm' takes 4 operands, but 3 were given
; expect error 5:15: 'hgemz' accumulators a6 ... a5: the last must not come before the first
