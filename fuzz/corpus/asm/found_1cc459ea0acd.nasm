halt
add)loop 1
r+(
