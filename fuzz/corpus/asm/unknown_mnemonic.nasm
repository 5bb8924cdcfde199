; An unknown mnemonic gets a suggestion when one is close.
    ad r1, r2, r3
    HALT
    frobnicate r1
; expect error 2:5: unknown instruction 'ad'
; expect error 3:5: unknown instruction 'HALT'
; expect error 4:5: unknown instruction 'frobnicate'
