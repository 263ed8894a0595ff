package evtx

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"testing"
)

// threeRecords builds a chunk of three small records (identifiers first,
// first+1, first+2) sharing a template.
func threeRecords(first uint64) *chunkWriter {
	w := newChunk()
	for i := range uint64(3) {
		w.record(first+i, t0, func() {
			w.fragment()
			w.template("r", func() {
				w.open("Event", false, true)
				w.closeStart()
				w.leaf("N", 0, typeUint64)
				w.end()
			}, vU64(first+i))
			w.eof()
		})
	}
	return w
}

// recordOffsets returns the chunk offsets of the records of a chunk.
func recordOffsets(c []byte) []int {
	var offs []int
	for pos := chunkHeaderSize; ; {
		size, ok := recordAt(c, pos)
		if !ok {
			return offs
		}
		offs = append(offs, pos)
		pos += size
	}
}

func ids(t *testing.T, nested []string) []string {
	t.Helper()
	var out []string
	for _, n := range nested {
		var doc struct{ Event struct{ N json.Number } }
		if err := json.Unmarshal([]byte(n), &doc); err != nil {
			t.Fatalf("%s: %v", n, err)
		}
		out = append(out, doc.Event.N.String())
	}
	return out
}

func hasWarning(st Stats, parts ...string) bool {
	for _, w := range st.Warnings {
		all := true
		for _, p := range parts {
			all = all && strings.Contains(w, p)
		}
		if all {
			return true
		}
	}
	return false
}

// TestDamage covers damaged files: each case edits a valid file and says
// which records must still be read, how many chunks are skipped, how many
// records fail, and which warning must name the problem.
func TestDamage(t *testing.T) {
	tests := []struct {
		name     string
		build    func() []byte
		want     []string // N of the records read, in order
		skipped  int
		failed   int
		warnings [][]string // each must match one warning
	}{
		{
			name:     "bad chunk header checksum, sane header",
			build:    func() []byte { c := threeRecords(1).bytes(); c[124] ^= 0xff; return buildFile(c) },
			want:     []string{"1", "2", "3"},
			warnings: [][]string{{"test.evtx", "chunk 0", "header checksum mismatch"}},
		},
		{
			name: "bad records checksum",
			build: func() []byte {
				c := threeRecords(1).bytes()
				le.PutUint32(c[52:], le.Uint32(c[52:])+1)
				le.PutUint32(c[124:], chunkHeaderChecksum(c))
				return buildFile(c)
			},
			want:     []string{"1", "2", "3"},
			warnings: [][]string{{"chunk 0", "event records checksum mismatch"}},
		},
		{
			name: "garbage chunk between good ones",
			build: func() []byte {
				bad := bytes.Repeat([]byte{0xde, 0xad}, chunkSize/2)
				return buildFile(threeRecords(1).bytes(), bad, threeRecords(4).bytes())
			},
			want:     []string{"1", "2", "3", "4", "5", "6"},
			skipped:  1,
			warnings: [][]string{{"chunk 1", "bad chunk signature"}},
		},
		{
			name: "chunk header both insane and failing its checksum",
			build: func() []byte {
				c := threeRecords(1).bytes()
				le.PutUint32(c[48:], 3) // free space offset inside the header
				return buildFile(c, threeRecords(4).bytes())
			},
			want:     []string{"4", "5", "6"},
			skipped:  1,
			warnings: [][]string{{"chunk 0", "chunk skipped"}},
		},
		{
			name: "damaged BinXml in one record",
			build: func() []byte {
				c := threeRecords(1).bytes()
				off := recordOffsets(c)[1]
				c[off+recordHeadSize] = 0x3f // unknown token instead of the fragment header
				fixChunkCRCs(c)
				return buildFile(c)
			},
			want:     []string{"1", "3"},
			failed:   1,
			warnings: [][]string{{"test.evtx", "chunk 0", "record 2", "unknown BinXml token"}},
		},
		{
			name: "broken record size copy",
			build: func() []byte {
				c := threeRecords(1).bytes()
				off := recordOffsets(c)[1]
				size := le.Uint32(c[off+4:])
				le.PutUint32(c[off+int(size)-4:], size+8)
				fixChunkCRCs(c)
				return buildFile(c)
			},
			want:     []string{"1", "3"},
			failed:   1,
			warnings: [][]string{{"chunk 0", "damaged record header", "after record 1"}},
		},
		{
			name: "template definition offset out of range",
			build: func() []byte {
				w := newChunk()
				w.record(1, t0, func() {
					w.fragment()
					w.buf = append(w.buf, tokTemplate, 1, 0, 0, 0, 0, 0xf0, 0xff, 0, 0, 0, 0, 0, 0)
					w.eof()
				})
				return buildFile(w.bytes(), threeRecords(2).bytes())
			},
			want:     []string{"2", "3", "4"},
			failed:   1,
			warnings: [][]string{{"chunk 0", "record 1", "template definition"}},
		},
		{
			name: "unbalanced elements",
			build: func() []byte {
				w := newChunk()
				w.record(1, t0, func() {
					w.fragment()
					w.open("Event", false, true)
					w.closeStart()
					w.eof()
				})
				w.record(2, t0, func() {
					w.fragment()
					w.end()
					w.eof()
				})
				return buildFile(w.bytes())
			},
			failed:   2,
			warnings: [][]string{{"record 1", "left open"}, {"record 2", "without an open element"}},
		},
		{
			name: "bad file header checksum",
			build: func() []byte {
				f := buildFile(threeRecords(1).bytes())
				f[124] ^= 1
				return f
			},
			want:     []string{"1", "2", "3"},
			warnings: [][]string{{"file header checksum mismatch"}},
		},
		{
			name: "dirty file declaring too few chunks",
			build: func() []byte {
				f := buildFile(threeRecords(1).bytes(), threeRecords(4).bytes())
				le.PutUint16(f[42:], 1)
				le.PutUint32(f[120:], flagDirty)
				fixFileCRC(f)
				return f
			},
			want:     []string{"1", "2", "3", "4", "5", "6"},
			warnings: [][]string{{"declares 1 chunks, 2 found"}},
		},
		{
			name: "chunk header not updated after the last records",
			build: func() []byte {
				c := threeRecords(1).bytes()
				offs := recordOffsets(c)
				le.PutUint64(c[16:], 1)
				le.PutUint64(c[32:], 1)
				le.PutUint32(c[44:], uint32(offs[0]))
				le.PutUint32(c[48:], uint32(offs[1]))
				fixChunkCRCs(c)
				return buildFile(c)
			},
			want:     []string{"1", "2", "3"},
			warnings: [][]string{{"record 2 beyond the free space offset"}},
		},
		{
			name: "truncated inside the third record",
			build: func() []byte {
				c := threeRecords(1).bytes()
				offs := recordOffsets(c)
				return buildFile(c)[:fileHeaderSize+offs[2]+10]
			},
			want:     []string{"1", "2"},
			warnings: [][]string{{"truncated"}},
		},
		{
			name:     "truncated inside the chunk header",
			build:    func() []byte { return buildFile(threeRecords(1).bytes())[:fileHeaderSize+100] },
			skipped:  1,
			warnings: [][]string{{"chunk 0", "truncated to 100 bytes"}},
		},
		{
			name:  "header only",
			build: func() []byte { return buildFile() },
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			nested, _, st := readAll(t, tt.build())
			if got := ids(t, nested); strings.Join(got, ",") != strings.Join(tt.want, ",") {
				t.Errorf("records read %v, want %v", got, tt.want)
			}
			if st.ChunksSkipped != tt.skipped || st.RecordsFailed != tt.failed || st.RecordsRead != len(tt.want) {
				t.Errorf("stats %+v: want %d chunks skipped, %d records failed", st, tt.skipped, tt.failed)
			}
			for _, w := range tt.warnings {
				if !hasWarning(st, w...) {
					t.Errorf("no warning with %q in %q", w, st.Warnings)
				}
			}
			if len(tt.warnings) == 0 && len(st.Warnings) != 0 {
				t.Errorf("unexpected warnings %q", st.Warnings)
			}
		})
	}
}

// TestNotEVTX checks that inputs without an EVTX header are refused.
func TestNotEVTX(t *testing.T) {
	for name, data := range map[string][]byte{
		"empty":   nil,
		"short":   []byte("ElfFile\x00"),
		"garbage": bytes.Repeat([]byte("garbage!"), 1000),
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := NewReader(bytes.NewReader(data), int64(len(data)), name); err == nil {
				t.Error("NewReader accepted it")
			}
		})
	}
	if _, err := Open("testdata/does-not-exist.evtx"); err == nil {
		t.Error("Open of a missing file succeeded")
	}
}

// failingReaderAt fails every read past the file header.
type failingReaderAt struct{ data []byte }

var errDisk = errors.New("disk on fire")

func (f failingReaderAt) ReadAt(p []byte, off int64) (int, error) {
	if off >= fileHeaderSize {
		return 0, errDisk
	}
	return bytes.NewReader(f.data).ReadAt(p, off)
}

// TestIOErrorAndClose checks that an I/O error ends the iteration with the
// error, and that a closed Reader yields an error.
func TestIOErrorAndClose(t *testing.T) {
	data := buildFile(threeRecords(1).bytes())
	r, err := NewReader(failingReaderAt{data}, int64(len(data)), "f")
	if err != nil {
		t.Fatal(err)
	}
	var got error
	for _, err := range r.Records() {
		got = err
	}
	if !errors.Is(got, errDisk) {
		t.Errorf("got %v, want %v", got, errDisk)
	}
	r.Close()
	for _, err := range r.Records() {
		got = err
	}
	if !errors.Is(got, errClosed) {
		t.Errorf("after Close got %v, want %v", got, errClosed)
	}
	if err := r.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
}

// TestStopEarly checks that breaking out of the loop is honoured.
func TestStopEarly(t *testing.T) {
	data := buildFile(threeRecords(1).bytes(), threeRecords(4).bytes())
	r, err := NewReader(bytes.NewReader(data), int64(len(data)), "f")
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	n := 0
	for range r.Records() {
		n++
		if n == 2 {
			break
		}
	}
	if n != 2 || r.Stats().RecordsRead != 2 {
		t.Errorf("read %d records (stats %d), want 2", n, r.Stats().RecordsRead)
	}
}

// TestMutationsNeverPanic flips every byte of a small valid file's records
// and header area to several values and reads the result: the reader must
// not panic and must only ever produce valid JSON (readAll checks).
func TestMutationsNeverPanic(t *testing.T) {
	w := newChunk()
	w.event("e", 1, func() {
		w.eventData(func() {
			w.dataItem("A", 16, typeString)
			w.dataItem("B", 17, typeUint32|typeArray)
		})
	}, vStrZ("x"), vArray(typeUint32, vU32(1), vU32(2)))
	w.event("e", 2, func() {}, vStrZ("y"), vArray(typeUint32, vU32(3)))
	c := w.bytes()
	end := int(le.Uint32(c[48:]))
	orig := buildFile(c)
	data := make([]byte, len(orig))
	for i := fileHeaderSize; i < fileHeaderSize+end; i++ {
		for _, x := range []byte{0x00, 0xff, 0x41, 0x0c} {
			copy(data, orig)
			if data[i] == x {
				continue
			}
			data[i] = x
			if i >= fileHeaderSize+chunkHeaderSize {
				fixChunkCRCs(data[fileHeaderSize:])
			}
			readAll(t, data)
		}
	}
}

// TestExpansionLimits checks that hostile reuse of substitutions cannot
// blow up time or output: a template repeating a large array value many
// times renders within the expansion budget, and nested BinXml values that
// expand each other exponentially fail the record instead of hanging.
func TestExpansionLimits(t *testing.T) {
	t.Run("array repeated by many elements", func(t *testing.T) {
		w := newChunk()
		items := make([]value, 8000)
		for i := range items {
			items[i] = vU8(byte(i))
		}
		w.record(1, t0, func() {
			w.fragment()
			w.template("big", func() {
				w.open("Event", false, true)
				w.closeStart()
				for range 100 {
					w.leaf("V", 0, typeUint8|typeArray)
				}
				w.end()
			}, vArray(typeUint8, items...))
			w.eof()
		})
		nested, _, st := readAll(t, buildFile(w.bytes()))
		if st.RecordsRead != 1 {
			t.Fatalf("stats %+v", st)
		}
		if len(nested[0]) > 16<<20 {
			t.Errorf("output of %d bytes", len(nested[0]))
		}
	})
	t.Run("nested BinXml fan-out", func(t *testing.T) {
		// Template T substitutes its BinXml value %0 200 times; each value
		// instantiates T again with a value one level shallower, seven
		// levels deep: 200^7 expansions adding no nodes at all.
		w := newChunk()
		w.record(1, t0, func() {
			w.fragment()
			def := func() {
				for range 200 {
					w.subst(0, typeBinXML, false)
				}
			}
			w.templateGen("fan", def, []value{{typ: typeBinXML}}, map[int]func(){0: func() {
				var level func(k int)
				level = func(k int) {
					w.fragment()
					if k > 0 {
						w.u8(tokTemplate)
						w.u8(1)
						w.u32(0)
						w.u32(w.templates["fan"])
						w.u32(1)
						sizeAt := w.pos()
						w.u16(0)
						w.u8(typeBinXML)
						w.u8(0)
						start := w.pos()
						level(k - 1)
						le.PutUint16(w.buf[sizeAt:], uint16(w.pos()-start))
					}
					w.eof()
				}
				level(7)
			}})
			w.eof()
		})
		_, _, st := readAll(t, buildFile(w.bytes()))
		if st.RecordsFailed != 1 || !hasWarning(st, "record 1", "too much work") {
			t.Errorf("stats %+v, want the record failed for too much work", st)
		}
	})
}
