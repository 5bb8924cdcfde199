.packing 2bit
.equ N, 0t+0-            ; balanced ternarstart:y  