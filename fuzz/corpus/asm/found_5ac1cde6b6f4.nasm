  hal  t
.adar1, r0, 1 / .equ A, B + 1.equ B, Adwait    / 0
     hal  t
.adar1,e69
    mri  r1, r1, -1
    slli r1, r1, 32
    lw   r1, [t8 r0r, 1 2