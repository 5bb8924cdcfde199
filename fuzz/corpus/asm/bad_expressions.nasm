.equ A, B + 1
.equ B, A * 2
    addi r1, r0, 1 / 0
    addi r1, r0, 0x7FFFFFFFFFFFFFFF + 1
    addi r1, r0, (3 + 4
    addi r1, r0, 1 << 64
    addi r1, r0, r2 + 1
    addi r1, r0, 99999999999999999999
    halt
; expect error 2:9: 'A' is defined in terms of itself
; expect error 3:22: division by zero
; expect error 4:18: '+' overflows 64-bit arithmetic
; expect error 5:24: expected ')'
; expect error 6:23: shift amount 64 is outside 0...63
; expect error 7:18: register r2 cannot be used in an expression
; expect error 8:18: integer literal '99999999999999999999' does not fit in 64 bits
