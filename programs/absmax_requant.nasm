; absmax_requant.nasm - BitNet-style absmax requantization of int32 accumulators to int8,
; in fixed point.
;
; BitNet b1.58 quantizes activations per token with absmax: q = round(x * 127 / max|x|),
; so the largest value maps to +-127. This program stays in integers (absmax_quantize_float
; shows the float32 scale unit doing it bit-exactly), so we write
; the scale 127 / absmax as a 16.16 fixed-point multiplier
;
;     M = floor((127 << 16) / absmax)         (divu: unsigned divide)
;
; and let rq compute, per lane, q = sat8(round_half_even(a * M / 2^16)).
;
; Part 1, vl = 8:
;   a      = [ 1000, -2540, 635, 0, 127, -1270, 2540, 5 ]
;   absmax = 2540                                   (amax)
;   M      = 8323072 / 2540 = 3276.8 -> 3276        (divu truncates)
;   a*M/2^16 = [ 49.99, -126.97, 31.74, 0, 6.35, -63.48, 126.97, 0.25 ]
;   q      = [ 50, -127, 32, 0, 6, -63, 127, 0 ]    (round to nearest)
;   (The fixed-point M is a little below 127/2540, so 2540 gives 126.97, which still
;   rounds to 127.) If absmax were 0, divu would give 0xFFFFFFFF; the program guards
;   against that by using 1 instead.
;
; Part 2 shows rq's rounding and saturation with M = 1 and shift 1 (divide by 2):
;   a   = [ 1,   3,   5,   -1,   -3,   7,   600,  -600 ]
;   a/2 = [ 0.5, 1.5, 2.5, -0.5, -1.5, 3.5, 300,  -300 ]
;   q   = [ 0,   2,   2,   0,    -2,   4,   127,  -128 ]
;   Exact halves round to the even neighbour ("banker's rounding"), so there is no bias
;   up or down on average; results outside -128...127 saturate.
;
; Part 3 uses the byte loads and stores: lb sign-extends a byte into a register, sb
; stores only the low 8 bits of one.
;   lb q[1] = -127, lb q[6] = 127; 127 - (-127) = 254 = 0xFE; sb stores 0xFE, which
;   read back as int8 is -2.
;
; Data layout (activation SRAM; byte addresses)
;     0..31   acc    part 1 accumulators (8 x int32)
;    32..63   halves part 2 accumulators (8 x int32)
;    64..71   q      part 1 result (8 x int8)
;    72..79   qh     part 2 result (8 x int8)
;    80..83   scale  M (int32)
;    84       diff   the byte stored by sb
;
; Cycle count (default machine, ISA.md chapter 6):
;    0  addi r1; 1 setvl        vl ready at 2
;    2  lda a0                  4 * vl = 32 bytes at 0 = words 0..3: 1 cycle;
;                               a0 ready at 2 + loadLatency 2 = 4
;    4  amax r2, a0             could issue at 3: data 1;
;                              r2 ready at 4 + reduceLatency 2 = 6
;    6  bne r2, r0, have_max    could issue at 5: data 1. Taken (2540 != 0), so the next
;                               instruction issues at 6 + 1 + branchPenalty 2 = 9
;                               (branch 2); the guard addi is skipped
;    9  lui r4                  r4 ready at 10
;   10  divu r3, r4, r2         r3 ready at 10 + divLatency 16 = 26
;   26  sw r3                   could issue at 11: data 15 (the divide)
;   27  addi r5                 r5 ready at 28
;   28  rq v0, a0, r3, r5       all ready; v0 ready at 28 + requantLatency 2 = 30
;   30  stv v0                  could issue at 29: data 1
;   31  lda a1 (32 bytes at 32 = words 4..7: 1 cycle; ready at 33); 32 addi r3; 33 addi r5
;   34  rq v1, a1, r3, r5       a1 ready 33, r5 ready 34: no stall; v1 ready at 36
;   36  stv v1                  could issue at 35: data 1
;   37  addi r3
;   38  lb r7; 39 lb r8         1 byte each: 1 cycle; r7 ready at 40, r8 at 41
;   41  sub r9, r8, r7          could issue at 40; r8 ready at 41: data 1
;   42  sb r9
;   43  halt                    nothing pending: no drain
; Total = 43 + 1 = 44 cycles = 22 instructions (the skipped addi does not count)
; + 22 stall cycles: data 20 (1 + 1 + 15 + 1 + 1 + 1) and branch 2.
;
; Expected final state:
; expect r2 = 2540
; expect r3 = 3276
; expect r7 = -127
; expect r8 = 127
; expect r9 = 254
; expect asram.i8[64] = 50
; expect asram.i8[65] = -127
; expect asram.i8[66] = 32
; expect asram.i8[67] = 0
; expect asram.i8[68] = 6
; expect asram.i8[69] = -63
; expect asram.i8[70] = 127
; expect asram.i8[71] = 0
; expect asram.i8[72] = 0
; expect asram.i8[73] = 2
; expect asram.i8[74] = 2
; expect asram.i8[75] = 0
; expect asram.i8[76] = -2
; expect asram.i8[77] = 4
; expect asram.i8[78] = 127
; expect asram.i8[79] = -128
; expect asram.i32[80] = 3276
; expect asram.u8[84] = 0xFE
; expect asram.i8[84] = -2
; Cycles, stall cycles by cause and trit-MAC events (default machine, derived above):
; expect cycles = 44
; expect retired = 22
; expect stall.data = 20
; expect stall.sramPort = 0
; expect stall.bankConflict = 0
; expect stall.branch = 2
; expect stall.dmaQueue = 0
; expect stall.dmaWait = 0
; expect stall.drain = 0
; expect stall.array = 0
; expect trit.add = 0
; expect trit.sub = 0
; expect trit.skip = 0

.equ N, 8
.equ FRAC, 16                   ; fraction bits of the fixed-point multiplier

        addi  r1, r0, N
        setvl r0, r1            ; vl = 8

; ---- Part 1: absmax quantization
        lda   a0, [r0 + acc]    ; a0 = 8 int32 accumulators (as a GEMV would leave them)
        amax  r2, a0            ; r2 = max |a0[l]| = 2540
        bne   r2, r0, have_max  ; all zero? then use 1 so that the divide is defined
        addi  r2, r0, 1
have_max:
        lui   r4, 127           ; r4 = 127 << 16 = 8323072 (lui shifts its immediate by
                                ; 16, exactly the FRAC we want)
        divu  r3, r4, r2        ; r3 = M = 8323072 / 2540 = 3276
        sw    r3, [r0 + scale]  ; keep M (a dequantizer needs absmax / 127 ~ 2^16 / M)
        addi  r5, r0, FRAC      ; r5 = shift = 16
        rq    v0, a0, r3, r5    ; v0[l] = sat8(rne(a0[l] * 3276 / 65536))
        stv   v0, [r0 + q]      ; 8 int8 results

; ---- Part 2: rounding and saturation
        lda   a1, [r0 + halves]
        addi  r3, r0, 1         ; M = 1 ...
        addi  r5, r0, 1         ; ... and shift 1: q = a / 2, rounded half to even
        rq    v1, a1, r3, r5
        stv   v1, [r0 + qh]
        addi  r3, r0, 3276      ; restore r3 = M for the expected final state

; ---- Part 3: bytes
        lb    r7, [r0 + q + 1]  ; r7 = sext(0x81) = -127
        lb    r8, [r0 + q + 6]  ; r8 = 127
        sub   r9, r8, r7        ; r9 = 254: too big for an int8 ...
        sb    r9, [r0 + diff]   ; ... so sb keeps the low byte, 0xFE
        halt

.adata
acc:    .word 1000, -2540, 635, 0, 127, -1270, 2540, 5
halves: .word 1, 3, 5, -1, -3, 7, 600, -600
q:      .space N
qh:     .space N
scale:  .word 0
diff:   .byte 0
