package syslog

import (
	"bytes"
	"errors"
	"io"
	"testing"
	"unicode/utf8"
)

// FuzzParse checks that Parse never panics and that what it returns is
// consistent: PRI parts in range, and MSG taken from the input.
func FuzzParse(f *testing.F) {
	f.Add([]byte("<34>1 2003-10-11T22:14:15.003Z mymachine.example.com su - ID47 - \xEF\xBB\xBF'su root' failed"))
	f.Add([]byte("<34>Oct 11 22:14:15 mymachine su: 'su root' failed for lonvick on /dev/pts/8"))
	p := testParser()
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := p.Parse(b)
		if err != nil {
			var pe *ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("error %v is not a *ParseError", err)
			}
			if pe.Offset < 0 || pe.Offset > len(b) {
				t.Fatalf("error offset %d outside input of %d bytes", pe.Offset, len(b))
			}
			return
		}
		if m.Facility > 23 || m.Severity > 7 {
			t.Fatalf("facility %d severity %d out of range", m.Facility, m.Severity)
		}
		if m.Format != RFC5424 && m.Format != RFC3164 {
			t.Fatalf("format %v", m.Format)
		}
		if !bytes.Contains(b, []byte(m.Msg)) {
			t.Fatalf("Msg %q is not part of the input", m.Msg)
		}
		if m.Format == RFC5424 && !utf8.ValidString(m.Hostname+m.AppName+m.ProcID+m.MsgID) {
			t.Fatalf("non-ASCII header field accepted")
		}
	})
}

// FuzzFrameReader checks that framing always ends, that no frame exceeds the
// maximum and that every input byte is accounted for at the end.
func FuzzFrameReader(f *testing.F) {
	f.Add([]byte("5 <13>a<13>b\n7 <13>ccc"), 16)
	f.Add([]byte("<13>a\r\n\x00<13>b"), 4)
	f.Fuzz(func(t *testing.T, b []byte, max int) {
		max = max%4096 + 1
		if max < 1 {
			max = -max + 1
		}
		r := NewFrameReader(bytes.NewReader(b), max)
		for i := 0; ; i++ {
			if i > len(b)+1 {
				t.Fatalf("more frames than input bytes")
			}
			fr, err := r.Next()
			if err == io.EOF {
				break
			}
			var fe *FrameError
			if err != nil && !errors.As(err, &fe) {
				t.Fatalf("unexpected error: %v", err)
			}
			if err == nil && (len(fr) == 0 || len(fr) > max) {
				t.Fatalf("frame of %d bytes with max %d", len(fr), max)
			}
		}
		if r.Offset() != int64(len(b)) {
			t.Fatalf("consumed %d of %d bytes", r.Offset(), len(b))
		}
	})
}
