    ha`   halt
.adata
    .bytel