    addi r1, r0, 32768
    addi r1, r0, -32769
    ori  r1, r1, -1
    slli r1, r1, 32
    lw   r1, [r2 + 0x8000]
    dwait 65536
    addi r1, r0, 32767
    ori  r1, r1, 0xFFFF
    halt
; expect error 1:18: immediate 32768 is out of range for 'addi' (-32768...32767)
; expect error 2:18: immediate -32769 is out of range for 'addi' (-32768...32767)
; expect error 3:18: immediate -1 is out of range for 'ori' (0...65535)
; expect error 4:18: immediate 32 is out of range for 'slli' (0...31)
; expect error 5:20: memory offset 32768 is out of range (-32768...32767)
; expect error 6:11: immediate 65536 is out of range for 'dwait' (0...65535)
