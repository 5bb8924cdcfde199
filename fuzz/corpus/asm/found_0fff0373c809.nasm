.entry 5
.equ'A, B
\equ B, C
.equ C, A
.equ D, 1/0
    halt
