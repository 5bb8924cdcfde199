L:	ha*lt	; tab and CRLF
.ddandi
x: .byte 0t-, 0jal
