package evtx

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"iter"
	"os"
	"sync"
	"time"
)

// maxWarnings caps the warnings kept in Stats; later ones are only counted.
const maxWarnings = 1000

// Stats counts what a pass over the records found.
type Stats struct {
	ChunksRead      int      // chunks parsed
	ChunksSkipped   int      // chunks that could not be parsed (damaged)
	RecordsRead     int      // records decoded and yielded
	RecordsFailed   int      // records (or damaged record areas) skipped
	RecordsDeclared uint64   // records the headers of the chunks read declare
	Warnings        []string // what was wrong, naming file, chunk and record
	WarningsDropped int      // warnings beyond the first 1000
}

// Reader reads the records of one EVTX file. It is not safe for concurrent
// use; open one Reader per goroutine.
type Reader struct {
	ra     io.ReaderAt
	size   int64
	name   string
	closer io.Closer
	header FileHeader
	stats  Stats
	st     *state // nil once closed
	rec    Record
}

// state is the reusable working memory of a Reader: the chunk buffer, the
// per-chunk caches and the per-record scratch space. Readers take one from
// a pool and give it back on Close, so reading many files allocates little.
type state struct {
	buf     []byte // current chunk
	chunk   chunk
	parser  parser
	builder builder
	render  renderer
	flat    flattener
	scratch []byte // nested JSON for AppendFlatJSON
}

var statePool = sync.Pool{New: func() any {
	s := &state{buf: make([]byte, chunkSize)}
	s.parser.c = &s.chunk
	s.builder.p = &s.parser
	return s
}}

var errClosed = errors.New("evtx: reader is closed")

// Record is one event record. It and its methods are valid only until the
// Records loop advances: copy what you need to keep (e.g. the bytes that
// AppendJSON appends to your own buffer).
type Record struct {
	// ID is the event's EventRecordID (System/EventRecordID), or HeaderID
	// when the event has none.
	ID uint64
	// HeaderID is the identifier in the record header. It equals ID except
	// in exported logs, which renumber their records from 1 while the
	// events keep their original EventRecordID.
	HeaderID uint64
	Time     time.Time // when the record was written, UTC
	Chunk    int       // index of the chunk in the file
	Offset   int64     // file offset of the record
	r        *Reader
}

// Open opens the EVTX file at path. Close it when done.
func Open(path string) (*Reader, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("evtx: %w", err)
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("evtx: %w", err)
	}
	r, err := NewReader(f, st.Size(), path)
	if err != nil {
		f.Close()
		return nil, err
	}
	r.closer = f
	return r, nil
}

// NewReader reads an EVTX file of the given size from ra; name labels
// warnings. It fails only when the file header is missing or is not an EVTX
// header.
func NewReader(ra io.ReaderAt, size int64, name string) (*Reader, error) {
	var hb [128]byte
	if size < int64(len(hb)) {
		return nil, fmt.Errorf("evtx: %s: file too small for a header (%d bytes)", name, size)
	}
	if _, err := ra.ReadAt(hb[:], 0); err != nil {
		return nil, fmt.Errorf("evtx: %s: reading header: %w", name, err)
	}
	h, err := parseFileHeader(hb[:])
	if err != nil {
		return nil, fmt.Errorf("%w: %s", err, name)
	}
	r := &Reader{ra: ra, size: size, name: name, header: h, st: statePool.Get().(*state)}
	r.rec.r = r
	return r, nil
}

// Close releases the Reader's working memory and closes the file opened by
// Open. Records yielded before must no longer be used.
func (r *Reader) Close() error {
	if r.st != nil {
		r.st.chunk.reset(nil)
		statePool.Put(r.st)
		r.st = nil
	}
	if r.closer == nil {
		return nil
	}
	err := r.closer.Close()
	r.closer = nil
	return err
}

// Header returns the decoded file header.
func (r *Reader) Header() FileHeader { return r.header }

// Stats returns the counts of the last (or current) pass of Records.
func (r *Reader) Stats() Stats {
	s := r.stats
	s.Warnings = append([]string(nil), s.Warnings...)
	return s
}

func (r *Reader) warn(format string, args ...any) {
	if len(r.stats.Warnings) >= maxWarnings {
		r.stats.WarningsDropped++
		return
	}
	r.stats.Warnings = append(r.stats.Warnings, r.name+": "+fmt.Sprintf(format, args...))
}

// Records iterates over every record of every chunk present in the file, in
// file order. Damaged chunks and records are skipped, counted and reported
// in Stats; the error is non-nil only for an I/O failure, which ends the
// iteration. Each call starts a new pass and resets Stats.
func (r *Reader) Records() iter.Seq2[*Record, error] {
	return func(yield func(*Record, error) bool) {
		r.stats = Stats{}
		if r.st == nil {
			yield(nil, errClosed)
			return
		}
		if !r.header.ChecksumOK {
			r.warn("file header checksum mismatch")
		}
		if (r.size-fileHeaderSize)%chunkSize != 0 && r.size > fileHeaderSize {
			r.warn("file size %d is not a whole number of chunks; last chunk truncated", r.size)
		}
		valid := 0
		for i := 0; ; i++ {
			off := int64(fileHeaderSize) + int64(i)*chunkSize
			if off >= r.size {
				break
			}
			n := int(min(int64(chunkSize), r.size-off))
			b := r.st.buf[:n]
			if _, err := r.ra.ReadAt(b, off); err != nil && !errors.Is(err, io.EOF) {
				yield(nil, fmt.Errorf("evtx: %s: chunk %d: %w", r.name, i, err))
				return
			}
			if !r.openChunk(i, b) {
				continue
			}
			valid++
			if !r.chunkRecords(i, off, yield) {
				return
			}
		}
		if valid > int(r.header.ChunkCount) {
			r.warn("file header declares %d chunks, %d found (dirty file)", r.header.ChunkCount, valid)
		}
	}
}

// openChunk checks the chunk header and prepares the chunk caches. It
// returns false for an unused (all-zero) or unparsable chunk.
func (r *Reader) openChunk(i int, b []byte) bool {
	if len(b) < chunkHeaderSize {
		if !isZero(b) {
			r.warn("chunk %d: truncated to %d bytes", i, len(b))
			r.stats.ChunksSkipped++
		}
		return false
	}
	if [8]byte(b[:8]) != chunkSignature {
		if isZero(b[:chunkHeaderSize]) {
			return false
		}
		r.warn("chunk %d: bad chunk signature", i)
		r.stats.ChunksSkipped++
		return false
	}
	h := parseChunkHeader(b)
	crcOK := chunkHeaderChecksum(b) == h.headerChecksum
	sane := h.headerSize == 128 && h.freeSpaceOff >= chunkHeaderSize && h.freeSpaceOff <= chunkSize &&
		h.declared() > 0
	switch {
	case !crcOK && !sane:
		r.warn("chunk %d: header checksum mismatch and header fields invalid; chunk skipped", i)
		r.stats.ChunksSkipped++
		return false
	case !crcOK:
		r.warn("chunk %d: header checksum mismatch", i)
	case !sane:
		r.warn("chunk %d: header fields invalid (free space offset %#x, records %d-%d); scanning for records",
			i, h.freeSpaceOff, h.firstRecordID, h.lastRecordID)
	}
	if end := h.recordsEnd(); end <= len(b) {
		if crc32.ChecksumIEEE(b[chunkHeaderSize:end]) != h.dataChecksum {
			r.warn("chunk %d: event records checksum mismatch", i)
		}
	}
	if len(b) < chunkSize {
		r.warn("chunk %d: truncated to %d bytes", i, len(b))
	}
	r.stats.ChunksRead++
	r.stats.RecordsDeclared += h.declared()
	r.st.chunk.reset(b)
	return true
}

// chunkRecords decodes and yields the records of the current chunk. It
// returns false when the consumer stopped the iteration.
func (r *Reader) chunkRecords(ci int, chunkOff int64, yield func(*Record, error) bool) bool {
	b := r.st.chunk.b
	h := parseChunkHeader(b)
	end := min(h.recordsEnd(), len(b))
	le := binary.LittleEndian
	pos := chunkHeaderSize
	var lastID uint64
	for pos+recordMinSize <= len(b) {
		size, ok := recordAt(b, pos)
		if pos >= end {
			// Past the free space offset: go on only while well-formed
			// records continue the sequence (a header not yet updated).
			if !ok || le.Uint64(b[pos+8:]) != lastID+1 {
				break
			}
			r.warn("chunk %d: record %d beyond the free space offset", ci, lastID+1)
		}
		if !ok {
			if isZero(b[pos:end]) {
				break
			}
			next := nextRecord(b, pos+1, end)
			r.stats.RecordsFailed++
			r.warn("chunk %d: damaged record header at chunk offset %#x (after record %d); skipped %d bytes",
				ci, pos, lastID, next-pos)
			pos = next
			continue
		}
		id := le.Uint64(b[pos+8:])
		lastID = id
		if err := r.decode(pos, size); err != nil {
			r.stats.RecordsFailed++
			r.warn("chunk %d: record %d: %v", ci, id, err)
			pos += size
			continue
		}
		r.stats.RecordsRead++
		r.rec.HeaderID = id
		r.rec.ID = id
		if eid, ok := r.st.render.eventRecordID(); ok {
			r.rec.ID = eid
		}
		r.rec.Time = filetimeToTime(le.Uint64(b[pos+16:]))
		r.rec.Chunk = ci
		r.rec.Offset = chunkOff + int64(pos)
		if !yield(&r.rec, nil) {
			return false
		}
		pos += size
	}
	return true
}

// recordAt checks the record header at pos: signature, a size that fits the
// chunk, and the copy of the size at its end.
func recordAt(b []byte, pos int) (int, bool) {
	if pos+recordMinSize > len(b) || b[pos] != 0x2a || b[pos+1] != 0x2a || b[pos+2] != 0 || b[pos+3] != 0 {
		return 0, false
	}
	le := binary.LittleEndian
	size := int(le.Uint32(b[pos+4:]))
	if size < recordMinSize || size > len(b)-pos || int(le.Uint32(b[pos+size-4:])) != size {
		return 0, false
	}
	return size, true
}

// nextRecord scans for the next well-formed record header from pos, or
// returns end.
func nextRecord(b []byte, pos, end int) int {
	for ; pos+recordMinSize <= end; pos++ {
		if _, ok := recordAt(b, pos); ok {
			return pos
		}
	}
	return end
}

// decode parses the BinXml of the record at pos into the record tree.
func (r *Reader) decode(pos, size int) error {
	st := r.st
	p := &st.parser
	p.ops = p.ops[:0]
	p.vals = p.vals[:0]
	if _, err := p.parse(pos+recordHeadSize, pos+size-4, false, false); err != nil {
		return err
	}
	st.builder.reset()
	if err := st.builder.exec(p.ops, nil); err != nil {
		return err
	}
	st.render.nodes = st.builder.nodes
	if st.render.root() < 0 {
		return errors.New("record holds no element")
	}
	return nil
}

// AppendJSON appends the record in the nested JSON form (the shape of
// evtx_dump -o json, compact) to dst.
func (rec *Record) AppendJSON(dst []byte) []byte {
	return rec.r.st.render.appendDocument(dst)
}

// AppendFlatJSON appends the record in the flat JSON form (see FlattenJSON)
// to dst.
func (rec *Record) AppendFlatJSON(dst []byte) []byte {
	st := rec.r.st
	st.scratch = st.render.appendDocument(st.scratch[:0])
	out, err := st.flat.flatten(st.scratch, dst)
	if err != nil {
		// Cannot happen for our own output; keep the output valid JSON.
		return append(dst, '{', '}')
	}
	return out
}
