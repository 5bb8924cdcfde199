; neuron_layer.nasm - a layer of ternary neurons: z = W x, then a ternary activation.
;
; Ternary networks can use trits for activations as well as weights: a neuron fires +1,
; stays 0 or fires -1 depending on where its pre-activation z falls relative to two
; thresholds. This program computes 5 neurons over 5 inputs two ways:
;
;   thr t, z, hi, lo:  +1 if z > hi[l], -1 if z < lo[l], else 0    (per-lane thresholds)
;   sgn t, z, r:       +1 if z > x[r],  -1 if z < -x[r], else 0    (symmetric dead zone)
;
; and writes the resulting trits back into weight SRAM (stt), where a next ternary layer
; could load them like weights, and as int8 into activation SRAM (tcvt + stv).
;
; The numbers, with vl = 5:
;   x   = [ 4, -2, 7, 1, -3 ]
;   W row 0 = [ +1, +1,  0, -1,  0 ]   z0 =  4 - 2 - 1      =  1
;   W row 1 = [ -1,  0, +1, +1, -1 ]   z1 = -4 + 7 + 1 + 3  =  7
;   W row 2 = [  0, -1, -1,  0, +1 ]   z2 =  2 - 7 - 3      = -8
;   W row 3 = [ +1, -1, +1,  0,  0 ]   z3 =  4 + 2 + 7      = 13
;   W row 4 = [ -1, +1,  0,  0,  0 ]   z4 = -4 - 2          = -6
;   (rows 5..31 of the tile are all zero, so mmac leaves 0 in lanes 5..31)
;
;   thr with hi = 5 in every lane (abcast) and lo = [ -2, -4, -7, 0, -5 ] (lda):
;     z0 =  1: not > 5, not < -2  ->  0
;     z1 =  7: > 5                -> +1
;     z2 = -8: < -7               -> -1
;     z3 = 13: > 5                -> +1
;     z4 = -6: < -5               -> -1        thr result [ 0, +1, -1, +1, -1 ]
;   sgn with dead zone 6: +1 if z > 6, -1 if z < -6
;     -> [ 0, +1, -1, +1, 0 ]   (z4 = -6 is inside the dead zone)
;
; Packed (base 3, byte = sum d(t_i) * 3^i with the digit d(t) = t mod 3: 0 -> 0,
; +1 -> 1, -1 -> 2):
;   thr "0+-+-": digits 0,1,2,1,2 -> 0 + 3 + 18 + 27 + 162 = 210 = 0xD2
;   sgn "0+-+0": digits 0,1,2,1,0 -> 0 + 3 + 18 + 27 + 0   =  48 = 0x30
;   the remaining 59 trits of each row are 0: 0x00 bytes.
;
; Data layout
;   weight SRAM     0..415   W, one 32-row tile (ROWS x ROWBYTES = 32 x 13 bytes)
;                 416..428   zeros, a row of 0 trits (used to clear trit registers)
;                 429..441   out_thr, written by stt
;                 442..454   out_sgn, written by stt
;   (out_thr and out_sgn start out as 0xF2 bytes, five -1 trits each: 2 * (1 + 3 + 9
;   + 27 + 81) = 242, so the expectations below show that stt rewrote the whole row.)
;   activation SRAM  0..4    x
;                    8..27   lo, the per-lane lower thresholds (int32)
;                   28..47   z, the pre-activations (int32)
;                   48..52   thr result as int8
;                   56..60   sgn result as int8
;
; Cycle count (default machine, ISA.md chapter 6):
;    0  addi r1; 1 setvl        vl ready at 2
;    2  ldv v0                  vl = 5 bytes at 0: 1 cycle; v0 ready at 4
;    3  ldm m0, [W]             416 bytes at 0 = words 0..51 over 32 banks: banks 0..19
;                               hold 2 words each (0 and 32, 1 and 33, ...), so banks() =
;                               2 = ideal = ceil(416 / 256): it occupies cycles 3..4
;                               (sramPort 1); m0 ready at 4 + loadLatency 2 + unpack 1 = 7
;    5  azero a0                a0 ready at 6
;    7  mmac a0, m0, v0         could issue at 6; m0 ready at 7: data 1; a0 ready at 9
;    9  sta a0                  could issue at 8; a0 ready at 9: data 1
;                               (20 bytes at 28 = words 3..5: 1 cycle)
;   10  ldt t0 (ready 13); 11 ldt t1 (ready 14); 12 addi r2; 13 abcast a1 (ready 14)
;   14  lda a2                  20 bytes at 8 = words 1..3: 1 cycle; a2 ready at 16
;   16  thr t0, a0, a1, a2      could issue at 15; a2 ready at 16: data 1 (the pending
;                               write of t0 by the ldt was done at 13)
;   17  addi r3; 18 sgn t1 (t1 ready since 14); 19 stt t0; 20 stt t1 (13 bytes each,
;       1 cycle); 21 tcvt; 22 stv; 23 tcvt; 24 stv
;   25  halt                    nothing pending: no drain
; Total = 25 + 1 = 26 cycles = 22 instructions + 4 stall cycles: data 3 (1 + 1 + 1) and
; sramPort 1 (the ldm).
; Trit-MAC events: the mmac does ROWS * vl = 32 * 5 = 160. Rows 0..4 hold 8 +1 trits
; (2 + 2 + 1 + 2 + 1) and 7 -1 trits (1 + 2 + 2 + 1 + 1); the other 145 are 0 (skips).
;
; Expected final state (byte addresses; signed decimal or 0x hex):
; expect asram.i32[28] = 1
; expect asram.i32[32] = 7
; expect asram.i32[36] = -8
; expect asram.i32[40] = 13
; expect asram.i32[44] = -6
; expect wsram.u8[429] = 0xD2
; expect wsram.u8[430] = 0x00
; expect wsram.u8[441] = 0x00
; expect wsram.u8[442] = 0x30
; expect wsram.u8[443] = 0x00
; expect wsram.u8[454] = 0x00
; expect asram.i8[48] = 0
; expect asram.i8[49] = 1
; expect asram.i8[50] = -1
; expect asram.i8[51] = 1
; expect asram.i8[52] = -1
; expect asram.i8[56] = 0
; expect asram.i8[57] = 1
; expect asram.i8[58] = -1
; expect asram.i8[59] = 1
; expect asram.i8[60] = 0
; Cycles, stall cycles by cause and trit-MAC events (default machine, derived above):
; expect cycles = 26
; expect retired = 22
; expect stall.data = 3
; expect stall.sramPort = 1
; expect stall.bankConflict = 0
; expect stall.branch = 0
; expect stall.dmaQueue = 0
; expect stall.dmaWait = 0
; expect stall.drain = 0
; expect stall.array = 0
; expect trit.add = 8
; expect trit.sub = 7
; expect trit.skip = 145

; The data below is laid out for tiles of ROWS = 32 rows of VLEN = 64 trits (ROWBYTES = 13): the loader refuses a machine of another shape.
.require vlen, 64
.require rows, 32
.equ N, 5                       ; inputs = neurons = active lanes
.equ ROWS, 32
.equ ROWBYTES, 13
.equ MINUS5, 0xF2               ; five -1 trits in one base-3 byte

        addi  r1, r0, N
        setvl r0, r1            ; vl = 5

; z = W x
        ldv   v0, [r0 + x]      ; 5 int8 inputs
        ldm   m0, [r0 + W]      ; the whole 32-row tile
        azero a0
        mmac  a0, m0, v0        ; a0[r] = sum over l < 5 of W[r][l] * x[l], r = 0..31
        sta   a0, [r0 + z]      ; keep z (lanes 0..4) for inspection

; Clear the two output trit registers: thr and sgn write only the 5 active lanes, and
; stt stores all 64, so the other 59 lanes must hold a known value (0).
        ldt   t0, [r0 + zeros]
        ldt   t1, [r0 + zeros]

; Ternary activation with two thresholds per lane.
        addi  r2, r0, 5
        abcast a1, r2           ; a1[l] = 5: the same upper threshold for every neuron
        lda   a2, [r0 + lo]     ; a2[l] = lo[l]: a different lower threshold per neuron
        thr   t0, a0, a1, a2    ; t0 = [ 0, +1, -1, +1, -1 ]

; Ternary activation with a symmetric dead zone.
        addi  r3, r0, 6
        sgn   t1, a0, r3        ; t1 = [ 0, +1, -1, +1, 0 ]

; Write the trits out: packed into weight SRAM, and as int8 into activation SRAM.
        stt   t0, [r0 + out_thr]    ; 13 bytes: 0xD2 then twelve 0x00
        stt   t1, [r0 + out_sgn]    ; 13 bytes: 0x30 then twelve 0x00
        tcvt  v1, t0            ; trit -> int8 (+1, 0, -1)
        stv   v1, [r0 + thr_out]
        tcvt  v2, t1
        stv   v2, [r0 + sgn_out]
        halt

; ---------------------------------------------------------------- weight SRAM
.wdata
W:      .trits ++0-0                    ; row 0: one byte holds these 5 trits ...
        .org  W + 1 * ROWBYTES          ; ... and 0x00 bytes (zero trits) fill the row
        .trits -0++-                    ; row 1
        .org  W + 2 * ROWBYTES
        .trits 0--0+                    ; row 2
        .org  W + 3 * ROWBYTES
        .trits +-+00                    ; row 3
        .org  W + 4 * ROWBYTES
        .trits -+000                    ; row 4
        .org  W + ROWS * ROWBYTES       ; rest of row 4 and rows 5..31: zero trits
zeros:  .space ROWBYTES                 ; a row of 64 zero trits
out_thr: .space ROWBYTES, MINUS5        ; all -1 trits until stt overwrites them
out_sgn: .space ROWBYTES, MINUS5

; ------------------------------------------------------------ activation SRAM
.adata
x:      .byte 4, -2, 7, 1, -3
        .align 4
lo:     .word -2, -4, -7, 0, -5
z:      .space 4 * N
thr_out: .space N
        .align 4
sgn_out: .space N
