//go:build !linux

package main

// hugeHeap asks for huge pages on Linux only (hugeheap_linux.go).
func hugeHeap() {}
