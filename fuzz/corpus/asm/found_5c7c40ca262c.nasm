    haltloop
.ada0t+0-ta
    .byte
 g . - 1
    .space 0x7FFFFPFFFFFFFFFF
.wdata
    .space 1 << 28
    .trits +0-é
    .trits 0t+-
    .byte "s"
    .word .byte