package pcaps

import (
	"bufio"
	"compress/gzip"
	"encoding/binary"
	"fmt"
	"io"
	"math/bits"
	"os"
	"time"

	"github.com/google/gopacket"
)

// Caps on what a capture file may make the Reader allocate.
const (
	// MaxRecord caps one packet record (pcap) or block (pcapng). libpcap
	// never writes more than 262144 captured bytes per packet.
	MaxRecord = 1 << 20
	// maxInterfaces caps pcapng interfaces per section.
	maxInterfaces = 4096
	// readBuf is the read buffer: large reads, and most records are
	// handed out from it without a copy.
	readBuf = 1 << 20
)

const (
	pcapMagicMicro   = 0xa1b2c3d4
	pcapMagicNano    = 0xa1b23c4d
	pcapngSHB        = 0x0a0d0d0a
	pcapngByteOrder  = 0x1a2b3c4d
	pcapngIDB        = 1
	pcapngPB         = 2 // obsolete Packet Block
	pcapngSPB        = 3
	pcapngEPB        = 6
	pcapngOptTSResol = 9
	pcapngOptTSOff   = 14
)

type format uint8

const (
	formatPcap format = iota + 1
	formatPcapng
	formatText // LINA `show capture` text (text.go)
)

type ngInterface struct {
	link    LinkType
	snaplen uint32
	resol   uint8 // if_tsresol, RFC draft-ietf-opsawg-pcapng Section 4.2
	offset  int64 // if_tsoffset in seconds
}

// Reader reads packets from a pcap or pcapng file or ASA/FTD `show capture`
// text, optionally gzip compressed. It is not safe for concurrent use.
type Reader struct {
	name   string
	closer io.Closer
	br     source
	ra     *blockReader   // br when it is one: the fast path of nextPcap
	gz     *gzipInput     // the gzip layer, when the file is compressed
	stop   []*blockReader // read-ahead goroutines to stop on Close
	off    int64          // bytes consumed from the decompressed file
	format format

	order binary.ByteOrder
	swap  bool // order is big-endian (u32)
	// pcap
	nano bool
	link LinkType
	// pcapng
	ifaces []ngInterface
	// LINA text
	text *textState

	hdr [32]byte
	buf []byte // reused for each record; returned data aliases it
}

// source is where the Reader takes bytes from: a bufio.Reader or a
// blockReader.
type source interface {
	io.Reader
	Peek(n int) ([]byte, error)
	Discard(n int) (int, error)
}

// Open opens a capture file by path, "-" being standard input, and reads
// it ahead (see NewReadAhead). Close the Reader when done.
func Open(name string) (*Reader, error) {
	if name == "-" {
		return NewReadAhead(name, os.Stdin)
	}
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	r, err := NewReadAhead(name, f)
	if err != nil {
		f.Close()
		return nil, err
	}
	r.closer = f
	if st, err := f.Stat(); err == nil && r.text != nil {
		r.SetDate(st.ModTime()) // text has times of day only
	}
	return r, nil
}

// NewReader reads a capture from r; name is used in error messages. The
// format (pcap, pcapng, LINA text; gzip or not) is detected from the
// content.
func NewReader(name string, r io.Reader) (*Reader, error) {
	rd := &Reader{name: name}
	return rd.init(bufio.NewReaderSize(r, readBuf), func(r io.Reader) source {
		return bufio.NewReaderSize(r, readBuf)
	})
}

// NewReadAhead is NewReader with r read (and decompressed) in another
// goroutine while packets are parsed: faster on a machine with a core to
// spare. Close the Reader to stop the goroutine.
func NewReadAhead(name string, r io.Reader) (*Reader, error) {
	rd := &Reader{name: name}
	wrap := func(r io.Reader) source {
		br := newBlockReader(r)
		rd.stop = append(rd.stop, br)
		return br
	}
	rd2, err := rd.init(wrap(r), wrap)
	if err != nil {
		rd.Close()
	}
	return rd2, err
}

// init detects gzip on src, wrapping the decompressed stream with wrap,
// and reads the file header.
func (rd *Reader) init(src source, wrap func(io.Reader) source) (*Reader, error) {
	magic, err := src.Peek(2)
	if len(magic) == 0 {
		if err == io.EOF {
			return nil, rd.errf(ErrEmpty, 0, "empty file")
		}
		return nil, rd.errf(err, 0, "read: %v", err)
	}
	if len(magic) == 2 && magic[0] == 0x1f && magic[1] == 0x8b {
		rd.gz = &gzipInput{src: src}
		zr, err := gzip.NewReader(rd.gz)
		if err != nil {
			return nil, rd.gzipError(err)
		}
		src = wrap(zr)
	}
	rd.br = src
	rd.ra, _ = src.(*blockReader)
	if err := rd.readHeader(); err != nil {
		return nil, rd.blame(err)
	}
	return rd, nil
}

// Close stops reading ahead and closes the file opened by Open.
func (r *Reader) Close() error {
	for _, br := range r.stop {
		br.Close()
	}
	r.stop = nil
	if r.closer != nil {
		c := r.closer
		r.closer = nil
		return c.Close()
	}
	return nil
}

// Offset returns the number of bytes consumed from the decompressed file.
func (r *Reader) Offset() int64 { return r.off }

func (r *Reader) errf(sentinel error, off int64, format string, args ...any) *Error {
	return &Error{File: r.name, Offset: off, Reason: fmt.Sprintf(format, args...), Err: sentinel}
}

// describe shows the first bytes of a non-capture file, quoted when
// printable ("starts with 'GIF8'"), in hex otherwise.
func describe(b []byte) string {
	printable := true
	for _, c := range b {
		if c < 0x20 || c > 0x7e {
			printable = false
		}
	}
	if printable {
		return "'" + string(b) + "'"
	}
	return fmt.Sprintf("0x%x", b)
}

// full reads exactly len(p) bytes. A short read is reported as truncation of
// the named part that started at off.
func (r *Reader) full(p []byte, start int64, what string) error {
	n, err := io.ReadFull(r.br, p)
	r.off += int64(n)
	if err == nil {
		return nil
	}
	if err == io.EOF || err == io.ErrUnexpectedEOF {
		return r.errf(ErrTruncated, start, "ends inside %s at byte %d", what, start)
	}
	return r.errf(err, r.off, "read error at byte %d: %v", r.off, err)
}

func (r *Reader) readHeader() error {
	magic, err := r.br.Peek(4)
	if len(magic) == 0 {
		if err != nil && err != io.EOF {
			return r.errf(err, 0, "read error at byte 0: %v", err)
		}
		return r.errf(ErrEmpty, 0, "empty file")
	}
	if len(magic) < 4 {
		return r.errf(ErrNotCapture, 0, "not a packet capture (only %d bytes)", len(magic))
	}
	le, be := binary.LittleEndian.Uint32(magic), binary.BigEndian.Uint32(magic)
	switch {
	case le == pcapMagicMicro || le == pcapMagicNano:
		r.order, r.nano = binary.LittleEndian, le == pcapMagicNano
	case be == pcapMagicMicro || be == pcapMagicNano:
		r.order, r.swap, r.nano = binary.BigEndian, true, be == pcapMagicNano
	case le == pcapngSHB:
		r.format = formatPcapng
		return r.readSHB()
	default:
		if r.detectText() {
			return nil
		}
		return r.errf(ErrNotCapture, 0, "not a packet capture (starts with %s)", describe(magic))
	}
	r.format = formatPcap
	h := r.hdr[:24]
	if err := r.full(h, 0, "the file header"); err != nil {
		return err
	}
	// The link-type field carries FCS information in its upper bits
	// (draft-ietf-opsawg-pcap, Section 4); the link type is the low 16.
	r.link = LinkType(r.order.Uint32(h[20:24]) & 0xffff)
	return nil
}

// readSHB reads a Section Header Block; the 4-byte type is still unread.
func (r *Reader) readSHB() error {
	start := r.off
	h := r.hdr[:12]
	if err := r.full(h, start, "a section header"); err != nil {
		return err
	}
	switch {
	case binary.LittleEndian.Uint32(h[8:12]) == pcapngByteOrder:
		r.order = binary.LittleEndian
	case binary.BigEndian.Uint32(h[8:12]) == pcapngByteOrder:
		r.order = binary.BigEndian
	default:
		return r.errf(ErrCorrupt, start, "bad pcapng byte-order magic at byte %d", start)
	}
	blen := r.order.Uint32(h[4:8])
	if blen < 28 || blen%4 != 0 || blen > MaxRecord {
		return r.errf(ErrCorrupt, start, "bad pcapng section header length %d at byte %d", blen, start)
	}
	// Version and section length are not needed; skip the rest of the block.
	if err := r.body(int(blen)-12, start, "a section header"); err != nil {
		return err
	}
	r.ifaces = r.ifaces[:0]
	return nil
}

// body reads n bytes into r.buf.
func (r *Reader) body(n int, start int64, what string) error {
	if cap(r.buf) < n {
		r.buf = make([]byte, n)
	}
	r.buf = r.buf[:n]
	return r.full(r.buf, start, what)
}

// Next returns the next packet. data aliases an internal buffer and is valid
// until the next call. At the end of the capture err is io.EOF; a file cut
// inside a record yields an *Error wrapping ErrTruncated after all complete
// packets. ci.CaptureLength < ci.Length marks a packet cut by the snap length.
func (r *Reader) Next() (data []byte, ci gopacket.CaptureInfo, link LinkType, err error) {
	switch r.format {
	case formatPcap:
		data, ci, link, err = r.nextPcap()
	case formatText:
		data, ci, link, err = r.nextText()
	default:
		data, ci, link, err = r.nextPcapng()
	}
	if err != nil && err != io.EOF {
		err = r.blame(err)
	}
	return data, ci, link, err
}

func (r *Reader) atEOF() bool {
	_, err := r.br.Peek(1)
	return err == io.EOF
}

func (r *Reader) nextPcap() (data []byte, ci gopacket.CaptureInfo, link LinkType, err error) {
	// Fast path: the whole record is in the block at hand.
	if ra := r.ra; ra != nil && len(ra.cur) >= recordHeaderLen {
		b := ra.cur
		if n := recordHeaderLen + int(u32(b[8:12], r.swap)); n <= recordHeaderLen+MaxRecord && n <= len(b) {
			ra.cur = b[n:]
			r.off += int64(n)
			return b[recordHeaderLen:n], r.captureInfo(b), r.link, nil
		}
	}
	start := r.off
	h, err := r.br.Peek(16)
	if len(h) < 16 {
		if len(h) == 0 && err == io.EOF {
			return nil, ci, 0, io.EOF
		}
		return nil, ci, 0, r.short(len(h), err, start, "a packet record")
	}
	caplen := u32(h[8:12], r.swap)
	if caplen > MaxRecord {
		return nil, ci, 0, r.errf(ErrCorrupt, start, "packet record at byte %d too large (%d bytes)", start, caplen)
	}
	if data, err = r.record(16+int(caplen), start, "a packet record"); err != nil {
		return nil, ci, 0, err
	}
	return data[16:], r.captureInfo(data), r.link, nil
}

// captureInfo reads the pcap record header h.
func (r *Reader) captureInfo(h []byte) gopacket.CaptureInfo {
	sec, frac := u32(h[0:4], r.swap), u32(h[4:8], r.swap)
	caplen, origlen := u32(h[8:12], r.swap), u32(h[12:16], r.swap)
	if !r.nano {
		frac *= 1000
	}
	return gopacket.CaptureInfo{
		Timestamp:     time.Unix(int64(sec), int64(frac)).UTC(),
		CaptureLength: int(caplen),
		Length:        int(max(origlen, caplen)),
	}
}

// record consumes the next n bytes and returns them: from the read buffer
// without a copy when it can hold them, else copied into r.buf. They are
// valid until the next read.
func (r *Reader) record(n int, start int64, what string) ([]byte, error) {
	b, err := r.br.Peek(n)
	if len(b) == n {
		r.br.Discard(n)
		r.off += int64(n)
		return b, nil
	}
	if err == bufio.ErrBufferFull {
		if err := r.body(n, start, what); err != nil {
			return nil, err
		}
		return r.buf, nil
	}
	return nil, r.short(len(b), err, start, what)
}

// short consumes the n bytes before a failed read and reports it.
func (r *Reader) short(n int, err error, start int64, what string) error {
	r.br.Discard(n)
	r.off += int64(n)
	if err == nil || err == io.EOF || err == io.ErrUnexpectedEOF {
		return r.errf(ErrTruncated, start, "ends inside %s at byte %d", what, start)
	}
	return r.errf(err, r.off, "read error at byte %d: %v", r.off, err)
}

func (r *Reader) nextPcapng() (data []byte, ci gopacket.CaptureInfo, link LinkType, err error) {
	for {
		if r.atEOF() {
			return nil, ci, 0, io.EOF
		}
		start := r.off
		peek, _ := r.br.Peek(4)
		if len(peek) == 4 && binary.LittleEndian.Uint32(peek) == pcapngSHB {
			if err = r.readSHB(); err != nil {
				return nil, ci, 0, err
			}
			continue
		}
		h := r.hdr[:8]
		if err = r.full(h, start, "a pcapng block"); err != nil {
			return nil, ci, 0, err
		}
		typ, blen := r.order.Uint32(h[0:4]), r.order.Uint32(h[4:8])
		if blen < 12 || blen%4 != 0 || blen > MaxRecord {
			return nil, ci, 0, r.errf(ErrCorrupt, start, "bad pcapng block length %d at byte %d", blen, start)
		}
		what := "a pcapng block"
		if typ == pcapngEPB || typ == pcapngSPB || typ == pcapngPB {
			what = "a packet record"
		}
		if err = r.body(int(blen)-8, start, what); err != nil {
			return nil, ci, 0, err
		}
		b := r.buf[:len(r.buf)-4] // without the trailing length
		switch typ {
		case pcapngIDB:
			if err = r.addInterface(b, start); err != nil {
				return nil, ci, 0, err
			}
		case pcapngEPB, pcapngPB:
			// Section 4.3 (EPB) and Appendix A (obsolete PB).
			if len(b) < 20 {
				return nil, ci, 0, r.errf(ErrCorrupt, start, "short packet block at byte %d", start)
			}
			var id uint32
			if typ == pcapngEPB {
				id = r.order.Uint32(b[0:4])
			} else {
				id = uint32(r.order.Uint16(b[0:2]))
			}
			if id >= uint32(len(r.ifaces)) {
				return nil, ci, 0, r.errf(ErrCorrupt, start, "packet block at byte %d names undefined interface %d", start, id)
			}
			ts := uint64(r.order.Uint32(b[4:8]))<<32 | uint64(r.order.Uint32(b[8:12]))
			caplen, origlen := r.order.Uint32(b[12:16]), r.order.Uint32(b[16:20])
			if uint64(caplen) > uint64(len(b)-20) {
				return nil, ci, 0, r.errf(ErrCorrupt, start, "packet block at byte %d: captured length %d exceeds block", start, caplen)
			}
			ifc := &r.ifaces[id]
			ci.Timestamp = ifc.time(ts)
			ci.CaptureLength = int(caplen)
			ci.Length = int(max(origlen, caplen))
			ci.InterfaceIndex = int(id)
			return b[20 : 20+caplen], ci, ifc.link, nil
		case pcapngSPB:
			// Section 4.4: no timestamp, interface 0, captured length implied.
			if len(b) < 4 || len(r.ifaces) == 0 {
				return nil, ci, 0, r.errf(ErrCorrupt, start, "bad simple packet block at byte %d", start)
			}
			origlen := r.order.Uint32(b[0:4])
			caplen := min(uint64(origlen), uint64(len(b)-4))
			if s := r.ifaces[0].snaplen; s != 0 && uint64(s) < caplen {
				caplen = uint64(s)
			}
			ci.CaptureLength = int(caplen)
			ci.Length = int(max(uint64(origlen), caplen))
			return b[4 : 4+caplen], ci, r.ifaces[0].link, nil
		}
		// Other blocks (statistics, name resolution, custom…) are skipped.
	}
}

func (r *Reader) addInterface(b []byte, start int64) error {
	// Section 4.2
	if len(b) < 8 {
		return r.errf(ErrCorrupt, start, "short interface description block at byte %d", start)
	}
	if len(r.ifaces) >= maxInterfaces {
		return r.errf(ErrCorrupt, start, "more than %d interfaces in one section at byte %d", maxInterfaces, start)
	}
	ifc := ngInterface{
		link:    LinkType(r.order.Uint16(b[0:2])),
		snaplen: r.order.Uint32(b[4:8]),
		resol:   6,
	}
	opts := b[8:]
	for len(opts) >= 4 {
		code, olen := r.order.Uint16(opts[0:2]), int(r.order.Uint16(opts[2:4]))
		if code == 0 || 4+olen > len(opts) {
			break
		}
		v := opts[4 : 4+olen]
		switch {
		case code == pcapngOptTSResol && olen >= 1:
			ifc.resol = v[0]
		case code == pcapngOptTSOff && olen >= 8:
			ifc.offset = int64(r.order.Uint64(v))
		}
		opts = opts[min(len(opts), 4+(olen+3)&^3):]
	}
	r.ifaces = append(r.ifaces, ifc)
	return nil
}

var pow10 = [...]uint64{1, 10, 100, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10,
	1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19}

// time converts a timestamp in units of if_tsresol to a time.
func (ifc *ngInterface) time(ts uint64) time.Time {
	var sec, nsec uint64
	exp := uint(ifc.resol & 0x7f)
	switch {
	case ifc.resol&0x80 != 0 && exp < 64: // negative power of two
		sec = ts >> exp
		frac := ts & (1<<exp - 1)
		hi, lo := bits.Mul64(frac, 1e9)
		if exp > 0 {
			nsec = hi<<(64-exp) | lo>>exp
		}
	case ifc.resol&0x80 == 0 && exp < uint(len(pow10)):
		d := pow10[exp]
		sec = ts / d
		if exp <= 9 {
			nsec = ts % d * pow10[9-exp]
		} else {
			nsec = ts % d / pow10[exp-9]
		}
	default: // unrepresentable resolution: treat as microseconds
		sec, nsec = ts/1e6, ts%1e6*1e3
	}
	return time.Unix(int64(sec)+ifc.offset, int64(nsec)).UTC()
}
