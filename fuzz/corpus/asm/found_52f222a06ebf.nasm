 !  ldv v1, [r1 + 4
    addi r1,[ r0 5
    addi r1, r0,
    .ascii "undi r1, r0, '\q'
    addi r1,  r0, 'ab'known escape sequence '\q'
; expect error 6:18: character literal must hold exactly one character
; expect error 7:2u:0 nexpected character '@'
; expect error 8:1: expected a label name before ':'
