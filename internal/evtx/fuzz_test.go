package evtx

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

var updateSeeds = flag.Bool("update-seeds", false, "rewrite the fuzz seed corpora under testdata/fuzz")

// checkFile reads data as an EVTX file and checks the invariants every
// input must keep: no panic, valid JSON in both forms, the flat form equal
// to FlattenJSON of the nested form, and consistent counts.
func checkFile(t *testing.T, data []byte) {
	r, err := NewReader(bytes.NewReader(data), int64(len(data)), "fuzz.evtx")
	if err != nil {
		return
	}
	defer r.Close()
	var nested, flat, again []byte
	n := 0
	for rec, err := range r.Records() {
		if err != nil {
			t.Fatalf("Records: %v", err)
		}
		n++
		nested = rec.AppendJSON(nested[:0])
		flat = rec.AppendFlatJSON(flat[:0])
		if !json.Valid(nested) {
			t.Fatalf("invalid nested JSON: %s", nested)
		}
		if !json.Valid(flat) {
			t.Fatalf("invalid flat JSON: %s", flat)
		}
		again, err = FlattenJSON(nested, again[:0])
		if err != nil || !bytes.Equal(again, flat) {
			t.Fatalf("FlattenJSON(nested) = %s, %v; AppendFlatJSON = %s", again, err, flat)
		}
	}
	if st := r.Stats(); st.RecordsRead != n || st.ChunksRead+st.ChunksSkipped > int(len(data)/chunkSize)+1 {
		t.Fatalf("stats %+v after %d records", st, n)
	}
}

// FuzzReader feeds whole files to the reader.
func FuzzReader(f *testing.F) {
	f.Fuzz(func(t *testing.T, data []byte) {
		checkFile(t, data)
	})
}

// FuzzBinXML feeds a record body (the BinXml after the record header) to
// the reader inside an otherwise valid file, so mutations reach the BinXml
// decoder without first breaking checksums or record framing.
func FuzzBinXML(f *testing.F) {
	f.Fuzz(func(t *testing.T, body []byte) {
		if len(body) > chunkSize-chunkHeaderSize-recordMinSize {
			return
		}
		w := newChunk()
		w.record(1, t0, func() { w.buf = append(w.buf, body...) })
		checkFile(t, buildFile(w.bytes()))
	})
}

// FuzzFlattenJSON feeds arbitrary JSON to FlattenJSON: it must not panic,
// and what it accepts must give valid JSON.
func FuzzFlattenJSON(f *testing.F) {
	f.Fuzz(func(t *testing.T, nested []byte) {
		out, err := FlattenJSON(nested, nil)
		if err == nil && !json.Valid(out) {
			t.Fatalf("FlattenJSON(%q) = invalid %q", nested, out)
		}
	})
}

// seedChunks returns small chunks covering the token and value kinds.
func seedChunks() []*chunkWriter {
	sysmon := newChunk()
	sysmon.event("e", 7, func() {
		sysmon.eventData(func() {
			sysmon.dataItem("RuleName", 16, typeString)
			sysmon.dataItem("ProcessId", 17, typeUint32)
			sysmon.dataItem("Hashes", 18, typeString|typeArray)
		})
	}, vStrZ("EXE"), vU32(4460), vStrArray("a", "b"))
	sysmon.event("e", 8, func() {}, vStrZ("DLL"), vU32(1), vStrArray("c"))

	raw := newChunk()
	raw.record(1, t0, func() {
		raw.fragment()
		raw.pi("t", "d")
		raw.open("Event", true, true)
		raw.attr("a", false)
		raw.text("x")
		raw.closeStart()
		raw.cdata("c")
		raw.charRef(38)
		raw.entity("amp")
		raw.open("E", false, true)
		raw.closeEmpty()
		raw.end()
		raw.eof()
	})

	nested := newChunk()
	nested.record(1, t0, func() {
		nested.fragment()
		nested.templateGen("outer", func() {
			nested.open("Event", false, true)
			nested.closeStart()
			nested.open("UserData", false, true)
			nested.closeStart()
			nested.subst(0, typeBinXML, false)
			nested.end()
			nested.leaf("T", 1, typeFiletime)
			nested.leaf("S", 2, typeSID)
			nested.leaf("G", 3, typeGUID)
			nested.leaf("R", 4, typeReal64)
			nested.end()
		}, []value{{typ: typeBinXML}, vFiletime(t0), vSID(5, 18), vGUID(1, 2, 3, [8]byte{4}), vR64(0.5)},
			map[int]func(){0: func() {
				nested.fragment()
				nested.open("Inner", true, false)
				nested.attr("xmlns", false)
				nested.text("urn:x")
				nested.closeStart()
				nested.text("v")
				nested.end()
				nested.eof()
			}})
		nested.eof()
	})
	return []*chunkWriter{sysmon, raw, nested, threeRecords(1)}
}

// TestWriteFuzzSeeds rewrites the committed seed corpora when run with
// -update-seeds; otherwise it checks that every seed file exists.
func TestWriteFuzzSeeds(t *testing.T) {
	seeds := map[string][][]byte{}
	for _, w := range seedChunks() {
		c := w.bytes()
		free := int(le.Uint32(c[48:]))
		seeds["FuzzReader"] = append(seeds["FuzzReader"], buildFile(c)[:fileHeaderSize+free])
		first := recordOffsets(c)[0]
		size := int(le.Uint32(c[first+4:]))
		seeds["FuzzBinXML"] = append(seeds["FuzzBinXML"], c[first+recordHeadSize:first+size-4])
		nested, _, _ := readAll(t, buildFile(c))
		seeds["FuzzFlattenJSON"] = append(seeds["FuzzFlattenJSON"], []byte(nested[0]))
	}
	for target, list := range seeds {
		for i, data := range list {
			path := filepath.Join("testdata", "fuzz", target, fmt.Sprintf("seed-%d", i))
			want := fmt.Sprintf("go test fuzz v1\n[]byte(%q)\n", data)
			if *updateSeeds {
				if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(path, []byte(want), 0o644); err != nil {
					t.Fatal(err)
				}
				continue
			}
			if _, err := os.Stat(path); err != nil {
				t.Errorf("seed %s missing (run go test -run TestWriteFuzzSeeds -update-seeds): %v", path, err)
			}
		}
	}
}
