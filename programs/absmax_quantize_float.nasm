; absmax_quantize_float.nasm - BitNet b1.58 per-token activation quantization and output
; dequantization in float32, bit for bit like the float32 reference, on the scale unit.
;
; BitNet quantizes each token x (a vector of float32 activations) to int8 with absmax,
; multiplies the int8 vector with ternary weights in integer arithmetic, and scales the
; int32 result back to float32. The reference computes, all in float32:
;
;     s  = 127 / max(max|x|, 1e-5)                 the activation scale
;     xq = clamp(round_half_even(x * s), -128, 127)
;     acc = w * xq                                 ternary weights: add, subtract, skip
;     y  = acc / s * gamma                         gamma: the weight scale
;
; The float32 scale unit (ISA.md 7.11) has one instruction per step: famax (max|x| over
; the lanes), fmax (the 1e-5 floor), fdiv (127 / m), fq (multiply, round half to even,
; clamp to int8), then fcvt (int32 -> float32), fdivs (/ s) and fmuls (* gamma). Float32
; values live in registers as their IEEE-754 bit patterns, so the data below and the
; expected results are written in hex. (absmax_requant.nasm does the quantization in
; fixed point instead, which can round differently from the float32 reference.)
;
; The token (vl = 8 lanes) and the weights:
;   x     = [ 1.0,  -2.0,  0.5,   0.1,   -0.7,   0.3,    1.5,   -1.0 ]
;   w     = [ +1,   -1,    0,     +1,    -1,     +1,     0,     -1   ]
;   gamma = 0.8  (0x3F4CCCCD: 0.800000011920929, the float32 nearest to 0.8)
;
; Quantization:
;   m = famax = max|x| = 2.0 (0x40000000); fmax(2.0, 1e-5) = 2.0
;   s = 127 / 2.0 = 63.5 (0x427E0000), exact
;   x * s (each product rounded to float32)
;         = [ 63.5, -127.0, 31.75, 6.35, -44.45, 19.05, 95.25, -63.5 ]
;   xq    = [ 64,   -127,   32,    6,    -44,    19,    95,    -64  ]
;   63.5 and -63.5 are exact halves: round half to even gives 64 and -64 (64 is even),
;   not 63 or -63. No lane needs the clamp: the largest |x| always maps to 127.
;
; Ternary product, lane by lane (vmac; a real layer would use mmac for dot products):
;   acc = w * xq = [ 64, 127, 0, 6, 44, 19, 0, 64 ]
;
; Dequantization, each step rounded to float32:
;   acc / s     = [ 1.007874, 2.0, 0.0, 0.09448819, 0.6929134, 0.2992126, 0.0, 1.007874 ]
;   y = * gamma = [ 0.8062992, 1.6, 0.0, 0.07559055, 0.55433077, 0.2393701, 0.0, 0.8062992 ]
;   bits(y)     = [ 0x3F4E69A0, 0x3FCCCCCD, 0x00000000, 0x3D9ACF38,
;                   0x3F0DE89F, 0x3E751D6F, 0x00000000, 0x3F4E69A0 ]
;   Lane 4 shows why the order of the roundings matters: exact arithmetic gives
;   44 / 63.5 * 0.8 = 0.55433071, whose nearest float32 is 0x3F0DE89E; the float32
;   reference, rounding after the divide and after the multiply, gives 0x3F0DE89F, and so
;   does the machine. Lanes 2 and 6 are +0.0: acc = 0 is an integer, and fcvt gives +0.0.
;
; Every value above was checked independently with numpy float32 (python3):
;   x = np.array([1.0, -2.0, 0.5, 0.1, -0.7, 0.3, 1.5, -1.0], dtype=np.float32)
;   m = np.maximum(np.max(np.abs(x)), np.float32(1e-5)); s = np.float32(127) / m
;   xq = np.clip(np.round(x * s), -128, 127)              # np.round: half to even
;   acc = np.array([1, -1, 0, 1, -1, 1, 0, -1]) * xq.astype(np.int32)
;   y = (acc.astype(np.float32) / s) * np.float32(0.8)    # then y.view(np.uint32)
;
; Loading float32 constants: lui sets the upper 16 bits of a register (lower bits 0),
; ori the lower 16. 1e-5 = 0x3727C5AC takes both; 127.0 = 0x42FE0000 needs only lui.
;
; Data layout (activation SRAM; byte addresses)
;     0..31   x      the token: 8 float32
;    32..63   y      the result: 8 float32
;    64..71   xq     the quantized token: 8 int8
;    72..75   scale  s as float32
; Weight SRAM 0..12: w, one packed trit row (ROWBYTES = 13 bytes for VLEN = 64).
;
; Cycle count (default machine, ISA.md chapter 6; floatLatency 3, divLatency 16,
; reduceLatency 2, loadLatency 2, unpackLatency 1):
;    0  addi r1                 r1 ready at 1
;    1  setvl r0, r1            vl ready at 2
;    2  lda a0, [x]             vl ready at 2: no stall; 32 bytes at 0 = words 0..3, one
;                               per bank: 1 cycle; a0 ready at 2 + 2 = 4
;    3  lui r2                  r2 ready at 4
;    4  famax r3, a0            a0 ready at 4: no stall; r3 ready at 4 + 2 = 6
;    5  ori r2                  r2 ready at 6
;    6  fmax r3, r3, r2         r3 and r2 ready at 6: no stall; r3 ready at 6 + 3 = 9
;    7  lui r4                  r4 ready at 8
;    9  fdiv r5, r4, r3         could issue at 8; r3 ready at 9: data 1;
;                               r5 ready at 9 + 16 = 25
;   10  ldt t0, [w]             13 bytes at 0 = words 0..1: 1 cycle; t0 ready at 10 + 3 = 13
;   11  azero a1                a1 ready at 12
;   12  lui r6; 13 ori r6       gamma; r6 ready at 14
;   25  fq v0, a0, r5           could issue at 14; r5 ready at 25 (the divide): data 11;
;                               v0 ready at 25 + 3 = 28
;   26  sw r5, [scale]          r5 ready: no stall
;   28  stv v0, [xq]            could issue at 27; v0 ready at 28: data 1; 8 bytes at 64
;                               = word 8: 1 cycle
;   29  vmac a1, t0, v0         all ready; a1 ready at 29 + macLatency 1 = 30
;   30  fcvt a2, a1             a1 ready at 30: no stall; a2 ready at 33
;   33  fdivs a2, a2, r5        could issue at 31; a2 ready at 33: data 2;
;                               a2 ready at 33 + 16 = 49
;   49  fmuls a2, a2, r6        could issue at 34; a2 ready at 49: data 15; a2 ready at 52
;   52  sta a2, [y]             could issue at 50; a2 ready at 52: data 2; 32 bytes at 32
;                               = words 4..7, one per bank: 1 cycle
;   53  halt                    nothing pending: no drain
; Total = 53 + 1 = 54 cycles = 22 instructions + 32 stall cycles, all data stalls
; (1 + 11 + 1 + 2 + 15 + 2): the scale unit's two divides dominate.
; Trit-MAC events: the vmac covers vl = 8 lanes of w = +-0+-+0-: 3 adds (+1 lanes),
; 3 subtracts (-1 lanes), 2 skips (0 lanes).
;
; Expected final state (registers and memory cells as float32 bit patterns, int8 signed):
; expect r3 = 0x40000000
; expect r5 = 0x427E0000
; expect r6 = 0x3F4CCCCD
; expect asram.u32[72] = 0x427E0000
; expect asram.i8[64] = 64
; expect asram.i8[65] = -127
; expect asram.i8[66] = 32
; expect asram.i8[67] = 6
; expect asram.i8[68] = -44
; expect asram.i8[69] = 19
; expect asram.i8[70] = 95
; expect asram.i8[71] = -64
; expect asram.u32[32] = 0x3F4E69A0
; expect asram.u32[36] = 0x3FCCCCCD
; expect asram.u32[40] = 0x00000000
; expect asram.u32[44] = 0x3D9ACF38
; expect asram.u32[48] = 0x3F0DE89F
; expect asram.u32[52] = 0x3E751D6F
; expect asram.u32[56] = 0x00000000
; expect asram.u32[60] = 0x3F4E69A0
; Cycles, stall cycles by cause and trit-MAC events (default machine, derived above):
; expect cycles = 54
; expect retired = 22
; expect stall.data = 32
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
.equ N, 8                       ; lanes: one 8-element token
.equ ROWBYTES, 13               ; ceil(VLEN / 5) bytes per packed trit row (VLEN = 64)

        addi  r1, r0, N
        setvl r0, r1            ; vl = 8

; ---- Quantize: s = 127 / max(max|x|, 1e-5); xq = clamp(rne(x * s), -128, 127)
        lda   a0, [r0 + x]      ; a0 = the token, 8 float32 bit patterns
        lui   r2, 0x3727        ; r2 = 1e-5 = 0x3727C5AC, upper half ...
        famax r3, a0            ; r3 = max |x| = 2.0
        ori   r2, r2, 0xC5AC    ; ... and lower half
        fmax  r3, r3, r2        ; r3 = max(2.0, 1e-5) = 2.0: an all-zero token would get 1e-5
        lui   r4, 0x42FE        ; r4 = 127.0 = 0x42FE0000
        fdiv  r5, r4, r3        ; r5 = s = 127 / 2.0 = 63.5
        ldt   t0, [r0 + w]      ; meanwhile: the ternary weights ...
        azero a1                ; ... a cleared accumulator ...
        lui   r6, 0x3F4C        ; ... and gamma = 0.8 = 0x3F4CCCCD
        ori   r6, r6, 0xCCCD
        fq    v0, a0, r5        ; v0 = xq = [64, -127, 32, 6, -44, 19, 95, -64]
        sw    r5, [r0 + scale]  ; keep s
        stv   v0, [r0 + xq]     ; keep xq

; ---- Ternary product (lane by lane)
        vmac  a1, t0, v0        ; a1[l] = w[l] * xq[l]: add, subtract or skip

; ---- Dequantize: y = acc / s * gamma, in float32
        fcvt  a2, a1            ; a2 = float32(acc), exact for |acc| <= 2^24
        fdivs a2, a2, r5        ; a2 = acc / s
        fmuls a2, a2, r6        ; a2 = acc / s * gamma
        sta   a2, [r0 + y]      ; 8 float32 results
        halt

; ---------------------------------------------------------------- weight SRAM
.wdata
w:      .trits +-0+-+0-                 ; 8 trits, packed into 2 bytes
        .org  w + ROWBYTES              ; a full 13-byte row (zero bytes are zero trits)

; ------------------------------------------------------------ activation SRAM
.adata
x:      .word 0x3F800000, 0xC0000000    ;  1.0, -2.0
        .word 0x3F000000, 0x3DCCCCCD    ;  0.5,  0.1 (0.100000001490116...)
        .word 0xBF333333, 0x3E99999A    ; -0.7 (-0.699999988...), 0.3 (0.300000011...)
        .word 0x3FC00000, 0xBF800000    ;  1.5, -1.0
y:      .space 4 * N                    ; 8 float32 results
xq:     .space N                        ; 8 int8
scale:  .word 0                         ; s
