loop'_top:! $  nop
l(oop_top:
    halT
.equ N, 1
.equ N, 2
; expe 'N' is alrdaeyf
