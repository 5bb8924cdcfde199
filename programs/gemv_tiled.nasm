; gemv_tiled.nasm - matrix-vector product y = W x for a 64 x 64 ternary W, tiled into
; two row tiles of ROWS = 32 rows, with the zero-overhead hardware `loop`.
;
; The machine's matrix unit works on a tile: ldm fills a trit matrix register (ROWS = 32
; rows of VLEN = 64 trits) from weight SRAM, and mmac multiplies it by an int8 vector,
; accumulating one int32 result per row:
;
;     mmac a, m, v:   a[r] += sum over l < vl of m[r][l] * v[l],   for r = 0 .. 31
;
; A 64 x 64 matrix is two such tiles stacked vertically (rows 0..31 and rows 32..63).
; Each needs all 64 columns, so vl = 64 for the multiply; the 32 results come out in
; accumulator lanes 0..31 and we store them with vl = 32.
;
; The numbers: x[l] = l (0 .. 63), and row r of W has a +1 in column r and a -1 in
; column 63 - r (the identity minus the anti-diagonal), so
;
;     y[r] = x[r] - x[63 - r] = r - (63 - r) = 2r - 63      (-63, -61, ..., 61, 63)
;
; A second hardware loop then reads y back with lw and adds up the squares:
;     sum of (2r - 63)^2 for r = 0..63 = 2 * (1^2 + 3^2 + ... + 63^2) = 87360.
;
; How `loop rN, end` works: the instructions from the one after `loop` up to (but not
; including) the label `end` run x[rN] times, with no branch instruction and no
; counting overhead; the loop hardware counts (x[rN] = 0 skips the body). Neither loop
; body here writes its count register, and the two loops are not nested.
;
; Data layout
;   weight SRAM      0..415   tile 0 = rows 0..31, 13 bytes per row (ROWS*ROWBYTES = 416)
;                  416..831   tile 1 = rows 32..63
;   activation SRAM  0..63    x, 64 int8
;                   64..319   y, 64 int32 (y[r] at 64 + 4r)
;                  320..323   checksum, the sum of squares
;
; Cycle count (default machine, ISA.md chapter 6):
; Setup, cycles 0..7: 8 instructions, no stall (ldv: 64 bytes at 0 = words 0..7, one per
;   bank, 1 cycle; the loop reads r4, ready at 7) .......................... 8 cycles
; Tile loop, 2 iterations of 10 cycles (the back-edge is free). First iteration:
;    8  ldm m0, [r2]            416 bytes at 0 = words 0..51 over the 32 banks of the
;                               weight SRAM: banks 0..19 hold 2 words each (0 and 32, ...),
;                               so banks() = 2 = ideal = ceil(416 / 256): it occupies 8..9
;                               (sramPort 1); m0 ready at 9 + 2 + 1 = 12 (second tile, at
;                               416 = words 52..103: also at most 2 per bank)
;   10  azero a0                a0 ready at 11
;   12  mmac a0, m0, v0         could issue at 11; m0 ready at 12: data 1; a0 ready at 14
;   13  setvl r0, r5            vl = 32, ready at 14
;   14  sta a0, [r3]            a0 and vl ready at 14: no stall. 4 * 32 = 128 bytes at 64
;                               = words 8..23, one in each of the 16 banks of the
;                               activation SRAM: banks() = 1 = ideal = ceil(128 / 128)
;                               (second tile, at 192 = words 24..39: also 1)
;   15  setvl r0, r1; 16 addi r2; 17 addi r3
;   per iteration: 8 issue + 1 sramPort + 1 data = 10 cycles
;   x 2 iterations (cycles 8..27) ......................................... 20 cycles
; Between the loops, cycles 28..31: addi, addi, add, loop ................. 4 cycles
; Sum loop, 64 iterations of 7 cycles, the first at 32:
;   t    lw r7, [r3]            4 bytes, 1 cycle; r7 ready at t + loadLatency 2
;   t+2  mul r7, r7, r7         could issue at t+1: data 1; r7 ready at t+2 + mulLatency 3
;   t+5  add r6, r6, r7         could issue at t+3: data 2
;   t+6  addi r3, r3, 4         (the next lw reads r3 at t+7: ready)
;   per iteration: 4 issue + 3 data = 7 cycles x 64 (cycles 32..479) ...... 448 cycles
; End: 480 sw, 481 halt (nothing pending, no drain) ......................... 2 cycles
; Total = 8 + 20 + 4 + 448 + 2 = 482 cycles = 286 instructions (8 + 2 * 8 + 4 + 64 * 4
; + 2) + 196 stall cycles: data 194 (2 * 1 + 64 * 3) and sramPort 2 (2 * 1).
; Trit-MAC events: 2 mmac x ROWS 32 x vl 64 = 4096; each of the 64 rows has one +1 and
; one -1, so 64 adds, 64 subtracts and 4096 - 128 = 3968 skips.
;
; Expected final state (byte addresses; signed decimal values):
; expect r6 = 87360
; expect asram.i32[320] = 87360
; expect asram.i32[64] = -63
; expect asram.i32[68] = -61
; expect asram.i32[72] = -59
; expect asram.i32[76] = -57
; expect asram.i32[80] = -55
; expect asram.i32[84] = -53
; expect asram.i32[88] = -51
; expect asram.i32[92] = -49
; expect asram.i32[96] = -47
; expect asram.i32[100] = -45
; expect asram.i32[104] = -43
; expect asram.i32[108] = -41
; expect asram.i32[112] = -39
; expect asram.i32[116] = -37
; expect asram.i32[120] = -35
; expect asram.i32[124] = -33
; expect asram.i32[128] = -31
; expect asram.i32[132] = -29
; expect asram.i32[136] = -27
; expect asram.i32[140] = -25
; expect asram.i32[144] = -23
; expect asram.i32[148] = -21
; expect asram.i32[152] = -19
; expect asram.i32[156] = -17
; expect asram.i32[160] = -15
; expect asram.i32[164] = -13
; expect asram.i32[168] = -11
; expect asram.i32[172] = -9
; expect asram.i32[176] = -7
; expect asram.i32[180] = -5
; expect asram.i32[184] = -3
; expect asram.i32[188] = -1
; expect asram.i32[192] = 1
; expect asram.i32[196] = 3
; expect asram.i32[200] = 5
; expect asram.i32[204] = 7
; expect asram.i32[208] = 9
; expect asram.i32[212] = 11
; expect asram.i32[216] = 13
; expect asram.i32[220] = 15
; expect asram.i32[224] = 17
; expect asram.i32[228] = 19
; expect asram.i32[232] = 21
; expect asram.i32[236] = 23
; expect asram.i32[240] = 25
; expect asram.i32[244] = 27
; expect asram.i32[248] = 29
; expect asram.i32[252] = 31
; expect asram.i32[256] = 33
; expect asram.i32[260] = 35
; expect asram.i32[264] = 37
; expect asram.i32[268] = 39
; expect asram.i32[272] = 41
; expect asram.i32[276] = 43
; expect asram.i32[280] = 45
; expect asram.i32[284] = 47
; expect asram.i32[288] = 49
; expect asram.i32[292] = 51
; expect asram.i32[296] = 53
; expect asram.i32[300] = 55
; expect asram.i32[304] = 57
; expect asram.i32[308] = 59
; expect asram.i32[312] = 61
; expect asram.i32[316] = 63
; Cycles, stall cycles by cause and trit-MAC events (default machine, derived above):
; expect cycles = 482
; expect retired = 286
; expect stall.data = 194
; expect stall.sramPort = 2
; expect stall.bankConflict = 0
; expect stall.branch = 0
; expect stall.dmaQueue = 0
; expect stall.dmaWait = 0
; expect stall.drain = 0
; expect stall.array = 0
; expect trit.add = 64
; expect trit.sub = 64
; expect trit.skip = 3968

; The data below is laid out for tiles of ROWS = 32 rows of VLEN = 64 trits (ROWBYTES = 13): the loader refuses a machine of another shape.
.require vlen, 64
.require rows, 32
.equ VLEN, 64
.equ ROWS, 32
.equ ROWBYTES, 13                   ; ceil(VLEN / 5)
.equ TILE, ROWS * ROWBYTES          ; 416 bytes per ldm
.equ NTILES, 2

        addi  r1, r0, VLEN
        setvl r0, r1                ; vl = 64: use every column
        addi  r5, r0, ROWS          ; r5 = 32, the vl for storing one tile's results
        ldv   v0, [r0 + x]          ; v0 = x, loaded once and reused by both tiles
        addi  r2, r0, W             ; r2 -> current tile in weight SRAM
        addi  r3, r0, y             ; r3 -> where the current tile's results go
        addi  r4, r0, NTILES        ; r4 = 2 iterations

        loop  r4, tiles_done        ; for each row tile:
        ldm   m0, [r2]              ;   m0 = 32 rows x 64 trits (416 bytes)
        azero a0                    ;   clear all 64 lanes of the accumulator
        mmac  a0, m0, v0            ;   a0[r] = row r of the tile . x, r = 0..31
        setvl r0, r5                ;   vl = 32: only lanes 0..31 hold results
        sta   a0, [r3]              ;   store 32 int32 (128 bytes)
        setvl r0, r1                ;   vl = 64 again for the next mmac
        addi  r2, r2, TILE          ;   next tile
        addi  r3, r3, 4 * ROWS      ;   next 32 results
tiles_done:

        ; Check: sum of y[r]^2 with scalar loads in a second hardware loop.
        addi  r3, r0, y             ; r3 -> y[0]
        addi  r4, r0, VLEN          ; 64 values
        add   r6, r0, r0            ; r6 = running sum
        loop  r4, sum_done
        lw    r7, [r3]              ;   r7 = y[r]
        mul   r7, r7, r7            ;   y[r]^2
        add   r6, r6, r7
        addi  r3, r3, 4             ;   next word
sum_done:
        sw    r6, [r0 + checksum]   ; 87360
        halt

; ---------------------------------------------------------------- weight SRAM
; Each .trits line is one full row: 64 trits, written in groups of 5 (one packed byte
; each; the last group has 4, padded with a zero trit), so every row is exactly 13 bytes.
.wdata
W:
; tile 0
        .trits +0000 00000 00000 00000 00000 00000 00000 00000 00000 00000 00000 00000 000-   ; row  0: +x[0] - x[63]
        .trits 0+000 00000 00000 00000 00000 00000 00000 00000 00000 00000 00000 00000 00-0   ; row  1: +x[1] - x[62]
        .trits 00+00 00000 00000 00000 00000 00000 00000 00000 00000 00000 00000 00000 0-00   ; row  2: +x[2] - x[61]
        .trits 000+0 00000 00000 00000 00000 00000 00000 00000 00000 00000 00000 00000 -000   ; row  3: +x[3] - x[60]
        .trits 0000+ 00000 00000 00000 00000 00000 00000 00000 00000 00000 00000 0000- 0000   ; row  4: +x[4] - x[59]
        .trits 00000 +0000 00000 00000 00000 00000 00000 00000 00000 00000 00000 000-0 0000   ; row  5: +x[5] - x[58]
        .trits 00000 0+000 00000 00000 00000 00000 00000 00000 00000 00000 00000 00-00 0000   ; row  6: +x[6] - x[57]
        .trits 00000 00+00 00000 00000 00000 00000 00000 00000 00000 00000 00000 0-000 0000   ; row  7: +x[7] - x[56]
        .trits 00000 000+0 00000 00000 00000 00000 00000 00000 00000 00000 00000 -0000 0000   ; row  8: +x[8] - x[55]
        .trits 00000 0000+ 00000 00000 00000 00000 00000 00000 00000 00000 0000- 00000 0000   ; row  9: +x[9] - x[54]
        .trits 00000 00000 +0000 00000 00000 00000 00000 00000 00000 00000 000-0 00000 0000   ; row 10: +x[10] - x[53]
        .trits 00000 00000 0+000 00000 00000 00000 00000 00000 00000 00000 00-00 00000 0000   ; row 11: +x[11] - x[52]
        .trits 00000 00000 00+00 00000 00000 00000 00000 00000 00000 00000 0-000 00000 0000   ; row 12: +x[12] - x[51]
        .trits 00000 00000 000+0 00000 00000 00000 00000 00000 00000 00000 -0000 00000 0000   ; row 13: +x[13] - x[50]
        .trits 00000 00000 0000+ 00000 00000 00000 00000 00000 00000 0000- 00000 00000 0000   ; row 14: +x[14] - x[49]
        .trits 00000 00000 00000 +0000 00000 00000 00000 00000 00000 000-0 00000 00000 0000   ; row 15: +x[15] - x[48]
        .trits 00000 00000 00000 0+000 00000 00000 00000 00000 00000 00-00 00000 00000 0000   ; row 16: +x[16] - x[47]
        .trits 00000 00000 00000 00+00 00000 00000 00000 00000 00000 0-000 00000 00000 0000   ; row 17: +x[17] - x[46]
        .trits 00000 00000 00000 000+0 00000 00000 00000 00000 00000 -0000 00000 00000 0000   ; row 18: +x[18] - x[45]
        .trits 00000 00000 00000 0000+ 00000 00000 00000 00000 0000- 00000 00000 00000 0000   ; row 19: +x[19] - x[44]
        .trits 00000 00000 00000 00000 +0000 00000 00000 00000 000-0 00000 00000 00000 0000   ; row 20: +x[20] - x[43]
        .trits 00000 00000 00000 00000 0+000 00000 00000 00000 00-00 00000 00000 00000 0000   ; row 21: +x[21] - x[42]
        .trits 00000 00000 00000 00000 00+00 00000 00000 00000 0-000 00000 00000 00000 0000   ; row 22: +x[22] - x[41]
        .trits 00000 00000 00000 00000 000+0 00000 00000 00000 -0000 00000 00000 00000 0000   ; row 23: +x[23] - x[40]
        .trits 00000 00000 00000 00000 0000+ 00000 00000 0000- 00000 00000 00000 00000 0000   ; row 24: +x[24] - x[39]
        .trits 00000 00000 00000 00000 00000 +0000 00000 000-0 00000 00000 00000 00000 0000   ; row 25: +x[25] - x[38]
        .trits 00000 00000 00000 00000 00000 0+000 00000 00-00 00000 00000 00000 00000 0000   ; row 26: +x[26] - x[37]
        .trits 00000 00000 00000 00000 00000 00+00 00000 0-000 00000 00000 00000 00000 0000   ; row 27: +x[27] - x[36]
        .trits 00000 00000 00000 00000 00000 000+0 00000 -0000 00000 00000 00000 00000 0000   ; row 28: +x[28] - x[35]
        .trits 00000 00000 00000 00000 00000 0000+ 0000- 00000 00000 00000 00000 00000 0000   ; row 29: +x[29] - x[34]
        .trits 00000 00000 00000 00000 00000 00000 +00-0 00000 00000 00000 00000 00000 0000   ; row 30: +x[30] - x[33]
        .trits 00000 00000 00000 00000 00000 00000 0+-00 00000 00000 00000 00000 00000 0000   ; row 31: +x[31] - x[32]
; tile 1
        .trits 00000 00000 00000 00000 00000 00000 0-+00 00000 00000 00000 00000 00000 0000   ; row 32: +x[32] - x[31]
        .trits 00000 00000 00000 00000 00000 00000 -00+0 00000 00000 00000 00000 00000 0000   ; row 33: +x[33] - x[30]
        .trits 00000 00000 00000 00000 00000 0000- 0000+ 00000 00000 00000 00000 00000 0000   ; row 34: +x[34] - x[29]
        .trits 00000 00000 00000 00000 00000 000-0 00000 +0000 00000 00000 00000 00000 0000   ; row 35: +x[35] - x[28]
        .trits 00000 00000 00000 00000 00000 00-00 00000 0+000 00000 00000 00000 00000 0000   ; row 36: +x[36] - x[27]
        .trits 00000 00000 00000 00000 00000 0-000 00000 00+00 00000 00000 00000 00000 0000   ; row 37: +x[37] - x[26]
        .trits 00000 00000 00000 00000 00000 -0000 00000 000+0 00000 00000 00000 00000 0000   ; row 38: +x[38] - x[25]
        .trits 00000 00000 00000 00000 0000- 00000 00000 0000+ 00000 00000 00000 00000 0000   ; row 39: +x[39] - x[24]
        .trits 00000 00000 00000 00000 000-0 00000 00000 00000 +0000 00000 00000 00000 0000   ; row 40: +x[40] - x[23]
        .trits 00000 00000 00000 00000 00-00 00000 00000 00000 0+000 00000 00000 00000 0000   ; row 41: +x[41] - x[22]
        .trits 00000 00000 00000 00000 0-000 00000 00000 00000 00+00 00000 00000 00000 0000   ; row 42: +x[42] - x[21]
        .trits 00000 00000 00000 00000 -0000 00000 00000 00000 000+0 00000 00000 00000 0000   ; row 43: +x[43] - x[20]
        .trits 00000 00000 00000 0000- 00000 00000 00000 00000 0000+ 00000 00000 00000 0000   ; row 44: +x[44] - x[19]
        .trits 00000 00000 00000 000-0 00000 00000 00000 00000 00000 +0000 00000 00000 0000   ; row 45: +x[45] - x[18]
        .trits 00000 00000 00000 00-00 00000 00000 00000 00000 00000 0+000 00000 00000 0000   ; row 46: +x[46] - x[17]
        .trits 00000 00000 00000 0-000 00000 00000 00000 00000 00000 00+00 00000 00000 0000   ; row 47: +x[47] - x[16]
        .trits 00000 00000 00000 -0000 00000 00000 00000 00000 00000 000+0 00000 00000 0000   ; row 48: +x[48] - x[15]
        .trits 00000 00000 0000- 00000 00000 00000 00000 00000 00000 0000+ 00000 00000 0000   ; row 49: +x[49] - x[14]
        .trits 00000 00000 000-0 00000 00000 00000 00000 00000 00000 00000 +0000 00000 0000   ; row 50: +x[50] - x[13]
        .trits 00000 00000 00-00 00000 00000 00000 00000 00000 00000 00000 0+000 00000 0000   ; row 51: +x[51] - x[12]
        .trits 00000 00000 0-000 00000 00000 00000 00000 00000 00000 00000 00+00 00000 0000   ; row 52: +x[52] - x[11]
        .trits 00000 00000 -0000 00000 00000 00000 00000 00000 00000 00000 000+0 00000 0000   ; row 53: +x[53] - x[10]
        .trits 00000 0000- 00000 00000 00000 00000 00000 00000 00000 00000 0000+ 00000 0000   ; row 54: +x[54] - x[9]
        .trits 00000 000-0 00000 00000 00000 00000 00000 00000 00000 00000 00000 +0000 0000   ; row 55: +x[55] - x[8]
        .trits 00000 00-00 00000 00000 00000 00000 00000 00000 00000 00000 00000 0+000 0000   ; row 56: +x[56] - x[7]
        .trits 00000 0-000 00000 00000 00000 00000 00000 00000 00000 00000 00000 00+00 0000   ; row 57: +x[57] - x[6]
        .trits 00000 -0000 00000 00000 00000 00000 00000 00000 00000 00000 00000 000+0 0000   ; row 58: +x[58] - x[5]
        .trits 0000- 00000 00000 00000 00000 00000 00000 00000 00000 00000 00000 0000+ 0000   ; row 59: +x[59] - x[4]
        .trits 000-0 00000 00000 00000 00000 00000 00000 00000 00000 00000 00000 00000 +000   ; row 60: +x[60] - x[3]
        .trits 00-00 00000 00000 00000 00000 00000 00000 00000 00000 00000 00000 00000 0+00   ; row 61: +x[61] - x[2]
        .trits 0-000 00000 00000 00000 00000 00000 00000 00000 00000 00000 00000 00000 00+0   ; row 62: +x[62] - x[1]
        .trits -0000 00000 00000 00000 00000 00000 00000 00000 00000 00000 00000 00000 000+   ; row 63: +x[63] - x[0]

; ------------------------------------------------------------ activation SRAM
.adata
x:      .byte 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15
        .byte 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31
        .byte 32, 33, 34, 35, 36, 37, 38, 39, 40, 41, 42, 43, 44, 45, 46, 47
        .byte 48, 49, 50, 51, 52, 53, 54, 55, 56, 57, 58, 59, 60, 61, 62, 63
y:      .space 4 * VLEN
checksum: .word 0
