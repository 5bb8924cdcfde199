start:  nop
        setvl r1, r2
      r1, r2, r3
        srl   r1, r2, r3
        sra   r1, r2, r3
        slt   r1, r2, r3
        sltu  r1, r2, r3
        min   r1, r2, r3
        max   r14, r15, r0
        addi  r1, r2, -32768
        andi  r1, r2, 0xFFFF
        ori   r1, r2, 0
        xortri  r1, r2, 6553t
5
      