; The loop ends on the last instruction: after it, execution runs past the code.
        addi  r1, r0, 3
        loop  r1, done
        addi  r2, r2, 1
done:
; expect warning 4:9: execution can run past the last instruction ('addi' is not 'halt' or a jump); the machine then traps at pc 3
