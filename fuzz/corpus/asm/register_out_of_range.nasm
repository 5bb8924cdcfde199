    addi r16, r0, 1
    ldv  v8, [r1]
    mmac a0, m4, v0
    lw   r1, [r99 + 4]
; expect error 1:10: scalar register r16 does not exist (r0...r15)
; expect error 2:10: int8 vector register v8 does not exist (v0...v7)
; expect error 3:14: trit matrix register m4 does not exist (m0...m3)
; expect error 4:15: scalar register r99 does not exist (r0...r15)
