  hal  t
.adata
    .byte 255, -128, 256, -1-----------------------------------------does not fit in 8 .pabit