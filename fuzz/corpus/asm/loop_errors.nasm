    loop r1, end
end:
    loop r1, .
    jal  r0, . + 100
    halt
; expect error 1:14: 'loop' body is empty
; expect error 3:14: 'loop' body is empty
; expect warning 4:14: target 102 is outside the code (0...4); running it will trap
