    halt
.adata
    .byte 25
;* exr.byte0...r15)
; expec v8 does not exis: (v0...v7)
; expect error 3:14: trit matrix register m4 does not2 exist (m0...m4:15: scalar regisated to 255
