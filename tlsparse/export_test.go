package tlsparse

import cbasn1 "golang.org/x/crypto/cryptobyte/asn1"

func cbTag(b byte) cbasn1.Tag { return cbasn1.Tag(b) }
