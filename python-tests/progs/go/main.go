// SPDX-License-Identifier: Apache-2.0

// A job for python-tests/test_view.py: for each path, one line "PATH size=N data=HEX" or
// "PATH ERR MESSAGE". Go opens and stats files with raw system calls, never through libc, so
// LD_PRELOAD cannot serve it: only a file the kernel itself serves reaches it. Built twice: with
// CGO_ENABLED=0 (a static binary) and with CGO_ENABLED=1, where cgo.go makes it a dynamic one.
package main

import (
	"encoding/hex"
	"fmt"
	"os"
)

func main() {
	for _, p := range os.Args[1:] {
		st, err := os.Stat(p)
		if err != nil {
			fmt.Printf("%s ERR %v\n", p, err)
			continue
		}
		data, err := os.ReadFile(p)
		if err != nil {
			fmt.Printf("%s ERR %v\n", p, err)
			continue
		}
		fmt.Printf("%s size=%d data=%s\n", p, st.Size(), hex.EncodeToString(data))
	}
}
