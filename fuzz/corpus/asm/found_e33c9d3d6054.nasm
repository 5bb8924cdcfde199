    halt
.w  .space SIZE
    .org 4
    .org 2
    .align 0
 i   .trdata
    .space SIZE
    .org 4
    .org 2
    .align 0
 i   .tri.s +0-
.packing 2befor+0-
.packing 2before this point
; expect error 5:10z '.org 2' 
