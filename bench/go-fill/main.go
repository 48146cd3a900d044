// A Go program for the guest-store figures in the README (Performance): build it with
//   GOOS=netbsd GOARCH=amd64 CGO_ENABLED=0 go build -o /tmp/fill.netbsd .   (in bench/go-fill)
// and run `node bin/nbemu.js /tmp/fill.netbsd 20` (and its Linux build natively and under qemu).

package main

import (
	"fmt"
	"os"
	"strconv"
)

// Allocates and fills slices: n rounds of 64 slices of 64 KiB of uint64 each, written and summed.
func main() {
	n := 20
	if len(os.Args) > 1 {
		n, _ = strconv.Atoi(os.Args[1])
	}
	var sum uint64
	for r := 0; r < n; r++ {
		var keep [][]uint64
		for i := 0; i < 64; i++ {
			s := make([]uint64, 8192)
			for j := range s {
				s[j] = uint64(r*i + j)
			}
			keep = append(keep, s)
		}
		for _, s := range keep {
			for _, v := range s {
				sum += v
			}
		}
	}
	fmt.Println(sum)
}
