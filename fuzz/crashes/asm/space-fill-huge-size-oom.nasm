halt
.adata
.space 0x7FFFFFFFF, 1
