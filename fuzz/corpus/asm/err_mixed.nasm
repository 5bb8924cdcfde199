r1: halt
m9:
    add r1 r2
    ldv v1, [v2 + 1]
    ldv v1, [r1 +]
    addi r1, r0, "str"
    addi r1, r0, -0x8000000000000000
    addi r1, r0, -(-9223372036854775807 - 1)
    addi r1, r0, 9223372036854775807 * 2
    addi r1, r0, (-9223372036854775807 - 1) / -1
    addi r1, r0, 1 >> -1
    addi r1, r0, 0t+++++++++++++++++++++++++++++++++++++++++++
    addi r1, r0, 12ab
    addi r1, r0, 0x
    addi r1, r0, 0b102
    addi r1, r0, < 3
    addi r1, r0, ''
    addi r1, r0, '\x4'
    addi r1, r0, 'é'
    .equ
    .equ 5, 5
    .entry
    .entry nowhere
    .entry start
    .entry start
    .packing 3bit
    .packing base3
    .packing 2bit
    .
    label: label2: nop
    x: y: .org
    é
