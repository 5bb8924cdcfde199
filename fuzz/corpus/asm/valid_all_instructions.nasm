start:  nop
        setvl r1, r2
        add   r1, r2, r3
        sub   r1, r2, r3
        mul   r1, r2, r3
        div   r1, r2, r3
        divu  r1, r2, r3
        and   r1, r2, r3
        or    r1, r2, r3
        xor   r1, r2, r3
        sll   r1, r2, r3
        srl   r1, r2, r3
        sra   r1, r2, r3
        slt   r1, r2, r3
        sltu  r1, r2, r3
        min   r1, r2, r3
        max   r14, r15, r0
        addi  r1, r2, -32768
        andi  r1, r2, 0xFFFF
        ori   r1, r2, 0
        xori  r1, r2, 65535
        slli  r1, r2, 0
        srli  r1, r2, 31
        srai  r1, r2, 7
        slti  r1, r2, 32767
        lui   r1, 0x1234
        beq   r1, r2, start
        bne   r1, r2, . + 2
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
        lda   a7, [r4 + 16]
        sta   a0, [r4]
        ldt   t7, [r5 + 2]
        stt   t0, [r5]
        ldm   m3, [r6]
        dmaw  r1, r2, r3
        dmaa  r1, r2, r3
        dmas  r1, r2, r3
        dwait 0
        vmac  a1, t2, v3
        mmac  a1, m2, v3
        sgn   t1, a2, r3
        sgnb  t1, a2
        thr   t1, a2, a3, a4
        tcvt  v1, t2
        azero a5
        abcast a1, r2
        awiden a1, v2
        aadd  a1, a2, a3
        asub  a1, a2, a3
        amul  a1, a2, a3
        arelu a1, a2
        asq   a1, a2
        amax  r1, a2
        asum  r1, a2
        rq    v1, a2, r3, r4
        ldbf  a1, [r2 + 2]
        stbf  a1, [r2 - 2]
        ldhf  a1, [r2]
        sthf  a1, [r2 + 4]
        fcvt  a1, a2
        fmuls a1, a2, r3
        fdivs a1, a2, r3
        famax r1, a2
        fq    v1, a2, r3
        fdiv  r1, r2, r3
        fmax  r1, r2, r3
        fmul  r1, r2, r3
        fvadd a1, a2, a3
        fvsub a1, a2, a3
        fvmul a1, a2, a3
        fvdiv a1, a2, a3
        fvmax a1, a2, a3
        fvmac a1, a2, a3
        fadds a1, a2, r3
        fsubs a1, a2, r3
        fmaxs a1, a2, r3
        fmacs a1, a2, r3
        fexp  a1, a2
        fsum  r1, a2
        frmax r1, a2
        fadd  r1, r2, r3
        fsub  r1, r2, r3
        fsqrt r1, r2
fin:    halt
