package hunt

import (
	"bufio"
	"bytes"
	"errors"
	"io"
)

// maxDoc bounds one JSON document (or line); larger ones are skipped and
// counted as failed records, so memory stays bounded.
const maxDoc = 64 << 20

// docStatus says what a top-level JSON value is.
type docStatus uint8

const (
	docObject    docStatus = iota // an object (its inside is checked later)
	docOther                      // a string, number, array, … or stray bytes
	docTruncated                  // the file ended inside the value
	docTooLarge                   // longer than the limit; skipped
)

// docReader splits a stream of JSON text into its top-level documents:
// one object, an array of objects (its elements are the documents), or
// documents one after another, separated by white space or commas
// (evtx_dump's output, JSON Lines). It reads in blocks and never holds
// more than one document (up to max bytes) in memory.
type docReader struct {
	r       io.Reader
	buf     []byte
	pos     int // next unread byte
	end     int // end of the bytes read
	eof     bool
	inArray bool
	max     int
}

func newDocReader(r io.Reader, max int) *docReader {
	return &docReader{r: skipBOM(r), buf: make([]byte, 0, min(64<<10, max)), max: max}
}

// skipBOM drops a UTF-8 byte order mark at the start of r.
func skipBOM(r io.Reader) io.Reader {
	br := bufio.NewReaderSize(r, 16)
	if b, err := br.Peek(3); err == nil && bytes.Equal(b, []byte("\xef\xbb\xbf")) {
		br.Discard(3)
	}
	return br
}

// next returns the next document and its status; the bytes are valid until
// the next call. At the end of the input it returns io.EOF; any other error
// is a read error.
func (d *docReader) next() ([]byte, docStatus, error) {
	for {
	skip:
		for d.pos < d.end {
			switch c := d.buf[d.pos]; {
			case c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == ',':
			case c == '[' && !d.inArray:
				d.inArray = true
			case c == ']' && d.inArray:
				d.inArray = false
			default:
				break skip
			}
			d.pos++
		}
		if d.pos < d.end {
			return d.scan()
		}
		if d.eof {
			return nil, 0, io.EOF
		}
		if err := d.fill(); err != nil {
			return nil, 0, err
		}
	}
}

// scan reads the value starting at d.pos.
func (d *docReader) scan() ([]byte, docStatus, error) {
	first := d.buf[d.pos]
	i := d.pos // scan position
	depth := 0
	inStr, esc := false, false
	tooLarge := false
	composite := first == '{' || first == '[' || first == '"'
	for {
		for ; i < d.end; i++ {
			c := d.buf[i]
			if !composite {
				if c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == ',' || c == '[' || c == ']' || c == '{' || c == '}' || c == '"' {
					if i == d.pos && !tooLarge {
						i++ // a stray bracket: one bad byte
					}
					return d.done(i, docOther, tooLarge)
				}
				continue
			}
			if inStr {
				switch {
				case esc:
					esc = false
				case c == '\\':
					esc = true
				case c == '"':
					inStr = false
					if depth == 0 {
						return d.done(i+1, docOther, tooLarge)
					}
				}
				continue
			}
			switch c {
			case '"':
				inStr = true
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					st := docOther
					if first == '{' && c == '}' {
						st = docObject
					}
					return d.done(i+1, st, tooLarge)
				}
			}
		}
		if d.eof {
			if !composite {
				return d.done(i, docOther, tooLarge)
			}
			d.pos = d.end
			return nil, docTruncated, nil
		}
		// keep the value so far at the front of the buffer and read more
		rel := i - d.pos
		if d.pos > 0 {
			d.end = copy(d.buf[:cap(d.buf)], d.buf[d.pos:d.end])
			d.pos = 0
			d.buf = d.buf[:d.end]
		}
		if d.end == cap(d.buf) {
			if cap(d.buf) >= d.max {
				// too large: forget what was read, keep the scan state
				tooLarge = true
				d.end, rel = 0, 0
				d.buf = d.buf[:0]
			} else {
				nb := make([]byte, d.end, min(2*cap(d.buf), d.max))
				copy(nb, d.buf)
				d.buf = nb
			}
		}
		i = rel
		if err := d.fill(); err != nil {
			return nil, 0, err
		}
	}
}

// done ends a value at end (exclusive).
func (d *docReader) done(end int, st docStatus, tooLarge bool) ([]byte, docStatus, error) {
	doc := d.buf[d.pos:end]
	d.pos = end
	if tooLarge {
		return nil, docTooLarge, nil
	}
	return doc, st, nil
}

// fill reads more bytes after d.end, moving unread bytes to the front
// when the buffer is full.
func (d *docReader) fill() error {
	if d.pos == d.end {
		d.pos, d.end = 0, 0
		d.buf = d.buf[:0]
	}
	if d.end == cap(d.buf) && d.pos > 0 {
		d.end = copy(d.buf[:cap(d.buf)], d.buf[d.pos:d.end])
		d.pos = 0
	}
	n, err := d.r.Read(d.buf[d.end:cap(d.buf)])
	d.end += n
	d.buf = d.buf[:d.end]
	if errors.Is(err, io.EOF) {
		d.eof = true
		return nil
	}
	return err
}

// lineReader reads JSON Lines: one document per line, blank lines
// skipped, lines numbered from 1.
type lineReader struct {
	r    *bufio.Reader
	line uint64
	long []byte
	max  int
}

func newLineReader(r io.Reader, max int) *lineReader {
	return &lineReader{r: bufio.NewReaderSize(r, 64<<10), max: max}
}

// next returns the next non-blank line (trimmed) and its number; ok is
// false for a line longer than the limit (skipped). It returns io.EOF at
// the end.
func (l *lineReader) next() (line []byte, no uint64, ok bool, err error) {
	for {
		b, err := l.r.ReadSlice('\n')
		tooLong := false
		if errors.Is(err, bufio.ErrBufferFull) {
			l.long = append(l.long[:0], b...)
			for errors.Is(err, bufio.ErrBufferFull) {
				b, err = l.r.ReadSlice('\n')
				if !tooLong && len(l.long)+len(b) > l.max {
					tooLong, l.long = true, l.long[:0]
				}
				if !tooLong {
					l.long = append(l.long, b...)
				}
			}
			b = l.long
		}
		if len(b) > l.max {
			tooLong = true
		}
		if err != nil && !errors.Is(err, io.EOF) {
			return nil, 0, false, err
		}
		if tooLong {
			l.line++
			return nil, l.line, false, nil
		}
		if len(b) == 0 && err != nil {
			return nil, 0, false, io.EOF
		}
		l.line++
		if l.line == 1 {
			b = bytes.TrimPrefix(b, []byte("\xef\xbb\xbf"))
		}
		if t := bytes.TrimSpace(b); len(t) > 0 {
			return t, l.line, true, nil
		}
		if err != nil {
			return nil, 0, false, io.EOF
		}
	}
}
