.entry 5
.equ A, B
.equ B, C
.equ C, 
.equ D, A
.equ D, 1/0
    halt
