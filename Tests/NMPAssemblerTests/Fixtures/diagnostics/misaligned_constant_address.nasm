; lw, sw, lda and sta move 4-byte words: a constant address must be a multiple of 4.
        lw    r1, [r0 + 6]
        sw    r1, [r0 + word]
        lda   a0, [r0 + word + 4]
        lb    r2, [r0 + 3]
        ldv   v0, [r0 + 1]
        lw    r3, [r1 + 2]
        beq   r0, r0, done
done:   halt
.adata
        .byte 1
word:   .word 7
; expect warning 2:25: address 6 is not a multiple of 4; 'lw' traps with a misaligned access when it runs
; expect warning 3:25: address 1 is not a multiple of 4; 'sw' traps with a misaligned access when it runs
; expect warning 4:25: address 5 is not a multiple of 4; 'lda' traps with a misaligned access when it runs
