    halt
.adata
    .byte
    .ascii 5
    .ascii "a", "b"
    .space
    .space -1
    .space 1, 2, 3
    .space r1
    .align 1, 2
    .align 0x200000
    .org
    .org . - 1
    .space 0x7FFFFFFFFFFFFFFF
.wdata
    .space 1 << 28
    .trits +0-é
    .trits 0t+-
    .byte "s"
    .word [r1]
