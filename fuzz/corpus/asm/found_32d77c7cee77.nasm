srai

sra[ly comm nt""