; softmax_row.nasm - a numerically stable softmax over one row of float32 values, on the
; float32 vector unit (ISA.md 7.12).
;
; Attention turns a row of scores x into probabilities
;
;     p[l] = e^(x[l] - m) / sum over k of e^(x[k] - m),    m = max over l of x[l]
;
; Subtracting the row maximum first keeps every exponent <= 0, so e^x cannot overflow, and
; leaves the result unchanged in exact arithmetic. One instruction per step:
;
;     frmax  m = max x                   (signed maximum over the lanes, from -inf)
;     fsubs  d = x - m                   (lane minus a scalar: every d <= +0.0)
;     fexp   e = e^d                     (ISA.md 7.12's specified algorithm)
;     fsum   s = sum e                   (ISA.md 7.12's pairwise tree, a fixed order)
;     fdiv   r = 1.0 / s                 (one scalar divide ...)
;     fmuls  p = e * r                   (... and a multiply per lane)
;
; Dividing each lane by s (fdivs) would cost N float32 divides; the reciprocal costs one
; divide and N multiplies (fp32Div is priced at 10 fp32Mul, ISA.md 3.4) and can differ from
; e / s in the last bit. A masked score, -inf, gives e = +0.0 and p = +0.0.
;
; The row (vl = N = 10 lanes; the other 54 lanes of the registers are not touched):
;   x = [ 1.0, 2.0, 3.0, 0.5, -1.0, 4.0, -inf, 0.0, 2.5, -3.0 ]
;
; Step by step, each value a float32 (bit patterns below):
;   m = 4.0 (0x40800000)
;   d = x - m = [ -3.0, -2.0, -1.0, -3.5, -5.0, 0.0, -inf, -4.0, -1.5, -7.0 ]  (all exact)
;   e = fexp(d) = [ 0x3D4BED86, 0x3E0A9555, 0x3EBC5AB2, 0x3CF76081, 0x3BDCC9FF,
;                   0x3F800000, 0x00000000, 0x3C960AAE, 0x3E647C3C, 0x3A6F0B5D ]
;     e.g. e^-1 = 0x3EBC5AB2 = 0.36787945, e^0 = 1.0, e^-inf = +0.0
;   s = fsum(e): the tree ((e0 + e1) + (e2 + e3)) + ((e4 + e5) + (e6 + e7)) for the first
;       eight lanes and (e8 + e9) for the last two, then the two added and +0.0 added:
;       s = 0x3FEA88A3 (1.8322948)
;   r = 1.0 / s = 0x3F0BB72B (0.54576367)
;   p = e * r = [ 0x3CDE97C2, 0x3D97447A, 0x3E4D9806, 0x3C870266, 0x3B70FF4E,
;                 0x3F0BB72B, 0x00000000, 0x3C23C64F, 0x3DF965E0, 0x3A027635 ]
;     = [ 0.027171973, 0.073861077, 0.20077524, 0.016480636, 0.0036773267,
;         0.54576367, 0.0, 0.0099960109, 0.12177634, 0.00049767207 ]
; Each p is within 1.1 ulp of the exact softmax (computed in double precision: 0.0271719749,
; 0.0738610855, 0.200775247, ...), and the ten p add up to 0.99999995.
; These values were computed independently of nmp with exact rational arithmetic (Python
; fractions, every float32 operation rounded to nearest even by hand, following ISA.md
; 7.12's pseudo-code); Tests/NMPSimulatorTests/SoftmaxProgramTests.swift recomputes them
; from the row with the test suite's own reference arithmetic.
;
; Data layout (activation SRAM; byte addresses)
;     0..39   x   the row: 10 float32
;    40..79   p   the probabilities: 10 float32
;
; Cycle count (default machine, ISA.md chapter 6; floatLanes 64, so every float32 vector
; instruction issues in one cycle; reduceLatency 2, floatLatency 3, expLatency 6,
; divLatency 16, loadLatency 2):
;    0  addi r1                 r1 ready at 1
;    1  setvl r0, r1            vl ready at 2
;    2  lda a0, [x]             40 bytes at 0 = words 0..4, one per bank: 1 cycle;
;                               a0 ready at 2 + 2 = 4
;    3  lui r4                  1.0; r4 ready at 4
;    4  frmax r2, a0            a0 ready at 4: no stall; r2 ready at 4 + 2 = 6
;    6  fsubs a1, a0, r2        could issue at 5; r2 ready at 6: data 1; a1 ready at 9
;    9  fexp a1, a1             could issue at 7; a1 ready at 9: data 2; a1 ready at 15
;   15  fsum r3, a1             could issue at 10; a1 ready at 15: data 5; r3 ready at 17
;   17  fdiv r5, r4, r3         could issue at 16; r3 ready at 17: data 1; r5 ready at 33
;   33  fmuls a2, a1, r5        could issue at 18; r5 ready at 33: data 15; a2 ready at 36
;   36  sta a2, [p]             could issue at 34; a2 ready at 36: data 2; 40 bytes at 40
;                               = words 5..9, one per bank: 1 cycle
;   37  halt                    nothing pending: no drain
; Total = 37 + 1 = 38 cycles = 12 instructions + 26 data stall cycles (1 + 2 + 5 + 1 + 15
; + 2): the chain is serial, and the divide is its longest link.
;
; Expected final state (registers and memory cells as float32 bit patterns):
; expect r2 = 0x40800000
; expect r3 = 0x3FEA88A3
; expect r5 = 0x3F0BB72B
; expect asram.u32[40] = 0x3CDE97C2
; expect asram.u32[44] = 0x3D97447A
; expect asram.u32[48] = 0x3E4D9806
; expect asram.u32[52] = 0x3C870266
; expect asram.u32[56] = 0x3B70FF4E
; expect asram.u32[60] = 0x3F0BB72B
; expect asram.u32[64] = 0x00000000
; expect asram.u32[68] = 0x3C23C64F
; expect asram.u32[72] = 0x3DF965E0
; expect asram.u32[76] = 0x3A027635
; Cycles, stall cycles by cause and trit-MAC events (default machine, derived above):
; expect cycles = 38
; expect retired = 12
; expect stall.data = 26
; expect stall.sramPort = 0
; expect stall.bankConflict = 0
; expect stall.branch = 0
; expect stall.dmaQueue = 0
; expect stall.dmaWait = 0
; expect stall.drain = 0
; expect stall.array = 0
; expect trit.add = 0
; expect trit.sub = 0
; expect trit.skip = 0

.equ N, 10                      ; lanes: one row of 10 scores

        addi  r1, r0, N
        setvl r0, r1            ; vl = 10
        lda   a0, [r0 + x]      ; a0 = the row, 10 float32 bit patterns
        lui   r4, 0x3F80        ; r4 = 1.0 = 0x3F800000, for the reciprocal
        frmax r2, a0            ; r2 = m = max x = 4.0
        fsubs a1, a0, r2        ; a1 = d = x - m <= 0
        fexp  a1, a1            ; a1 = e = e^d, in place
        fsum  r3, a1            ; r3 = s = sum e (pairwise tree)
        fdiv  r5, r4, r3        ; r5 = r = 1 / s
        fmuls a2, a1, r5        ; a2 = p = e * r
        sta   a2, [r0 + p]      ; 10 probabilities
        halt

; ------------------------------------------------------------ activation SRAM
.adata
x:      .word 0x3F800000, 0x40000000    ;  1.0,  2.0
        .word 0x40400000, 0x3F000000    ;  3.0,  0.5
        .word 0xBF800000, 0x40800000    ; -1.0,  4.0
        .word 0xFF800000, 0x00000000    ; -inf (a masked score), 0.0
        .word 0x40200000, 0xC0400000    ;  2.5, -3.0
p:      .space 4 * N                    ; 10 float32 results
