    ldv v1, [r1 + 4
    addi r1, r0 5
    addi r1, r0,
    .ascii "unterminated
    addi r1, r0, '\q'
    addi r1, r0, 'ab'
    add r1, r2, r3 @
: halt
    halt
; expect error 1:20: expected ']' to close the memory operand
; expect error 2:17: expected ',' between operands
; expect error 3:17: expected an operand after ','
; expect error 4:12: unterminated string literal
; expect error 5:19: unknown escape sequence '\q'
; expect error 6:18: character literal must hold exactly one character
; expect error 7:20: unexpected character '@'
; expect error 8:1: expected a label name before ':'
