halt ; € euro in comment
 nop
  ​ halt
		bad		@
