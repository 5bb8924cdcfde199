halt
addÿ r1
Ã(
