package syslog

import (
	"errors"
	"io"
	"strconv"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/google/go-cmp/cmp"
)

// frameResult is one call of Next: a frame, or the error it returned.
type frameResult struct {
	Frame string
	Err   string
}

func readAllFrames(r *FrameReader) []frameResult {
	var out []frameResult
	for i := 0; i < 10000; i++ {
		f, err := r.Next()
		if err == io.EOF {
			return out
		}
		if err != nil {
			var fe *FrameError
			switch {
			case errors.As(err, &fe) && errors.Is(err, ErrFrameTooLong):
				out = append(out, frameResult{Err: "too long"})
				continue
			case errors.As(err, &fe) && errors.Is(err, ErrTruncatedFrame):
				out = append(out, frameResult{Err: "truncated"})
				continue
			}
			return append(out, frameResult{Err: err.Error()})
		}
		out = append(out, frameResult{Frame: string(f)})
	}
	return append(out, frameResult{Err: "no EOF after 10000 frames"})
}

func TestFrameReader(t *testing.T) {
	m1 := "<34>1 2003-10-11T22:14:15.003Z mymachine su - ID47 - hello"
	m2 := "<13>Oct 11 22:14:15 host app: line\nwith LF inside"
	tests := []struct {
		name string
		in   string
		max  int
		want []frameResult
	}{
		{"LF framing", "<13>a\n<13>b\n", 100, []frameResult{{Frame: "<13>a"}, {Frame: "<13>b"}}},
		{"CRLF and NUL framing, blank lines skipped", "<13>a\r\n\n\r\n<13>b\x00<13>c\x00\n", 100,
			[]frameResult{{Frame: "<13>a"}, {Frame: "<13>b"}, {Frame: "<13>c"}}},
		{"last frame without trailer", "<13>a\n<13>b", 100, []frameResult{{Frame: "<13>a"}, {Frame: "<13>b"}}},
		{"octet counting, LF kept inside", strconv.Itoa(len(m1)) + " " + m1 + strconv.Itoa(len(m2)) + " " + m2, 100, []frameResult{{Frame: m1}, {Frame: m2}}},
		{"mixed framing per frame", "5 <13>a<13>b\n7 <13>ccc", 100,
			[]frameResult{{Frame: "<13>a"}, {Frame: "<13>b"}, {Frame: "<13>ccc"}}},
		{"octet counting with LF trailers (some senders)", "5 <13>a\n5 <13>b\n", 100,
			[]frameResult{{Frame: "<13>a"}, {Frame: "<13>b"}}},
		{"digits not followed by space fall back to LF framing", "123abc\n<13>x\n", 100,
			[]frameResult{{Frame: "123abc"}, {Frame: "<13>x"}}},
		{"over-long octet-counted frame skipped, next one read", "12 <13>abcdefgh5 <13>z", 10,
			[]frameResult{{Err: "too long"}, {Frame: "<13>z"}}},
		{"over-long LF frame skipped, next one read", "<13>" + strings.Repeat("x", 50) + "\n<13>ok\n", 10,
			[]frameResult{{Err: "too long"}, {Frame: "<13>ok"}}},
		{"frame of exactly max bytes with CR", "<13>456789\r\n", 10, []frameResult{{Frame: "<13>456789"}}},
		{"truncated octet-counted frame", "50 <13>short", 100, []frameResult{{Err: "truncated"}}},
		{"huge declared length is discarded, not allocated", "9999999999 <13>x", 100, []frameResult{{Err: "truncated"}}},
		{"lone number at end", "42", 100, []frameResult{{Frame: "42"}}},
		{"empty stream", "", 100, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := readAllFrames(NewFrameReader(strings.NewReader(tt.in), tt.max))
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("frames mismatch (-want +got):\n%s", diff)
			}
			// The same stream delivered one byte at a time gives the same frames.
			got = readAllFrames(NewFrameReader(iotest.OneByteReader(strings.NewReader(tt.in)), tt.max))
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("one-byte reader: frames mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestFrameReaderLongStreamBoundedMemory(t *testing.T) {
	// A 4 MiB line with a 1 KiB maximum must not grow the buffer past the max.
	r := NewFrameReader(io.MultiReader(strings.NewReader(strings.Repeat("x", 4<<20)), strings.NewReader("\n<13>after\n")), 1024)
	if _, err := r.Next(); !errors.Is(err, ErrFrameTooLong) {
		t.Fatalf("first Next error = %v, want ErrFrameTooLong", err)
	}
	if cap(r.buf) > 4096 {
		t.Errorf("buffer grew to %d bytes for a 1 KiB maximum", cap(r.buf))
	}
	f, err := r.Next()
	if err != nil || string(f) != "<13>after" {
		t.Fatalf("second Next = %q, %v; want <13>after", f, err)
	}
	if r.Offset() != 4<<20+11 {
		t.Errorf("Offset = %d, want %d", r.Offset(), 4<<20+11)
	}
}

func TestFrameReaderReadError(t *testing.T) {
	boom := errors.New("connection reset")
	r := NewFrameReader(io.MultiReader(strings.NewReader("<13>a\n<13>b"), iotest.ErrReader(boom)), 100)
	if f, err := r.Next(); err != nil || string(f) != "<13>a" {
		t.Fatalf("Next = %q, %v", f, err)
	}
	_, err := r.Next()
	if !errors.Is(err, boom) {
		t.Fatalf("Next error = %v, want %v", err, boom)
	}
	if _, err2 := r.Next(); !errors.Is(err2, boom) {
		t.Errorf("error is not sticky: %v", err2)
	}
}
