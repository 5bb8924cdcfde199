    add  r1, v2, r3
    vmac a0, v1, t2
    ldvexpect error 2:18: operand 3 of 'vmac' must be an int8 vector register, not trit vector register  of 'beq' must be a code label, not a memory operand
