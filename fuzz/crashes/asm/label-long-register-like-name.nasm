r1234567: halt
