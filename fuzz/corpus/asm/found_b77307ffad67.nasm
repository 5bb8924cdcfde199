L:	
.d Bdata
x: .byt
.e 0t-, 0T++
