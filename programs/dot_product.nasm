; dot_product.nasm - ternary dot product of 8 lanes: y = sum_i w[i] * x[i].
;
; In BitNet b1.58 every weight is -1, 0 or +1, so a "multiply" is really a choice:
; add the activation (w = +1), subtract it (w = -1) or skip it (w = 0). The vmac
; instruction does exactly that, lane by lane, into 32-bit accumulators; asum then adds
; the lanes together.
;
;   w = [ +1,  0, -1, +1, -1,   0, +1, -1 ]     (trits, in weight SRAM)
;   x = [ 12, -7,  5,  9, -3, 100,  4, -8 ]     (int8, in activation SRAM)
;   w*x = [ 12, 0, -5, 9, 3, 0, 4, 8 ]          lane by lane (w = 0 skips even x = 100)
;   y = 12 + 0 - 5 + 9 + 3 + 0 + 4 + 8 = 31
;
; Packing (base 3): a byte holds 5 trits t0..t4 as sum d(t_i) * 3^i, with the digit
; d(t) = t mod 3 (0 -> 0, +1 -> 1, -1 -> 2) and t0 the least-significant digit:
;   w lanes 0..4  "+0-+-": digits 1,0,2,1,2 -> 1 + 0 + 18 + 27 + 162 = 208 = 0xD0
;   w lanes 5..7  "0+-"  : digits 0,1,2 (+ two zero-trit pads) -> 0 + 3 + 18 = 21 = 0x15
;   five zero trits: digits 0,0,0,0,0 -> byte 0x00, so zero bytes are zero weights.
;
; Data layout
;   weight SRAM     0..12  w: one packed trit row. A row always holds VLEN = 64 trits,
;                          packed 5 per byte (base 3), so it is ROWBYTES = 13 bytes; ldt
;                          reads all 13 even though we only use 8 lanes.
;   activation SRAM 0..7   x: 8 int8 activations
;                   8..39  prod: the 8 per-lane products as int32 (stored with sta)
;                   40..43 dot: the final sum as int32 (stored with sw)
;
; Cycle count (default machine, ISA.md chapter 6):
; One instruction per cycle except for one data stall (issue cycles on the left):
;    0  addi r1          r1 ready at 1
;    1  setvl r3, r1     r3 and vl ready at 1 + aluLatency 1 = 2
;    2  ldt t0           13 bytes at 0 = bank words 0..1: banks() = 1, no port stall;
;                        t0 ready at 2 + loadLatency 2 + unpackLatency 1 = 5
;    3  ldv v0           vl = 8 bytes at 0, one word: 1 cycle; v0 ready at 3 + 2 = 5
;    4  azero a0         a0 ready at 5
;    5  vmac a0, t0, v0  a0, t0, v0 all ready at 5: no stall; a0 ready at 6
;    6  sta a0           4 * vl = 32 bytes at 8 = words 1..4, one per bank: 1 cycle
;    7  asum r2, a0      r2 ready at 7 + reduceLatency 2 = 9
;    9  sw r2            could issue at 8, but r2 is ready at 9: data stall 1
;   10  halt             everything is ready (r2 at 9): no drain
; Total = 10 + 1 = 11 cycles = 10 instructions + 1 stall cycle (data 1).
; Trit-MAC events: the one vmac covers vl = 8 lanes of w = +0-+-0+-: 3 adds (+1 lanes),
; 3 subtracts (-1 lanes) and 2 skips (0 lanes).
;
; Expected final state (addresses are byte addresses; asram.i32[8] is the int32 at bytes
; 8..11; register values are signed decimal or 0x hex bit patterns):
; expect r2 = 31
; expect r3 = 8
; expect asram.i32[8] = 12
; expect asram.i32[12] = 0
; expect asram.i32[16] = -5
; expect asram.i32[20] = 9
; expect asram.i32[24] = 3
; expect asram.i32[28] = 0
; expect asram.i32[32] = 4
; expect asram.i32[36] = 8
; expect asram.i32[40] = 31
; expect wsram.u8[0] = 0xD0
; expect wsram.u8[1] = 0x15
; expect wsram.u8[12] = 0x00
; Cycles, stall cycles by cause and trit-MAC events (default machine, derived above):
; expect cycles = 11
; expect retired = 10
; expect stall.data = 1
; expect stall.sramPort = 0
; expect stall.bankConflict = 0
; expect stall.branch = 0
; expect stall.dmaQueue = 0
; expect stall.dmaWait = 0
; expect stall.drain = 0
; expect stall.array = 0
; expect trit.add = 3
; expect trit.sub = 3
; expect trit.skip = 2

; The data below is laid out for packed trit rows of VLEN = 64 (ROWBYTES = 13): the loader refuses a machine of another shape.
.require vlen, 64
.equ N, 8                       ; number of lanes we use
.equ ROWBYTES, 13               ; ceil(VLEN / 5) bytes per packed trit row (VLEN = 64)

        addi  r1, r0, N         ; r1 = 8
        setvl r3, r1            ; vl = min(8, VLEN) = 8; r3 receives the new vl (8)
        ldt   t0, [r0 + w]      ; t0 = unpack 13 bytes at w: 64 trits, we use lanes 0..7
        ldv   v0, [r0 + x]      ; v0[0..7] = the 8 int8 activations (vl bytes)
        azero a0                ; a0[0..7] = 0: vmac accumulates, so start from zero
        vmac  a0, t0, v0        ; a0[l] += w[l] * x[l]: add, subtract or skip per lane
        sta   a0, [r0 + prod]   ; store the 8 products as int32 (4*vl = 32 bytes)
        asum  r2, a0            ; r2 = a0[0] + ... + a0[7] = 31
        sw    r2, [r0 + dot]    ; and store the dot product too
        halt

; ---------------------------------------------------------------- weight SRAM
.wdata
w:      .trits +0-+-0+-                 ; 8 trits; packed into 2 bytes (the second padded)
        .org  w + ROWBYTES              ; pad to a full 13-byte row: .org fills with 0x00
                                        ; bytes, and byte 0 is five zero trits.

; ------------------------------------------------------------ activation SRAM
.adata
x:      .byte 12, -7, 5, 9, -3, 100, 4, -8
        .align 4                        ; lw/sw/lda/sta need 4-byte aligned addresses
prod:   .space 4 * N                    ; 8 int32 products
dot:    .word 0                         ; the result
