package syslog

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
)

// ErrFrameTooLong is wrapped by the *FrameError returned for a frame longer
// than the reader's maximum. The frame is skipped; reading may go on.
var ErrFrameTooLong = errors.New("frame too long")

// ErrTruncatedFrame is wrapped by the *FrameError returned when the stream
// ends inside an octet-counted frame.
var ErrTruncatedFrame = errors.New("stream ended inside an octet-counted frame")

// FrameError reports a frame that could not be delivered. Offset is the
// stream offset where the frame began and Length its size in bytes as far as
// it is known (the declared length for octet counting).
type FrameError struct {
	Offset int64
	Length int64
	Err    error
}

func (e *FrameError) Error() string {
	return fmt.Sprintf("syslog frame at byte %d (length %d): %v", e.Offset, e.Length, e.Err)
}

func (e *FrameError) Unwrap() error { return e.Err }

// FrameReader splits a TCP or TLS syslog stream into messages following RFC
// 6587. Like rsyslog and syslog-ng it decides the framing of each frame from
// its first byte: a digit 1-9 starts octet counting ("LEN SP MSG"); anything
// else is non-transparent framing ended by LF (a CR before it is dropped)
// or NUL. A run of digits not followed by a space falls back to
// non-transparent framing. Empty frames are skipped.
//
// A frame longer than the maximum is reported as a *FrameError wrapping
// ErrFrameTooLong and skipped (octet counting: its declared length is
// discarded; non-transparent: everything to the next LF or NUL), so the next
// call resumes at the following frame. Memory stays bounded by the maximum.
type FrameReader struct {
	r   *bufio.Reader
	max int
	buf []byte
	off int64
	err error
}

// NewFrameReader returns a FrameReader reading from r that delivers frames
// of at most maxFrame bytes (values below 1 mean 64 KiB).
func NewFrameReader(r io.Reader, maxFrame int) *FrameReader {
	if maxFrame < 1 {
		maxFrame = 64 << 10
	}
	size := 4096
	if maxFrame+16 > size {
		size = min(maxFrame+16, 64<<10)
	}
	return &FrameReader{r: bufio.NewReaderSize(r, size), max: maxFrame}
}

// Offset returns the number of stream bytes consumed so far.
func (f *FrameReader) Offset() int64 { return f.off }

// Next returns the next frame. The slice is valid until the following call.
// It returns io.EOF at a clean end of stream; a *FrameError for a frame that
// was skipped (call Next again to continue); any other error from the
// underlying reader ends the stream.
func (f *FrameReader) Next() ([]byte, error) {
	if f.err != nil {
		return nil, f.err
	}
	for {
		c, err := f.r.ReadByte()
		if err != nil {
			return nil, f.fail(err)
		}
		f.off++
		switch {
		case c == '\n' || c == '\r' || c == 0:
			continue // empty frame or a stray trailer between frames
		case c >= '1' && c <= '9':
			frame, ok, err := f.octetCounted(c)
			if ok || err != nil {
				return frame, err
			}
			// digits not followed by SP: fall back, the digits are data.
		default:
			f.buf = append(f.buf[:0], c)
		}
		frame, err := f.nonTransparent()
		if err != nil {
			return nil, err
		}
		if len(frame) > 0 {
			return frame, nil
		}
	}
}

func (f *FrameReader) fail(err error) error {
	if err == io.EOF {
		f.err = io.EOF
		return io.EOF
	}
	f.err = fmt.Errorf("syslog frame reader: %w", err)
	return f.err
}

// octetCounted reads "LEN SP MSG" after the first digit c. ok is false when
// the digits turn out not to be a length; f.buf then holds them.
func (f *FrameReader) octetCounted(c byte) ([]byte, bool, error) {
	start := f.off - 1
	f.buf = append(f.buf[:0], c)
	n := int64(c - '0')
	for {
		d, err := f.r.ReadByte()
		if err != nil {
			if err == io.EOF {
				return nil, false, nil // a lone number at end of stream is data
			}
			return nil, false, f.fail(err)
		}
		f.off++
		if d == ' ' {
			break
		}
		if d < '0' || d > '9' || len(f.buf) >= 10 {
			if err := f.r.UnreadByte(); err == nil {
				f.off--
			} else {
				f.buf = append(f.buf, d)
			}
			return nil, false, nil
		}
		f.buf = append(f.buf, d)
		n = n*10 + int64(d-'0')
	}
	if n > int64(f.max) {
		got, err := io.CopyN(io.Discard, f.r, n)
		f.off += got
		if err != nil {
			if err == io.EOF {
				f.err = io.EOF
				return nil, true, &FrameError{Offset: start, Length: n, Err: ErrTruncatedFrame}
			}
			return nil, true, f.fail(err)
		}
		return nil, true, &FrameError{Offset: start, Length: n, Err: ErrFrameTooLong}
	}
	if cap(f.buf) < int(n) {
		f.buf = make([]byte, n)
	}
	f.buf = f.buf[:n]
	got, err := io.ReadFull(f.r, f.buf)
	f.off += int64(got)
	if err != nil {
		if err == io.EOF || err == io.ErrUnexpectedEOF {
			f.err = io.EOF
			return nil, true, &FrameError{Offset: start, Length: n, Err: ErrTruncatedFrame}
		}
		return nil, true, f.fail(err)
	}
	return f.buf, true, nil
}

// nonTransparent reads up to LF or NUL, appending to f.buf (which may hold
// bytes already read), and strips one trailing CR.
func (f *FrameReader) nonTransparent() ([]byte, error) {
	start := f.off - int64(len(f.buf))
	total := int64(len(f.buf))
	tooLong := false
	for {
		if _, err := f.r.Peek(1); err != nil {
			if err != io.EOF {
				return nil, f.fail(err)
			}
			f.err = io.EOF
			break
		}
		data, _ := f.r.Peek(f.r.Buffered())
		end := bytes.IndexByte(data, '\n')
		if end >= 0 {
			data = data[:end]
		}
		if nul := bytes.IndexByte(data, 0); nul >= 0 {
			data, end = data[:nul], nul
		}
		total += int64(len(data))
		if !tooLong && len(f.buf)+len(data) > f.max+1 { // +1: a CR may still go
			tooLong = true
		}
		if !tooLong {
			f.buf = append(f.buf, data...)
		}
		used := len(data)
		if end >= 0 {
			used++
		}
		f.r.Discard(used) //nolint:errcheck // the bytes are buffered
		f.off += int64(used)
		if end >= 0 {
			break
		}
	}
	if n := len(f.buf); n > 0 && f.buf[n-1] == '\r' {
		f.buf = f.buf[:n-1]
	}
	if tooLong || len(f.buf) > f.max {
		f.buf = f.buf[:0]
		return nil, &FrameError{Offset: start, Length: total, Err: ErrFrameTooLong}
	}
	return f.buf, nil
}
