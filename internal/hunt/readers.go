package hunt

import (
	"context"
	"errors"
	"io"
	"os"

	"github.com/kubu-gov/kubu/internal/evtx"
)

// maxFileWarnings caps the reader warnings kept per file.
const maxFileWarnings = 5

// fileReader reads one input file into batches for the matchers.
type fileReader struct {
	ctx   context.Context
	idx   int
	in    Input
	state *fileState
	pool  *batchPool
	out   chan<- *batch
	cnt   *Counters

	cur      *batch
	reported int64 // bytes already added to cnt.BytesDone
}

// read reads the whole file and returns what happened; records and
// reader-side failures are counted in r.state.
func (r *fileReader) read() FileResult {
	fr := FileResult{Path: r.in.Path, Kind: r.in.Kind}
	var err error
	switch r.in.Kind {
	case KindEVTX:
		err = r.readEVTX(&fr)
	default:
		err = r.readJSON()
	}
	if err == nil {
		err = r.flush()
	}
	r.progress(r.in.Size)
	if err != nil && !errors.Is(err, r.ctx.Err()) {
		fr.Err = errText(err)
	}
	return fr
}

func (r *fileReader) readEVTX(fr *FileResult) error {
	rd, err := evtx.Open(r.in.Path)
	if err != nil {
		return err
	}
	defer rd.Close()
	var ioErr error
	for rec, err := range rd.Records() {
		if err != nil {
			ioErr = err
			break
		}
		b := r.batch()
		off := len(b.buf)
		b.buf = rec.AppendFlatJSON(b.buf)
		b.recs = append(b.recs, recMeta{no: rec.ID, off: off, end: len(b.buf), when: rec.Time, flat: true})
		if b.full() {
			r.progress(rec.Offset)
			if err := r.flush(); err != nil {
				return err
			}
		}
	}
	st := rd.Stats()
	r.state.failed.Add(int64(st.RecordsFailed))
	fr.Warnings = st.Warnings
	fr.WarningsDropped = st.WarningsDropped
	if len(fr.Warnings) > maxFileWarnings {
		fr.WarningsDropped += len(fr.Warnings) - maxFileWarnings
		fr.Warnings = append([]string(nil), fr.Warnings[:maxFileWarnings]...)
	}
	return ioErr
}

func (r *fileReader) readJSON() error {
	f, err := os.Open(r.in.Path)
	if err != nil {
		return err
	}
	defer f.Close()
	cr := &countingReader{r: f}
	add := func(no uint64, doc []byte) error {
		b := r.batch()
		off := len(b.buf)
		b.buf = append(b.buf, doc...)
		b.recs = append(b.recs, recMeta{no: no, off: off, end: len(b.buf)})
		if b.full() {
			r.progress(cr.n)
			return r.flush()
		}
		return nil
	}
	if r.in.Kind == KindLines {
		lr := newLineReader(cr, maxDoc)
		for {
			line, no, ok, err := lr.next()
			if errors.Is(err, io.EOF) {
				return nil
			}
			if err != nil {
				return err
			}
			if !ok || line[0] != '{' {
				r.state.failed.Add(1)
				continue
			}
			if err := add(no, line); err != nil {
				return err
			}
		}
	}
	dr := newDocReader(cr, maxDoc)
	var no uint64
	for {
		doc, st, err := dr.next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		no++
		if st != docObject {
			r.state.failed.Add(1)
			continue
		}
		if err := add(no, doc); err != nil {
			return err
		}
	}
}

// batch returns the batch being filled.
func (r *fileReader) batch() *batch {
	if r.cur == nil {
		r.cur = r.pool.get(r.idx)
	}
	return r.cur
}

// flush hands the current batch to the matchers.
func (r *fileReader) flush() error {
	if r.cur == nil || len(r.cur.recs) == 0 {
		return nil
	}
	select {
	case r.out <- r.cur:
		r.cur = nil
		return nil
	case <-r.ctx.Done():
		return r.ctx.Err()
	}
}

// progress reports that the file has been read up to offset pos.
func (r *fileReader) progress(pos int64) {
	pos = min(pos, r.in.Size)
	if pos > r.reported {
		r.cnt.BytesDone.Add(pos - r.reported)
		r.reported = pos
	}
}

type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}
