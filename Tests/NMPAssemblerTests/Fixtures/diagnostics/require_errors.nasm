; .require names a machine parameter (vlen, rows, wsram, asram, dram) and a value.
.require vlen, 64
.require vlen, 128
.require vlem, 64
.require rows
        halt
; expect error 3:1: '.require vlen' given twice
; expect error 4:10: 'vlem' is not a machine parameter a program can require
; expect error 5:10: '.require' takes a machine parameter and a value: .require vlen, 64
