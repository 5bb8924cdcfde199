L:	halt	; tab and CRLF
.ddata
x: .byte 0t-, 0T++
