start:  nop
        setvl r1, r2
        add   r1, r2, r3
  