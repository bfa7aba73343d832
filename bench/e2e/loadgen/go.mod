module loadgen

go 1.26
