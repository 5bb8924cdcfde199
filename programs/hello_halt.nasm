; hello_halt.nasm - the smallest useful nmp microprogram.
;
; It puts 40 + 2 into scalar register r1 and stops. Use it to try the tool chain:
;
;     nmp asm programs/hello_halt.nasm -o hello.nmc     ; assemble to a microcode image
;     nmp disasm hello.nmc                              ; and read it back as source
;
; Things to notice:
;   * `;` starts a comment, which runs to the end of the line.
;   * Code goes in the .text section, which is the default, so no directive is needed.
;   * r0 always reads as 0, so "addi r1, r0, 40" is how you load a small constant.
;   * Every program ends in `halt`: the machine stops issuing instructions once all
;     outstanding work (DMA transfers, pending register writes) has drained.
;   * Execution starts at the first instruction (code address 0) unless `.entry` says
;     otherwise.
;
; Cycle count (default machine, ISA.md chapter 6):
; Every instruction issues one cycle after the one before; nothing waits:
;   cycle 0  addi r2    r2 ready at 0 + aluLatency 1 = 1
;   cycle 1  addi r1    reads r2, ready at 1: no stall; r1 ready at 2
;   cycle 2  halt       no DMA, every register ready by 2: no drain
; Total = halt's issue cycle + 1 = 3 cycles = 3 instructions + 0 stall cycles.
;
; Expected final state (read by the test harness; register values are signed decimal or
; 0x hex bit patterns):
; expect r1 = 42
; expect r2 = 40
; Cycles, stall cycles by cause and trit-MAC events (default machine, derived above):
; expect cycles = 3
; expect retired = 3
; expect stall.data = 0
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

start:
        addi  r2, r0, 40        ; r2 = 0 + 40
        addi  r1, r2, 2         ; r1 = r2 + 2 = 42
        halt                    ; stop
