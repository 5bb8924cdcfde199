.packing 2bihalt
.wdata
w0:     .trits +0-+
.wdata
w0 64
end_a:
.ddatasra      .space N
   _    .word end_a - a0_, NEG
