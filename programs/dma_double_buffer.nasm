; dma_double_buffer.nasm - streaming weight tiles from DRAM with double buffering.
;
; Weight SRAM is small and DRAM is slow, so a real layer streams its weight tiles in
; while it computes. With two buffers in weight SRAM ("ping-pong"), the DMA engine fills
; one buffer with tile k+1 while mmac works on tile k from the other; then they swap:
;
;     time ->   DMA:    [tile0 -> A] [tile1 -> B] [tile2 -> A] [tile3 -> B]
;               compute:             [tile0 in A] [tile1 in B] [tile2 in A] [tile3 in B]
;
; DMA instructions only enqueue a transfer and return at once; the transfer runs in the
; background. `dwait n` stalls until at most n transfers are still outstanding. This
; program assumes, as in-order DMA engines do, that transfers complete in the order they
; were issued, so after issuing the prefetch of tile k+1, `dwait 1` means "everything
; except the newest transfer is done", in particular tile k has landed.
;
;   dmaa rA, rD, rN:  activation SRAM [x[rA] ..] <- DRAM [x[rD] ..], x[rN] bytes
;   dmaw rW, rD, rN:  weight SRAM [x[rW] ..]     <- DRAM [x[rD] ..], x[rN] bytes
;   dmas rD, rA, rN:  DRAM [x[rD] ..]            <- activation SRAM [x[rA] ..]
;
; The computation: 4 tiles, each with 5 non-zero rows of 5 trits (rows 5..31 are zero),
; so together a 20 x 5 matrix; x = [1, 2, 4, 8, 16]. With powers of two as inputs, a
; row's result is the row read as a signed binary number with digits -1/0/+1 (lane 0 is
; the 1s digit): "-00+0" = -1 + 8 = 7. The rows are chosen so that output row i
; (tile i / 5, row i % 5) is i + 1: the whole output is 1, 2, ..., 20.
;
; Data layout
;   DRAM             0..4     x_dram: the 5 int8 activations
;                   16..1679  tiles: 4 tiles of 32 rows x 13 bytes = 416 bytes each
;                 1680..1759  y_dram: 20 int32 results, written back by dmas
;   weight SRAM      0..415   buffer A (tiles 0 and 2)
;                  416..831   buffer B (tiles 1 and 3)
;   activation SRAM  0..7     x
;                   16..95    y: 5 int32 results per tile, 20 bytes per tile
;
; Cycle count (default machine, ISA.md chapter 6):
; The DMA engine is pipelined (ISA.md 6.5): a transfer enqueued at t has its data flowing
; from max(t + 1 + dmaLatency 100, end of the previous transfer) for ceil(n / 64) cycles:
; 1 for x (8 bytes) or a result block (20 bytes), 7 for a tile (416 bytes). So each
; transfer's latency overlaps the ones before it, and the DMA latency of a transfer
; enqueued late, not the bandwidth, sets the pace. A transfer is outstanding until its
; end. The queue never holds more than 3 transfers, so no dmaQueue stall.
; Setup, cycles 0..15: 16 instructions. dmaa x at 5: flow 106, end 107; dmaw tile 0 at
;   10: flow max(111, 107) = 111, end 118 ................................... 16 cycles
; dwait 1 at 16: 2 outstanding until x lands at 107 (dmaWait 91), issues at 107; ldv v0
;   at 108 (5 bytes, 1 cycle) ............................. 91 + 1 + 1 = 93 cycles
; Compute block (ldm ... bne), the same in every iteration: ldm 2 cycles (416 bytes over
;   the weight SRAM's 32 banks, at most 2 words per bank = ideal ceil(416 / 256): sramPort
;   1; m0 ready 3 cycles after its last access); azero; mmac waits 1 for m0 (data 1); sta
;   waits 1 for a0 (mmacLatency 2: data 1; 20 bytes, 1 cycle); dmas (the 8th cycle of the
;   block); 5 scalar instructions; bne: 11 instructions + 1 sramPort + 2 data = 14 cycles,
;   + branch 2 when bne is taken.
; Iteration 1 (tile 0), cycles 109..137: addi, beq (not taken), dmaw tile 1 at 111
;   (flow max(212, 118), end 219), addi; dwait 1 at 113 waits for tile 0 until 118
;   (dmaWait 5); jal at 119 (branch 2); compute 122..135, its dmas at 129 (flow
;   max(230, 219), end 231); bne taken (branch 2) ..... 4 + 5 + 1 + (1 + 2) + 14 + 2
;   = 29 cycles
; Iterations 2 and 3 (tiles 1, 2), cycles 138..250 and 251..363: the same, but dwait 1
;   waits 89 cycles: the previous tile's dmas was enqueued before this iteration's
;   prefetch, so "all but the newest" includes it, and its 100 cycles of latency began
;   only at its enqueue (iteration 2: dwait at 142, dmas ends 231; iteration 3: at 255,
;   344) ................................ 2 x (4 + 89 + 1 + (1 + 2) + 14 + 2) = 226 cycles
; Iteration 4 (tile 3), cycles 364..471: addi, beq taken (branch 2); dwait 0 at 368 waits
;   for the tile 2 dmas (end 457; tile 3 ended at 361): dmaWait 89; compute 458..471, its
;   dmas at 465 (flow 566, end 567); bne not taken ...... (1 + 1 + 2) + 89 + 1 + 14
;   = 108 cycles
; End: dwait 0 at 472 waits for the last dmas until 567 (dmaWait 95); halt at 568, with
;   nothing left to drain .................................... 95 + 1 + 1 = 97 cycles
; Total = 16 + 93 + 29 + 226 + 108 + 97 = 569 cycles = 85 instructions (16 + 2 + 3 x 17
; + 14 + 2) + 484 stall cycles: dmaWait 458 (91 + 5 + 2 x 89 + 89 + 95), branch 14 (jal
; and bne in iterations 1..3, beq in iteration 4), sramPort 4 (4 x 1), data 8 (4 x 2).
; Trit-MAC events: 4 mmac x ROWS 32 x vl 5 = 640; the non-zero trits of rows 0..4 are
; +1: 6 + 7 + 6 + 9 = 28 and -1: 1 + 2 + 6 + 1 = 10 (tiles 0..3); 602 skips.
;
; Expected final state (byte addresses; signed decimal or 0x hex). The buffers end up
; holding the last two tiles. Base 3 packs trit i of a byte as the digit t mod 3 (0 -> 0,
; +1 -> 1, -1 -> 2) times 3^i, so row 0 of tile 2 ("-0-0+", 11) packs to
; 2 + 0 + 18 + 0 + 81 = 101 = 0x65, and row 0 of tile 3 ("0000+", 16) to 81 = 0x51.
; expect r10 = 0
; expect wsram.u8[0] = 0x65
; expect wsram.u8[416] = 0x51
; expect dram.i32[1680] = 1
; expect dram.i32[1684] = 2
; expect dram.i32[1688] = 3
; expect dram.i32[1692] = 4
; expect dram.i32[1696] = 5
; expect dram.i32[1700] = 6
; expect dram.i32[1704] = 7
; expect dram.i32[1708] = 8
; expect dram.i32[1712] = 9
; expect dram.i32[1716] = 10
; expect dram.i32[1720] = 11
; expect dram.i32[1724] = 12
; expect dram.i32[1728] = 13
; expect dram.i32[1732] = 14
; expect dram.i32[1736] = 15
; expect dram.i32[1740] = 16
; expect dram.i32[1744] = 17
; expect dram.i32[1748] = 18
; expect dram.i32[1752] = 19
; expect dram.i32[1756] = 20
; expect asram.i32[16] = 1
; expect asram.i32[20] = 2
; expect asram.i32[24] = 3
; expect asram.i32[28] = 4
; expect asram.i32[32] = 5
; expect asram.i32[36] = 6
; expect asram.i32[40] = 7
; expect asram.i32[44] = 8
; expect asram.i32[48] = 9
; expect asram.i32[52] = 10
; expect asram.i32[56] = 11
; expect asram.i32[60] = 12
; expect asram.i32[64] = 13
; expect asram.i32[68] = 14
; expect asram.i32[72] = 15
; expect asram.i32[76] = 16
; expect asram.i32[80] = 17
; expect asram.i32[84] = 18
; expect asram.i32[88] = 19
; expect asram.i32[92] = 20
; Cycles, stall cycles by cause and trit-MAC events (default machine, derived above):
; expect cycles = 569
; expect retired = 85
; expect stall.data = 8
; expect stall.sramPort = 4
; expect stall.bankConflict = 0
; expect stall.branch = 14
; expect stall.dmaQueue = 0
; expect stall.dmaWait = 458
; expect stall.drain = 0
; expect stall.array = 0
; expect trit.add = 28
; expect trit.sub = 10
; expect trit.skip = 602

; The data below is laid out for tiles of ROWS = 32 rows of VLEN = 64 trits (ROWBYTES = 13): the loader refuses a machine of another shape.
.require vlen, 64
.require rows, 32
.equ N, 5                       ; active lanes (columns)
.equ ROWS, 32
.equ ROWBYTES, 13
.equ TILE, ROWS * ROWBYTES      ; 416 bytes per tile
.equ NTILES, 4
.equ OUTBYTES, 4 * N            ; 20 bytes of int32 results per tile

        addi  r1, r0, N
        setvl r0, r1            ; vl = 5

; Start both first transfers: the activations, then tile 0 into buffer A.
        addi  r2, r0, x_dram    ; DRAM source
        addi  r3, r0, x         ; activation SRAM destination
        addi  r4, r0, 8         ; 8 bytes (5 used)
        dmaa  r3, r2, r4        ; queue: [x]
        addi  r6, r0, TILE      ; r6 = bytes per tile
        addi  r7, r0, bufA      ; r7 = buffer holding the tile to compute next
        addi  r8, r0, bufB      ; r8 = the other buffer (the prefetch target)
        addi  r9, r0, tiles     ; r9 = DRAM address of the next tile to fetch
        dmaw  r7, r9, r6        ; queue: [x, tile0 -> A]
        addi  r9, r9, TILE
        addi  r10, r0, NTILES   ; r10 = tiles still to compute
        addi  r11, r0, y        ; r11 = where this tile's results go (activation SRAM)
        addi  r12, r0, y_dram   ; r12 = where they go in DRAM
        addi  r13, r0, OUTBYTES
        dwait 1                 ; x has arrived (tile 0 may still be in flight)
        ldv   v0, [r3]          ; v0 = x = [1, 2, 4, 8, 16]

tile_loop:
        addi  r10, r10, -1      ; r10 = tiles left after this one
        beq   r10, r0, last_tile
        dmaw  r8, r9, r6        ; prefetch tile k+1 into the other buffer. Safe: the
                                ; tile that buffer held was copied into m0 by ldm
                                ; during the previous iteration.
        addi  r9, r9, TILE
        dwait 1                 ; everything but this prefetch is done: tile k is in
        jal   r0, compute       ; (an unconditional jump: the link goes to r0)
last_tile:
        dwait 0                 ; no prefetch: just wait for tile k
compute:
        ldm   m0, [r7]          ; copy tile k out of its buffer into m0
        azero a0
        mmac  a0, m0, v0        ; a0[r] = row r . x
        sta   a0, [r11]         ; 5 int32 results (vl = 5)
        dmas  r12, r11, r13     ; write them to DRAM in the background
        addi  r11, r11, OUTBYTES
        addi  r12, r12, OUTBYTES
        add   r14, r7, r0       ; swap the buffers: r7 <-> r8
        add   r7, r8, r0
        add   r8, r14, r0
        bne   r10, r0, tile_loop

        dwait 0                 ; wait for the last result transfer (halt would also
                                ; wait for it, but saying so makes the intent clear)
        halt

; ---------------------------------------------------------------- weight SRAM
.wdata
bufA:   .space TILE             ; two empty tile buffers (0x00 bytes = zero trits)
bufB:   .space TILE

; ------------------------------------------------------------ activation SRAM
.adata
x:      .space 8
        .align 16
y:      .space NTILES * OUTBYTES

; ------------------------------------------------------------------------ DRAM
; .trits works in any data section; DRAM holds the packed tiles until dmaw copies them.
; Each row is one packed byte of 5 trits, then .org pads it to 13 bytes with 0x00 bytes,
; which are zero trits; rows 5..31 of every tile are all zero bytes.
.ddata
x_dram: .byte 1, 2, 4, 8, 16
        .align 16
tiles:
tile0:  .trits +0000                    ; row 0: 1
        .org  tile0 + 1 * ROWBYTES
        .trits 0+000                    ; row 1: 2
        .org  tile0 + 2 * ROWBYTES
        .trits -0+00                    ; row 2: -1 + 4 = 3
        .org  tile0 + 3 * ROWBYTES
        .trits 00+00                    ; row 3: 4
        .org  tile0 + 4 * ROWBYTES
        .trits +0+00                    ; row 4: 1 + 4 = 5
        .org  tile0 + TILE
tile1:  .trits 0-0+0                    ; row 0: -2 + 8 = 6
        .org  tile1 + 1 * ROWBYTES
        .trits -00+0                    ; row 1: -1 + 8 = 7
        .org  tile1 + 2 * ROWBYTES
        .trits 000+0                    ; row 2: 8
        .org  tile1 + 3 * ROWBYTES
        .trits +00+0                    ; row 3: 1 + 8 = 9
        .org  tile1 + 4 * ROWBYTES
        .trits 0+0+0                    ; row 4: 2 + 8 = 10
        .org  tile1 + TILE
tile2:  .trits -0-0+                    ; row 0: -1 - 4 + 16 = 11
        .org  tile2 + 1 * ROWBYTES
        .trits 00-0+                    ; row 1: -4 + 16 = 12
        .org  tile2 + 2 * ROWBYTES
        .trits +0-0+                    ; row 2: 1 - 4 + 16 = 13
        .org  tile2 + 3 * ROWBYTES
        .trits 0-00+                    ; row 3: -2 + 16 = 14
        .org  tile2 + 4 * ROWBYTES
        .trits -000+                    ; row 4: -1 + 16 = 15
        .org  tile2 + TILE
tile3:  .trits 0000+                    ; row 0: 16
        .org  tile3 + 1 * ROWBYTES
        .trits +000+                    ; row 1: 1 + 16 = 17
        .org  tile3 + 2 * ROWBYTES
        .trits 0+00+                    ; row 2: 2 + 16 = 18
        .org  tile3 + 3 * ROWBYTES
        .trits -0+0+                    ; row 3: -1 + 4 + 16 = 19
        .org  tile3 + 4 * ROWBYTES
        .trits 00+0+                    ; row 4: 4 + 16 = 20
        .org  tile3 + TILE
y_dram: .space NTILES * OUTBYTES
