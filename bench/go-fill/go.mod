module fill

go 1.19
