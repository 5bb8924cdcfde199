halt
.adata
.space N, 1
.equ N, 0x7FFFFFFFF
