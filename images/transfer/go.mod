module sluice.dev/transfer

go 1.26
