halt
adite
