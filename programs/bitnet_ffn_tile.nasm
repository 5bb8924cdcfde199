; bitnet_ffn_tile.nasm - a tiny slice of a BitNet b1.58 2B4T feed-forward block:
;
;     gate = Wg x,  up = Wu x                      (ternary matrix products, mmac)
;     h    = relu(gate)^2 * up                     (squared-ReLU gated unit: arelu, asq, amul)
;     hq   = absmax-quantize h to int8             (amax, divu, rq)
;     y    = Wd hq                                 (ternary down projection, mmac)
;
; BitNet b1.58 2B4T replaces SwiGLU with a squared ReLU (ReLU^2) gate, and feeds the
; down projection int8 activations quantized per token with absmax. The real model also
; normalizes h (SubLN) and rescales outputs by the weight and activation scales; this
; sketch leaves those out to keep every number checkable by hand. Sizes are shrunk to
; 5: d_model = 5 (vl = 5) and d_ffn = 5 (only rows 0..4 of each 32-row weight tile are
; non-zero).
;
; The numbers:
;   x = [ 3, -1, 2, 4, -2 ]
;   Wg rows          gate                 Wu rows          up
;   [+1  0 +1  0  0]  3 + 2      =  5     [+1 -1  0  0  0]  3 + 1      =  4
;   [ 0 +1  0 +1 +1] -1 + 4 - 2  =  1     [ 0  0 -1 +1  0] -2 + 4      =  2
;   [-1 +1  0  0  0] -3 - 1      = -4     [+1 +1 +1 +1 +1]  3-1+2+4-2  =  6
;   [+1  0  0 +1 -1]  3 + 4 + 2  =  9     [-1  0  0  0 +1] -3 - 2      = -5
;   [ 0 -1 +1  0  0]  1 + 2      =  3     [ 0  0 +1  0 -1]  2 + 2      =  4
;
;   relu(gate)   = [ 5, 1, 0, 9, 3 ]       (the -4 is cut to 0)
;   relu(gate)^2 = [ 25, 1, 0, 81, 9 ]
;   h = ... * up = [ 100, 2, 0, -405, 36 ]
;   absmax = 405, M = floor((127 << 16) / 405) = floor(20550.8) = 20550
;   h * M / 2^16 = [ 31.36, 0.63, 0, -126.995, 11.29 ]  ->  hq = [ 31, 1, 0, -127, 11 ]
;
;   Wd rows          y = Wd hq
;   [+1 +1 +1 +1 +1]  31 + 1 + 0 - 127 + 11 = -84
;   [+1  0  0 +1  0]  31 - 127              = -96
;   [ 0 +1 -1  0 +1]  1 - 0 + 11            =  12
;   [-1  0  0 -1  0] -31 + 127              =  96
;   [+1 -1  0  0 -1]  31 - 1 - 11           =  19
;
; Data layout
;   weight SRAM     0..415   Wg tile (32 rows x 13 bytes)
;                 416..831   Wu tile
;                 832..1247  Wd tile
;   activation SRAM  0..4    x (int8)
;                    8..27   gate (int32)    28..47  up (int32)    48..67  h (int32)
;                   68..72   hq (int8)
;                   76..95   y (int32)
;                   96..99   absmax          100..103  M
;
; Cycle count (default machine, ISA.md chapter 6):
;    0  addi r1; 1 setvl        vl ready at 2
;    2  ldv v0                  5 bytes: 1 cycle; v0 ready at 4
;    3  ldm m0; 5 ldm m1; 7 ldm m2
;                               416 bytes each, at 0, 416, 832 (words 0..51, 52..103,
;                               104..155): 52 words over the weight SRAM's 32 banks, at
;                               most 2 in a bank = ideal ceil(416 / 256) = 2, so each
;                               occupies 2 cycles (sramPort 1 each, 3 in all); ready at
;                               7, 9 and 11 (last access cycle + loadLatency 2 + unpack 1)
;    9  azero a0; 10 mmac a0, m0, v0 (m0 ready since 7; a0 ready at 12)
;   11  azero a1; 12 mmac a1, m1, v0 (a1 ready at 14)
;   13  sta a0; 14 sta a1       20 bytes each: 1 cycle; a0 ready at 12, a1 at 14: no stall
;   15  arelu a2                a2 ready at 16
;   16  asq a2, a2              a2 ready at 16 + vectorMulLatency 2 = 18
;   18  amul a3, a2, a1         could issue at 17: data 1; a3 ready at 20
;   20  sta a3                  could issue at 19: data 1
;   21  amax r2, a3             r2 ready at 21 + reduceLatency 2 = 23
;   23  bne r2, r0, nonzero     could issue at 22: data 1. Taken (405 != 0): next issue
;                               at 23 + 1 + branchPenalty 2 = 26 (branch 2)
;   26  sw r2; 27 lui r4
;   28  divu r3, r4, r2         r3 ready at 28 + divLatency 16 = 44
;   44  sw r3                   could issue at 29: data 15
;   45  addi r5; 46 rq v1       v1 ready at 46 + requantLatency 2 = 48
;   48  stv v1                  could issue at 47: data 1
;   49  azero a4; 50 mmac a4, m2, v1 (a4 ready at 52)
;   52  sta a4                  could issue at 51: data 1
;   53  halt                    nothing pending: no drain
; Total = 53 + 1 = 54 cycles = 29 instructions (the skipped guard addi does not count)
; + 25 stall cycles: data 20 (1 + 1 + 1 + 15 + 1 + 1), sramPort 3, branch 2.
; Trit-MAC events: 3 mmac x ROWS 32 x vl 5 = 480; the non-zero trits of rows 0..4 are
; +1: 9 (Wg) + 9 (Wu) + 10 (Wd) = 28 and -1: 3 + 4 + 5 = 12; the other 440 are skips.
;
; Expected final state (byte addresses; signed decimal):
; expect r2 = 405
; expect r3 = 20550
; expect asram.i32[8] = 5
; expect asram.i32[12] = 1
; expect asram.i32[16] = -4
; expect asram.i32[20] = 9
; expect asram.i32[24] = 3
; expect asram.i32[28] = 4
; expect asram.i32[32] = 2
; expect asram.i32[36] = 6
; expect asram.i32[40] = -5
; expect asram.i32[44] = 4
; expect asram.i32[48] = 100
; expect asram.i32[52] = 2
; expect asram.i32[56] = 0
; expect asram.i32[60] = -405
; expect asram.i32[64] = 36
; expect asram.i8[68] = 31
; expect asram.i8[69] = 1
; expect asram.i8[70] = 0
; expect asram.i8[71] = -127
; expect asram.i8[72] = 11
; expect asram.i32[76] = -84
; expect asram.i32[80] = -96
; expect asram.i32[84] = 12
; expect asram.i32[88] = 96
; expect asram.i32[92] = 19
; expect asram.i32[96] = 405
; expect asram.i32[100] = 20550
; Cycles, stall cycles by cause and trit-MAC events (default machine, derived above):
; expect cycles = 54
; expect retired = 29
; expect stall.data = 20
; expect stall.sramPort = 3
; expect stall.bankConflict = 0
; expect stall.branch = 2
; expect stall.dmaQueue = 0
; expect stall.dmaWait = 0
; expect stall.drain = 0
; expect stall.array = 0
; expect trit.add = 28
; expect trit.sub = 12
; expect trit.skip = 440

; The data below is laid out for tiles of ROWS = 32 rows of VLEN = 64 trits (ROWBYTES = 13): the loader refuses a machine of another shape.
.require vlen, 64
.require rows, 32
.equ D, 5                       ; d_model = d_ffn = active lanes
.equ ROWS, 32
.equ ROWBYTES, 13
.equ TILE, ROWS * ROWBYTES

        addi  r1, r0, D
        setvl r0, r1            ; vl = 5

; Load the input and all three weight tiles (each ldm reads 416 bytes).
        ldv   v0, [r0 + x]
        ldm   m0, [r0 + Wg]
        ldm   m1, [r0 + Wu]
        ldm   m2, [r0 + Wd]

; gate and up projections: two ternary matrix-vector products on the same x.
        azero a0
        mmac  a0, m0, v0        ; a0 = gate = [ 5, 1, -4, 9, 3 ]
        azero a1
        mmac  a1, m1, v0        ; a1 = up   = [ 4, 2, 6, -5, 4 ]
        sta   a0, [r0 + gate]
        sta   a1, [r0 + up]

; Squared-ReLU gating, element-wise on 32-bit accumulators.
        arelu a2, a0            ; a2 = max(gate, 0)        = [ 5, 1, 0, 9, 3 ]
        asq   a2, a2            ; a2 = a2 * a2 (saturating) = [ 25, 1, 0, 81, 9 ]
        amul  a3, a2, a1        ; a3 = h = a2 * up         = [ 100, 2, 0, -405, 36 ]
        sta   a3, [r0 + h]

; Absmax quantization of h to int8 (see absmax_requant.nasm).
        amax  r2, a3            ; r2 = 405
        bne   r2, r0, nonzero   ; guard: an all-zero h would divide by 0
        addi  r2, r0, 1
nonzero:
        sw    r2, [r0 + absmax]
        lui   r4, 127           ; r4 = 127 << 16
        divu  r3, r4, r2        ; r3 = M = 20550, i.e. 127/405 in 16.16 fixed point
        sw    r3, [r0 + mult]
        addi  r5, r0, 16        ; shift = 16 fraction bits
        rq    v1, a3, r3, r5    ; v1 = hq = [ 31, 1, 0, -127, 11 ]
        stv   v1, [r0 + hq]

; Down projection on the int8 hidden activations.
        azero a4
        mmac  a4, m2, v1        ; a4 = y = [ -84, -96, 12, 96, 19 ]
        sta   a4, [r0 + y]
        halt

; ---------------------------------------------------------------- weight SRAM
; Each tile: rows 0..4 hold 5 trits (one packed byte each) padded with zero trits to
; 13 bytes; rows 5..31 are all zero trits. A zero trit is base-3 digit 0 (the digit is
; t mod 3), so zero trits are simply 0x00 bytes, which is what .org fills with.
.wdata
Wg:     .trits +0+00
        .org  Wg + 1 * ROWBYTES
        .trits 0+0++
        .org  Wg + 2 * ROWBYTES
        .trits -+000
        .org  Wg + 3 * ROWBYTES
        .trits +00+-
        .org  Wg + 4 * ROWBYTES
        .trits 0-+00
        .org  Wg + TILE

Wu:     .trits +-000
        .org  Wu + 1 * ROWBYTES
        .trits 00-+0
        .org  Wu + 2 * ROWBYTES
        .trits +++++
        .org  Wu + 3 * ROWBYTES
        .trits -000+
        .org  Wu + 4 * ROWBYTES
        .trits 00+0-
        .org  Wu + TILE

Wd:     .trits +++++
        .org  Wd + 1 * ROWBYTES
        .trits +00+0
        .org  Wd + 2 * ROWBYTES
        .trits 0+-0+
        .org  Wd + 3 * ROWBYTES
        .trits -00-0
        .org  Wd + 4 * ROWBYTES
        .trits +-00-
        .org  Wd + TILE

; ------------------------------------------------------------ activation SRAM
.adata
x:      .byte 3, -1, 2, 4, -2
        .align 4
gate:   .space 4 * D
up:     .space 4 * D
h:      .space 4 * D
hq:     .space D
        .align 4
y:      .space 4 * D
absmax: .word 0
mult:   .word 0
