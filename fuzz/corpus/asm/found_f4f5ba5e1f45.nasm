    loop r1, end
end:
    loop r1, .
    jal  r0, . + 100
        a0lm0t
.ad; expect error 4:11: &.text' takes no operands
he code (0...4); runn.align will trap
