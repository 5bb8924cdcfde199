; gemm_prompt.nasm - one row block of a BitLinear over a prompt of 4 tokens with mgemm:
; each weight tile is read once and the 4 tokens' int8 vectors stream past it.
;
; Decoding one token multiplies each tile with one vector (`mmac`, or `mgemm` with N = 1).
; A prompt has many tokens, and re-reading every tile for each of them would waste the
; weight SRAM's port. `mgemm ad, ae, rw, rx` (ISA.md 7.8, timing 6.12) multiplies the tile
; at x[rw] with N = e - d + 1 int8 vectors at x[rx], x[rx] + VLEN, ... and adds each vector's
; ROWS sums into its own accumulator, ad ... ae; then it advances rw to the next tile and rx
; to the next N vectors. It holds the issue stage for one cycle: the ternary array works on
; the products from its queue while the core goes on. `mgemz` is the same but overwrites the accumulators, for a row block's
; first column chunk. So the int8 codes are stored chunk-major: chunk c of token t at
; (c * N + t) * VLEN, and the tiles of a row block one after the other.
;
;     mgemz a4, a7, r1, r2: a(4+t)[r] = tile0[r] . x_t[0..63]       (t = 0..3, r = 0..31)
;     mgemm a4, a7, r1, r2: a(4+t)[r] += tile1[r] . x_t[64..127]
;
; The numbers: W is 32 x 128, row r with +1 in column r and -1 in column 64 + r; token t
; has x_t[l] = l for l < 64 and x_t[64 + l] = 10 t, so y_t[r] = x_t[r] - x_t[64 + r] = r - 10 t.
;
; Data layout
;   weight SRAM      0..415   tile 0: chunk 0 (columns 0..63) of rows 0..31, 13 bytes a row
;                  416..831   tile 1: chunk 1 (columns 64..127)
;   activation SRAM  0..255   chunk 0 of tokens 0..3, 64 int8 each
;                  256..511   chunk 1 of tokens 0..3
;                  512..1023  y: token t's 32 int32 at 512 + 128 t
;
; Cycle count (default machine, ISA.md chapter 6 and 6.12):
;    0  addi r1; 1 addi r2        r2 ready at 2
;    2  mgemz a4, a7, r1, r2      tile 0: 416 bytes at 0 = words 0..51 over 32 banks, banks
;                                 0..19 twice: 2 cycles; 4 vectors of 64 aligned bytes (8
;                                 words over 16 banks): 1 cycle each, 4; k = max(2, 4) = 4;
;                                 the array starts it at 2 (idle, a4..a7 ready): cycles
;                                 2..5, end 6; r1 = 416, r2 = 256 ready at 3; a4..a7 ready
;                                 at 5 + 2 + 1 + 2 = 10
;    3  mgemm a4, a7, r1, r2      one issue cycle; tile 1 at 416 = words 52..103, at most 2
;                                 per bank: 2; vectors at 256, 320, 384, 448: 4; k = 4; the
;                                 array starts it at max(3, end 6, a4..a7 ready 10 - (3 + 3))
;                                 = 6: cycles 6..9, end 10; r1 = 832, r2 = 512 ready at 4;
;                                 a4..a7 ready at 9 + 5 = 14
;    4  addi r3; 5 setvl          vl = 32 ready at 6
;   14  sta a4, [y]               could issue at 6; a4 ready at 14 (data 8); 128 bytes at
;                                 512 = words 64..79, one per bank: 1 cycle; no product
;                                 reads them (the last one read asram 256..511)
;   15  sta a5; 16 sta a6; 17 sta a7 (1 cycle each)
;   18  halt                      everything ready, the array done at 10: no drain
; Total = 18 + 1 = 19 cycles = 11 instructions + 8 stall cycles: data 8. The array was busy
; in cycles 2..9 while the core issued the products and set up the stores.
; Trit-MAC events: 2 instructions x N 4 x ROWS 32 x vl 64 = 16,384: tile 0 meets each token
; with one +1 per row (4 x 32 = 128 adds), tile 1 with one -1 per row (128 subtracts), and
; 16,384 - 256 = 16,128 skips.
;
; Expected final state (byte addresses; signed decimal values):
; expect r1 = 832
; expect r2 = 512
; expect asram.i32[512] = 0
; expect asram.i32[516] = 1
; expect asram.i32[636] = 31
; expect asram.i32[640] = -10
; expect asram.i32[764] = 21
; expect asram.i32[768] = -20
; expect asram.i32[896] = -30
; expect asram.i32[916] = -25
; expect asram.i32[1020] = 1
; Cycles, stall cycles by cause and trit-MAC events (default machine, derived above):
; expect cycles = 19
; expect retired = 11
; expect stall.data = 8
; expect stall.sramPort = 0
; expect stall.bankConflict = 0
; expect stall.branch = 0
; expect stall.dmaQueue = 0
; expect stall.dmaWait = 0
; expect stall.drain = 0
; expect stall.array = 0
; expect trit.add = 128
; expect trit.sub = 128
; expect trit.skip = 16128

; The data below is laid out for tiles of ROWS = 32 rows of VLEN = 64 trits (ROWBYTES = 13): the loader refuses a machine of another shape.
.require vlen, 64
.require rows, 32
.equ VLEN, 64
.equ ROWS, 32
.equ TOKENS, 4

        addi  r1, r0, W             ; r1 -> tile 0 of the row block
        addi  r2, r0, x             ; r2 -> chunk 0 of the 4 tokens
        mgemz a4, a7, r1, r2           ; a4..a7 = tile 0 . chunk 0 of tokens 0..3
        mgemm a4, a7, r1, r2           ; a4..a7 += tile 1 . chunk 1 (the pointers moved on)
        addi  r3, r0, ROWS
        setvl r0, r3                ; vl = 32: the row sums are in lanes 0..31
        sta   a4, [r0 + y]          ; token 0
        sta   a5, [r0 + y + 4 * ROWS]
        sta   a6, [r0 + y + 8 * ROWS]
        sta   a7, [r0 + y + 12 * ROWS]
        halt

; ---------------------------------------------------------------- weight SRAM
; Each .trits line is one full row: 64 trits in groups of 5 (one packed byte each; the last
; group has 4, padded with a zero trit), so every row is exactly 13 bytes.
.wdata
W:
; tile 0: chunk 0 (columns 0..63) of row block 0: row r has +1 in lane r
        .trits +0000 00000 00000 00000 00000 00000 00000 00000 00000 00000 00000 00000 0000   ; row  0
        .trits 0+000 00000 00000 00000 00000 00000 00000 00000 00000 00000 00000 00000 0000   ; row  1
        .trits 00+00 00000 00000 00000 00000 00000 00000 00000 00000 00000 00000 00000 0000   ; row  2
        .trits 000+0 00000 00000 00000 00000 00000 00000 00000 00000 00000 00000 00000 0000   ; row  3
        .trits 0000+ 00000 00000 00000 00000 00000 00000 00000 00000 00000 00000 00000 0000   ; row  4
        .trits 00000 +0000 00000 00000 00000 00000 00000 00000 00000 00000 00000 00000 0000   ; row  5
        .trits 00000 0+000 00000 00000 00000 00000 00000 00000 00000 00000 00000 00000 0000   ; row  6
        .trits 00000 00+00 00000 00000 00000 00000 00000 00000 00000 00000 00000 00000 0000   ; row  7
        .trits 00000 000+0 00000 00000 00000 00000 00000 00000 00000 00000 00000 00000 0000   ; row  8
        .trits 00000 0000+ 00000 00000 00000 00000 00000 00000 00000 00000 00000 00000 0000   ; row  9
        .trits 00000 00000 +0000 00000 00000 00000 00000 00000 00000 00000 00000 00000 0000   ; row 10
        .trits 00000 00000 0+000 00000 00000 00000 00000 00000 00000 00000 00000 00000 0000   ; row 11
        .trits 00000 00000 00+00 00000 00000 00000 00000 00000 00000 00000 00000 00000 0000   ; row 12
        .trits 00000 00000 000+0 00000 00000 00000 00000 00000 00000 00000 00000 00000 0000   ; row 13
        .trits 00000 00000 0000+ 00000 00000 00000 00000 00000 00000 00000 00000 00000 0000   ; row 14
        .trits 00000 00000 00000 +0000 00000 00000 00000 00000 00000 00000 00000 00000 0000   ; row 15
        .trits 00000 00000 00000 0+000 00000 00000 00000 00000 00000 00000 00000 00000 0000   ; row 16
        .trits 00000 00000 00000 00+00 00000 00000 00000 00000 00000 00000 00000 00000 0000   ; row 17
        .trits 00000 00000 00000 000+0 00000 00000 00000 00000 00000 00000 00000 00000 0000   ; row 18
        .trits 00000 00000 00000 0000+ 00000 00000 00000 00000 00000 00000 00000 00000 0000   ; row 19
        .trits 00000 00000 00000 00000 +0000 00000 00000 00000 00000 00000 00000 00000 0000   ; row 20
        .trits 00000 00000 00000 00000 0+000 00000 00000 00000 00000 00000 00000 00000 0000   ; row 21
        .trits 00000 00000 00000 00000 00+00 00000 00000 00000 00000 00000 00000 00000 0000   ; row 22
        .trits 00000 00000 00000 00000 000+0 00000 00000 00000 00000 00000 00000 00000 0000   ; row 23
        .trits 00000 00000 00000 00000 0000+ 00000 00000 00000 00000 00000 00000 00000 0000   ; row 24
        .trits 00000 00000 00000 00000 00000 +0000 00000 00000 00000 00000 00000 00000 0000   ; row 25
        .trits 00000 00000 00000 00000 00000 0+000 00000 00000 00000 00000 00000 00000 0000   ; row 26
        .trits 00000 00000 00000 00000 00000 00+00 00000 00000 00000 00000 00000 00000 0000   ; row 27
        .trits 00000 00000 00000 00000 00000 000+0 00000 00000 00000 00000 00000 00000 0000   ; row 28
        .trits 00000 00000 00000 00000 00000 0000+ 00000 00000 00000 00000 00000 00000 0000   ; row 29
        .trits 00000 00000 00000 00000 00000 00000 +0000 00000 00000 00000 00000 00000 0000   ; row 30
        .trits 00000 00000 00000 00000 00000 00000 0+000 00000 00000 00000 00000 00000 0000   ; row 31
; tile 1: chunk 1 (columns 64..127): row r has -1 in lane r (column 64 + r)
        .trits -0000 00000 00000 00000 00000 00000 00000 00000 00000 00000 00000 00000 0000   ; row  0
        .trits 0-000 00000 00000 00000 00000 00000 00000 00000 00000 00000 00000 00000 0000   ; row  1
        .trits 00-00 00000 00000 00000 00000 00000 00000 00000 00000 00000 00000 00000 0000   ; row  2
        .trits 000-0 00000 00000 00000 00000 00000 00000 00000 00000 00000 00000 00000 0000   ; row  3
        .trits 0000- 00000 00000 00000 00000 00000 00000 00000 00000 00000 00000 00000 0000   ; row  4
        .trits 00000 -0000 00000 00000 00000 00000 00000 00000 00000 00000 00000 00000 0000   ; row  5
        .trits 00000 0-000 00000 00000 00000 00000 00000 00000 00000 00000 00000 00000 0000   ; row  6
        .trits 00000 00-00 00000 00000 00000 00000 00000 00000 00000 00000 00000 00000 0000   ; row  7
        .trits 00000 000-0 00000 00000 00000 00000 00000 00000 00000 00000 00000 00000 0000   ; row  8
        .trits 00000 0000- 00000 00000 00000 00000 00000 00000 00000 00000 00000 00000 0000   ; row  9
        .trits 00000 00000 -0000 00000 00000 00000 00000 00000 00000 00000 00000 00000 0000   ; row 10
        .trits 00000 00000 0-000 00000 00000 00000 00000 00000 00000 00000 00000 00000 0000   ; row 11
        .trits 00000 00000 00-00 00000 00000 00000 00000 00000 00000 00000 00000 00000 0000   ; row 12
        .trits 00000 00000 000-0 00000 00000 00000 00000 00000 00000 00000 00000 00000 0000   ; row 13
        .trits 00000 00000 0000- 00000 00000 00000 00000 00000 00000 00000 00000 00000 0000   ; row 14
        .trits 00000 00000 00000 -0000 00000 00000 00000 00000 00000 00000 00000 00000 0000   ; row 15
        .trits 00000 00000 00000 0-000 00000 00000 00000 00000 00000 00000 00000 00000 0000   ; row 16
        .trits 00000 00000 00000 00-00 00000 00000 00000 00000 00000 00000 00000 00000 0000   ; row 17
        .trits 00000 00000 00000 000-0 00000 00000 00000 00000 00000 00000 00000 00000 0000   ; row 18
        .trits 00000 00000 00000 0000- 00000 00000 00000 00000 00000 00000 00000 00000 0000   ; row 19
        .trits 00000 00000 00000 00000 -0000 00000 00000 00000 00000 00000 00000 00000 0000   ; row 20
        .trits 00000 00000 00000 00000 0-000 00000 00000 00000 00000 00000 00000 00000 0000   ; row 21
        .trits 00000 00000 00000 00000 00-00 00000 00000 00000 00000 00000 00000 00000 0000   ; row 22
        .trits 00000 00000 00000 00000 000-0 00000 00000 00000 00000 00000 00000 00000 0000   ; row 23
        .trits 00000 00000 00000 00000 0000- 00000 00000 00000 00000 00000 00000 00000 0000   ; row 24
        .trits 00000 00000 00000 00000 00000 -0000 00000 00000 00000 00000 00000 00000 0000   ; row 25
        .trits 00000 00000 00000 00000 00000 0-000 00000 00000 00000 00000 00000 00000 0000   ; row 26
        .trits 00000 00000 00000 00000 00000 00-00 00000 00000 00000 00000 00000 00000 0000   ; row 27
        .trits 00000 00000 00000 00000 00000 000-0 00000 00000 00000 00000 00000 00000 0000   ; row 28
        .trits 00000 00000 00000 00000 00000 0000- 00000 00000 00000 00000 00000 00000 0000   ; row 29
        .trits 00000 00000 00000 00000 00000 00000 -0000 00000 00000 00000 00000 00000 0000   ; row 30
        .trits 00000 00000 00000 00000 00000 00000 0-000 00000 00000 00000 00000 00000 0000   ; row 31

; ------------------------------------------------------------ activation SRAM
.adata
; chunk 0 of tokens 0..3 (64 bytes each): x_t[l] = l
x:      .byte 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15
        .byte 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31
        .byte 32, 33, 34, 35, 36, 37, 38, 39, 40, 41, 42, 43, 44, 45, 46, 47
        .byte 48, 49, 50, 51, 52, 53, 54, 55, 56, 57, 58, 59, 60, 61, 62, 63
        .byte 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15
        .byte 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31
        .byte 32, 33, 34, 35, 36, 37, 38, 39, 40, 41, 42, 43, 44, 45, 46, 47
        .byte 48, 49, 50, 51, 52, 53, 54, 55, 56, 57, 58, 59, 60, 61, 62, 63
        .byte 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15
        .byte 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31
        .byte 32, 33, 34, 35, 36, 37, 38, 39, 40, 41, 42, 43, 44, 45, 46, 47
        .byte 48, 49, 50, 51, 52, 53, 54, 55, 56, 57, 58, 59, 60, 61, 62, 63
        .byte 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15
        .byte 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31
        .byte 32, 33, 34, 35, 36, 37, 38, 39, 40, 41, 42, 43, 44, 45, 46, 47
        .byte 48, 49, 50, 51, 52, 53, 54, 55, 56, 57, 58, 59, 60, 61, 62, 63
; chunk 1 of tokens 0..3: x_t[64 + l] = 10 t
        .space 64, 0
        .space 64, 10
        .space 64, 20
        .space 64, 30
y:      .space 4 * ROWS * TOKENS
