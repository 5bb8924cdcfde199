        setvl r0, r2
  setvl r1, r0
    ; sta       sta 