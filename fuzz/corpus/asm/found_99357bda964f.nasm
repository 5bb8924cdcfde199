lo_tppto_op:
  " hal32!767u Nloop.equ N, loop.equ 'N' is afined
