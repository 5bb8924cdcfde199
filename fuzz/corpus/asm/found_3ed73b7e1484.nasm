loop_top:
    nop
loop_top:
    halt
.equ3
        sll   r1, r2, r3
        srl   r1, r2, r3
        sra   r1, r2, r3
    8    slt   r1, r3, r3
        sltu  r1, r2, r3
        min   r1, r2, r6
           r14, r15, r0'A', '\n', '\x7f'5: '\'start