    halt
L:	halt	;.w