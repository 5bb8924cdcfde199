; trit_vectors.nasm - moving trit vectors between registers and weight SRAM, converting
; between trits, int8 and int32, and binarizing with sgnb.
;
; We work on vl = 10 lanes. 10 is a multiple of 5, so the 10 trits fill exactly two
; packed bytes (base 3 packs 5 trits per byte), which makes the stored bytes easy to
; check by hand.
;
;   w = [ +1, -1,  0, +1,  0,  -1, +1, -1,  0, +1 ]   trit row in weight SRAM
;   x = [  5, -3,  0,  7, -2,   1, -8,  4,  0, -1 ]   int8 in activation SRAM
;
; Steps:
;   1. ldt/stt round trip: copy the packed row w to another row; the bytes are identical.
;   2. tcvt turns trits into int8 (+1, 0, -1), awiden sign-extends int8 to int32.
;   3. aadd/asub:  x + w = [ 6, -4, 0, 8, -2,  0, -7, 3, 0,  0 ]
;                  x - w = [ 4, -2, 0, 6, -2,  2, -9, 5, 0, -2 ]
;   4. sgnb binarizes: +1 where a >= 0, -1 where a < 0 (zero counts as +1, so the result
;      never contains a 0 trit). s = sgnb(x) = [+1,-1,+1,+1,-1, +1,-1,+1,+1,-1].
;   5. vmac with s: s[l] * x[l] = |x[l]|, so asum gives the L1 norm
;      |x| = 5 + 3 + 0 + 7 + 2 + 1 + 8 + 4 + 0 + 1 = 31.
;
; Packing by hand (base 3): a byte holds trits t0..t4 as sum d(t_i) * 3^i, where the
; digit d(t) = t mod 3 maps 0 -> 0, +1 -> 1, -1 -> 2 (t0 is the least-significant digit).
;   w lanes 0..4  "+-0+0": digits 1,2,0,1,0 -> 1 + 6 + 0 + 27 + 0    =  34 = 0x22
;   w lanes 5..9  "-+-0+": digits 2,1,2,0,1 -> 2 + 3 + 18 + 0 + 81   = 104 = 0x68
;   s lanes 0..4  "+-++-": digits 1,2,1,1,2 -> 1 + 6 + 9 + 27 + 162  = 205 = 0xCD
;   s lanes 5..9  "+-++-": the same                                  = 205 = 0xCD
;   five zero trits: digits 0,0,0,0,0                                =   0 = 0x00
;   five -1 trits:   digits 2,2,2,2,2 -> 2 + 6 + 18 + 54 + 162       = 242 = 0xF2
;
; Data layout
;   weight SRAM   0..12  w_in     the row w (64 trits: lanes 10..63 are 0)
;                13..25  zeros    an all-zero row
;                26..38  w_copy   where stt writes the copy of w
;                39..51  w_sign   where stt writes s
;   (w_copy and w_sign start out as 0xF2 bytes, all -1 trits, so the expectations
;   below can tell that stt rewrote every byte of the row, including the zero bytes.)
;   activation SRAM  0..9    x
;                   12..21   s as int8 (stv)
;                   24..63   x + w as int32 (sta)
;                   64..103  x - w as int32 (sta)
;                  104..107  |x|, the L1 norm (sw)
;
; Cycle count (default machine, ISA.md chapter 6):
; One instruction per cycle plus 6 data-stall cycles (issue cycles on the left):
;    0  addi r1; 1 setvl        vl ready at 2
;    2  ldt t0                  13 bytes at 0: 1 cycle; t0 ready at 2 + 2 + 1 (unpack) = 5
;    5  stt t0                  could issue at 3; reads t0, ready at 5: data 2
;    6  ldv v0                  10 bytes at 0: 1 cycle; v0 ready at 6 + 2 = 8
;    8  awiden a0, v0           could issue at 7; v0 ready at 8: data 1; a0 ready at 9
;    9  tcvt; 10 awiden; 11 aadd; 12 asub    operands ready in time (vectorLatency 1:
;                               a result can be read the next cycle): no stall
;   13  sta a2; 14 sta a3       40 bytes at 24 (words 3..7) and at 64 (words 8..12):
;                               at most one word per bank, 1 cycle each
;   15  ldt t1                  t1 ready at 15 + 3 = 18
;   18  sgnb t1, a0             could issue at 16; t1 is only its destination, but the
;                               ldt's write to t1 is pending until 18 (write after write):
;                               data 2; t1 ready at 19
;   19  stt; 20 tcvt; 21 stv (10 bytes, 1 cycle); 22 azero; 23 vmac; 24 nop
;   25  asum r2, a4             r2 ready at 25 + reduceLatency 2 = 27
;   27  sw r2                   could issue at 26: data 1
;   28  halt                    nothing pending: no drain
; Total = 28 + 1 = 29 cycles = 23 instructions + 6 stall cycles (data 2 + 1 + 2 + 1).
; Trit-MAC events: the vmac covers vl = 10 lanes of s = sgnb(x) = +-++-+-++-: 6 adds and
; 4 subtracts (sgnb never produces a 0, so no skips).
;
; Expected final state (byte addresses; values signed decimal or 0x hex):
; expect r2 = 31
; expect wsram.u8[26] = 0x22
; expect wsram.u8[27] = 0x68
; expect wsram.u8[28] = 0x00
; expect wsram.u8[38] = 0x00
; expect wsram.u8[39] = 0xCD
; expect wsram.u8[40] = 0xCD
; expect wsram.u8[41] = 0x00
; expect wsram.u8[51] = 0x00
; expect asram.i8[12] = 1
; expect asram.i8[13] = -1
; expect asram.i8[14] = 1
; expect asram.i8[15] = 1
; expect asram.i8[16] = -1
; expect asram.i8[17] = 1
; expect asram.i8[18] = -1
; expect asram.i8[19] = 1
; expect asram.i8[20] = 1
; expect asram.i8[21] = -1
; expect asram.i32[24] = 6
; expect asram.i32[28] = -4
; expect asram.i32[32] = 0
; expect asram.i32[36] = 8
; expect asram.i32[40] = -2
; expect asram.i32[44] = 0
; expect asram.i32[48] = -7
; expect asram.i32[52] = 3
; expect asram.i32[56] = 0
; expect asram.i32[60] = 0
; expect asram.i32[64] = 4
; expect asram.i32[68] = -2
; expect asram.i32[72] = 0
; expect asram.i32[76] = 6
; expect asram.i32[80] = -2
; expect asram.i32[84] = 2
; expect asram.i32[88] = -9
; expect asram.i32[92] = 5
; expect asram.i32[96] = 0
; expect asram.i32[100] = -2
; expect asram.i32[104] = 31
; Cycles, stall cycles by cause and trit-MAC events (default machine, derived above):
; expect cycles = 29
; expect retired = 23
; expect stall.data = 6
; expect stall.sramPort = 0
; expect stall.bankConflict = 0
; expect stall.branch = 0
; expect stall.dmaQueue = 0
; expect stall.dmaWait = 0
; expect stall.drain = 0
; expect stall.array = 0
; expect trit.add = 6
; expect trit.sub = 4
; expect trit.skip = 0

; The data below is laid out for packed trit rows of VLEN = 64 (ROWBYTES = 13): the loader refuses a machine of another shape.
.require vlen, 64
.equ N, 10                      ; lanes in use
.equ ROWBYTES, 13               ; one packed row of VLEN = 64 trits
.equ MINUS5, 0xF2               ; base-3 byte of five -1 trits (a visible "not yet written")

        addi  r1, r0, N
        setvl r0, r1            ; vl = 10 (writing the new vl to r0 discards it)

; 1. Round trip: unpack a row into t0, then pack it back somewhere else.
        ldt   t0, [r0 + w_in]   ; t0 = 64 trits from 13 bytes
        stt   t0, [r0 + w_copy] ; 13 bytes = pack(t0): a byte-exact copy of w_in.
                                ; ldt and stt always move the whole row (all VLEN
                                ; trits), whatever vl is.

; 2. Trits -> int8 -> int32.
        ldv   v0, [r0 + x]      ; v0 = x (10 int8 lanes)
        awiden a0, v0           ; a0 = x, sign-extended to int32
        tcvt  v1, t0            ; v1 = w as int8: +1, 0 or -1 per lane
        awiden a1, v1           ; a1 = w as int32

; 3. Element-wise int32 add and subtract (saturating, though nothing overflows here).
        aadd  a2, a0, a1        ; a2 = x + w
        asub  a3, a0, a1        ; a3 = x - w
        sta   a2, [r0 + xpw]    ; store 10 int32 lanes (40 bytes)
        sta   a3, [r0 + xmw]

; 4. Binarize: s = sgnb(x).
        ldt   t1, [r0 + zeros]  ; clear t1: sgnb writes only the vl = 10 active lanes,
                                ; and stt below stores all 64, so we make the other
                                ; 54 lanes a known 0 first.
        sgnb  t1, a0            ; t1[l] = +1 if x[l] >= 0 else -1
        stt   t1, [r0 + w_sign] ; pack s into weight SRAM: 0xCD, 0xCD, then 0x00s
        tcvt  v2, t1            ; s as int8
        stv   v2, [r0 + signs]  ; 10 bytes

; 5. L1 norm: sum of s[l] * x[l] = sum of |x[l]|.
        azero a4                ; a4 = 0
        vmac  a4, t1, v0        ; a4[l] = s[l] * x[l] = |x[l]|
        nop                     ; no operation: it only takes an issue slot (compilers
                                ; use nops to pad schedules); the result is unchanged
        asum  r2, a4            ; r2 = 31
        sw    r2, [r0 + l1]
        halt

; ---------------------------------------------------------------- weight SRAM
.wdata
w_in:   .trits +-0+0 -+-0+              ; two packed bytes (words are concatenated)
        .org  w_in + ROWBYTES           ; the rest of the row: 0x00 bytes = zero trits
zeros:  .space ROWBYTES                 ; a row of 64 zero trits (13 zero bytes)
w_copy: .space ROWBYTES, MINUS5         ; all -1 trits until stt overwrites them
w_sign: .space ROWBYTES, MINUS5         ; overwritten by stt

; ------------------------------------------------------------ activation SRAM
.adata
x:      .byte 5, -3, 0, 7, -2, 1, -8, 4, 0, -1
        .align 4
signs:  .space N                        ; 12..21
        .align 4
xpw:    .space 4 * N                    ; 24..63
xmw:    .space 4 * N                    ; 64..103
l1:     .word 0                         ; 104
