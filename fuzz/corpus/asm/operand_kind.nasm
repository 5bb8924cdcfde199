    add  r1, v2, r3
    vmac a0, v1, t2
    ldv  v1, r2
    addi r1, r2, r3
    beq  r1, r2, [r3]
; expect error 1:14: operand 2 of 'add' must be a scalar register, not int8 vector register v2
; expect error 2:14: operand 2 of 'vmac' must be a trit vector register, not int8 vector register v1
; expect error 2:18: operand 3 of 'vmac' must be an int8 vector register, not trit vector register t2
; expect error 3:14: operand 2 of 'ldv' must be a memory operand
; expect error 4:18: operand 3 of 'addi' must be an immediate
; expect error 5:18: operand 3 of 'beq' must be a code label, not a memory operand
