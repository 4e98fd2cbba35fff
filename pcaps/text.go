package pcaps

import (
	"fmt"
	"io"
	"time"

	"github.com/google/gopacket"

	"github.com/tsid-project/tsid/pcaps/lina"
)

// LINA text captures (`show capture NAME [detail] dump` pasted from an ASA
// or FTD) are read through pcaps/lina: each dump becomes a packet with link
// type LinkEthernet or LinkRaw, whichever its hex starts with.

const (
	// textPeek is how much of a file the text detection looks at.
	textPeek = 4096
	// maxListedFlows caps the flows remembered from listings without hex;
	// maxFlowNotes caps those named in the warnings.
	maxListedFlows = 10000
	maxFlowNotes   = 20
)

// textState is the Reader's state for a LINA text capture.
type textState struct {
	p      *lina.Parser
	last   *lina.Packet
	flows  map[string]*listedFlow
	order  []*listedFlow
	more   int  // flows past maxListedFlows
	closed bool // the end of the input was reached
	notes  []string
}

type listedFlow struct {
	f       lina.Flow
	packets int
}

// detectText checks the start of the file for LINA capture text.
func (r *Reader) detectText() bool {
	b, _ := r.br.Peek(textPeek)
	if !lina.Detect(b) {
		return false
	}
	r.format = formatText
	r.text = &textState{p: lina.NewParser(r.br), flows: map[string]*listedFlow{}}
	return true
}

// Format names what the Reader reads: "pcap", "pcapng" or "lina" (ASA/FTD
// `show capture` text).
func (r *Reader) Format() string {
	switch r.format {
	case formatPcap:
		return "pcap"
	case formatPcapng:
		return "pcapng"
	case formatText:
		return "lina"
	}
	return ""
}

// SetDate sets the date of a LINA text capture's times of day, which have
// none; call it before the first Next. Without it they are dated 1970-01-01
// (or, from Open, with the file's modification date). Other formats ignore
// it.
func (r *Reader) SetDate(d time.Time) {
	if r.text != nil {
		r.text.p.SetDate(d)
	}
}

// Warnings returns what was odd in a LINA text capture so far, each as
// "FILE:LINE: message" (or "FILE: message"). After the end of the input
// it also says how many packets were listed without their bytes, and for
// which flows. It is nil for pcap and pcapng.
func (r *Reader) Warnings() []string {
	if r.text == nil {
		return nil
	}
	var out []string
	for _, w := range r.text.p.Warnings() {
		if w.Line > 0 {
			out = append(out, fmt.Sprintf("%s:%d: %s", r.name, w.Line, w.Msg))
		} else {
			out = append(out, r.name+": "+w.Msg)
		}
	}
	return append(out, r.text.notes...)
}

// Listed returns how many packets of a LINA text capture were listed
// without their bytes (no `dump`), so far.
func (r *Reader) Listed() int {
	if r.text == nil {
		return 0
	}
	return r.text.p.Listed()
}

// TextPacket returns the LINA record behind the packet the last Next
// returned, nil for pcap and pcapng.
func (r *Reader) TextPacket() *lina.Packet {
	if r.text == nil {
		return nil
	}
	return r.text.last
}

func (r *Reader) nextText() (data []byte, ci gopacket.CaptureInfo, link LinkType, err error) {
	t := r.text
	t.last = nil
	for {
		pk, err := t.p.Next()
		r.off = t.p.Offset()
		if err == io.EOF {
			r.endText()
			return nil, ci, 0, io.EOF
		}
		if err != nil {
			return nil, ci, 0, r.errf(err, r.off, "read error at byte %d: %v", r.off, err)
		}
		if pk.Data == nil {
			t.listed(pk)
			continue
		}
		if pk.Start == lina.StartNone {
			continue // not one byte could be read (warned)
		}
		t.last = pk
		ci.Timestamp = pk.Time
		ci.CaptureLength = len(pk.Data)
		ci.Length = max(pk.Length, len(pk.Data))
		link = LinkEthernet
		if pk.Start == lina.StartIP {
			link = LinkRaw
		}
		return pk.Data, ci, link, nil
	}
}

// listed counts a packet without hex under its flow (either direction).
func (t *textState) listed(pk *lina.Packet) {
	f, ok := lina.ParseFlow(pk.Desc)
	if !ok {
		return
	}
	key := f.Proto + " " + f.Src + " " + f.Dst
	lf := t.flows[key]
	if lf == nil {
		lf = t.flows[f.Proto+" "+f.Dst+" "+f.Src]
	}
	if lf == nil {
		if len(t.order) >= maxListedFlows {
			t.more++
			return
		}
		lf = &listedFlow{f: f}
		t.flows[key] = lf
		t.order = append(t.order, lf)
	}
	lf.packets++
}

// endText adds the notes on packets listed without bytes, once.
func (r *Reader) endText() {
	t := r.text
	if t.closed {
		return
	}
	t.closed = true
	n := t.p.Listed()
	if n == 0 {
		return
	}
	name := t.p.CaptureName()
	if name == "" {
		name = "NAME"
	}
	what := "packets were"
	if n == 1 {
		what = "packet was"
	}
	t.notes = append(t.notes, fmt.Sprintf("%s: %d %s listed without their bytes, so no TLS can be read from them: "+
		"TLS content needs `show capture %s dump` or a pcap export (copy /pcap capture:%s …)", r.name, n, what, name, name))
	for i, lf := range t.order {
		if i == maxFlowNotes {
			t.notes = append(t.notes, fmt.Sprintf("%s: … and %d more flows", r.name, len(t.order)-i+t.more))
			break
		}
		vlan := ""
		if lf.f.VLAN > 0 {
			vlan = fmt.Sprintf(" on VLAN %d", lf.f.VLAN)
		}
		pl := "s"
		if lf.packets == 1 {
			pl = ""
		}
		t.notes = append(t.notes, fmt.Sprintf("%s: listed: %s %s > %s%s, %d packet%s", r.name, lf.f.Proto, lf.f.Src, lf.f.Dst, vlan, lf.packets, pl))
	}
}
