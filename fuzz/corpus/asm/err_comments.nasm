

; only comments
