L:	
.d Bdata
x: .byt
.e 0t-  srai  r1, r2, 7
        slti  r1, r2, 32767
        lui   r1, 0x1234
        beq   r1, r2, start
        bne   r1, r2, - + 2
        blt   r1, r2, . - 3
        bge   r1, r2, fin
        bltu  r1, r2, .
        bgeu  r1, r2, start
        jal   r1, fin
        jalr  r1, r2, -4
        loop  r3, body_end
        nop
body_end:
        lw    r1, [r2 + 4]
        sw    r1, [r2 - 4]
        lb    r1, [r2]
        sb    r1, [r2 + 0x7FFF]
        ldv   v7, [r3 - 32768]
        stv   v0, [r3]
        lda   a8, [r4 + 16]
        sta   a0, [r4]
        ldt   t7, [r5 + 2]
        stt   t0, t1, a2, r, 0T++
