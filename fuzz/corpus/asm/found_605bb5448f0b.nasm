.entry(6
.equ A, B
\,uB %qealt
