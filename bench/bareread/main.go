// Command bareread is the comparison's upper bound: it reads every packet of
// a capture with gopacket's pcapgo ZeroCopyReadPacketData and does nothing
// else, so no analyser reading the same file can be faster.
//
//	bareread FILE
//
// It prints one line: "packets N bytes N file_bytes N", where bytes is the
// sum of the captured lengths.
package main

import (
	"bufio"
	"fmt"
	"io"
	"os"

	"github.com/google/gopacket/pcapgo"
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: bareread FILE")
		os.Exit(2)
	}
	packets, bytes, size, err := count(os.Args[1])
	if err != nil {
		fmt.Fprintln(os.Stderr, "bareread:", err)
		os.Exit(1)
	}
	fmt.Printf("packets %d bytes %d file_bytes %d\n", packets, bytes, size)
}

func count(name string) (packets, bytes, size int64, err error) {
	f, err := os.Open(name)
	if err != nil {
		return 0, 0, 0, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return 0, 0, 0, err
	}
	// A large buffer so that read system calls cost as little as they can.
	br := bufio.NewReaderSize(f, 1<<20)
	magic, err := br.Peek(4)
	if err != nil {
		return 0, 0, 0, fmt.Errorf("%s: too short for a capture", name)
	}
	next, err := packetSource(br, magic)
	if err != nil {
		return 0, 0, 0, fmt.Errorf("%s: %v", name, err)
	}
	for {
		n, err := next()
		if err == io.EOF {
			return packets, bytes, st.Size(), nil
		}
		if err != nil {
			return packets, bytes, st.Size(), fmt.Errorf("%s: packet %d: %v", name, packets+1, err)
		}
		packets++
		bytes += int64(n)
	}
}

// packetSource returns a function that reads the next packet and returns its
// captured length, for a pcap or a pcapng file.
func packetSource(r io.Reader, magic []byte) (func() (int, error), error) {
	if string(magic) == "\x0a\x0d\x0d\x0a" {
		ng, err := pcapgo.NewNgReader(r, pcapgo.DefaultNgReaderOptions)
		if err != nil {
			return nil, err
		}
		return func() (int, error) {
			data, _, err := ng.ZeroCopyReadPacketData()
			return len(data), err
		}, nil
	}
	pr, err := pcapgo.NewReader(r)
	if err != nil {
		return nil, err
	}
	return func() (int, error) {
		data, _, err := pr.ZeroCopyReadPacketData()
		return len(data), err
	}, nil
}
