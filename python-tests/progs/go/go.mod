module bpteeview

go 1.19
