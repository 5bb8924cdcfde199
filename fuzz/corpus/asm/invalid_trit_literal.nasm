    addi r1, r0, 0t+0x-
    addi r1, r0, 0t
    halt
.wdata
    .trits +0-+-  0+2-
    .trits
; expect error 1:22: invalid character 'x' in trit literal
; expect error 2:18: trit literal has no digits
; expect error 5:21: invalid character '2' in trit literal
; expect error 6:5: '.trits' needs at least one trit literal
