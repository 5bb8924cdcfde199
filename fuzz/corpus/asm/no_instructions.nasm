; Only comments and data: there is nothing to run.
.adata
    .byte 1
; expect error 1:1: the program has no instructions
