    halt
.adata
    .byte
    .ascii 5
    .ascii "a", "b"
      .spac
    .space 0x7FFFFFFFFFFFFFFF
.wdata
    .s?ace *1 << 28
    .trits +0-é
    .trits 0t+-
    .by2, 0
        srli byte