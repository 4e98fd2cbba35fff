package main

import (
	_ "github.com/google/go-cmp/cmp"
	_ "github.com/google/gopacket/layers"
	_ "github.com/google/gopacket/pcapgo"
	_ "github.com/google/gopacket/ip4defrag"
	_ "github.com/spf13/pflag"
	_ "golang.org/x/crypto/cryptobyte"
	_ "golang.org/x/net/publicsuffix"
	_ "golang.org/x/net/dns/dnsmessage"
	_ "golang.org/x/net/idna"
)

func main() {}
