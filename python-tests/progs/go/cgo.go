// SPDX-License-Identifier: Apache-2.0

//go:build cgo

// Only with CGO_ENABLED=1: a cgo file makes the binary dynamically linked (PT_INTERP, libc),
// as real Go services with cgo are; the reads in main.go stay raw system calls.
package main

// #include <unistd.h>
import "C"

var _ = C.getpid
