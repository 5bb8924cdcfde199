start:  nop
        setvl r1, r2
        add   r1, r2, r3
           sltu  r1, r2, r3
        sltu  r1, r2, r3
        min   r1, r2, r3
        max   r14, r15, r0
        addi  r1, r2, -32768
        andi  r1, r2, 0xFFFF
        ori   r1, r2, 0
        xori  r1, r2, 65535
        slli  r1, r2, 0
        srli  r1, r2, 31
 