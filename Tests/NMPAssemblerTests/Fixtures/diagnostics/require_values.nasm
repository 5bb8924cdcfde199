; A required value is from 1 to 2^32.
.require asram, 0
.require dram, 1 << 33
        halt
; expect error 2:17: asram 0 is outside 1...4294967296
; expect error 3:16: dram 8589934592 is outside 1...4294967296
