    halt
.adata
    .bytes 1
    .text 5
; expect error 3:5: unknown directive '.bytes'
; expect error 4:11: '.text' takes no operands
