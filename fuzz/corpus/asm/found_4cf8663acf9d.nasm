

lY error ts
