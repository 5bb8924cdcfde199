srt:  tart:  start:  nop
 