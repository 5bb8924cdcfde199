start:  nop
        setvl r1, r2
      sta 