rt/
