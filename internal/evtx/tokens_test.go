package evtx

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

// singleRecord reads a file of one chunk holding what write puts in it and
// returns the decoded nested documents.
func readDocs(t *testing.T, w *chunkWriter) []any {
	t.Helper()
	nested, _, st := readAll(t, buildFile(w.bytes()))
	if st.RecordsFailed != 0 {
		t.Fatalf("records failed: %v", st.Warnings)
	}
	docs := make([]any, len(nested))
	for i, n := range nested {
		docs[i] = decodeJSON(t, n)
	}
	return docs
}

func checkDoc(t *testing.T, want string, got any) {
	t.Helper()
	if diff := cmp.Diff(decodeJSON(t, want), got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

// TestTemplateAndNameReuse writes three records sharing one template: the
// first defines it (and its names) inline, the others refer to them by
// offset, which exercises the per-chunk caches.
func TestTemplateAndNameReuse(t *testing.T) {
	w := newChunk()
	for i, who := range []string{"alice", "bob", "carol"} {
		w.record(uint64(10+i), t0, func() {
			w.fragment()
			w.template("user", func() {
				w.open("Event", false, true)
				w.closeStart()
				w.leaf("User", 0, typeString)
				w.leaf("N", 1, typeUint32)
				w.end()
			}, vStr(who), vU32(uint32(i)))
			w.eof()
		})
	}
	docs := readDocs(t, w)
	if len(docs) != 3 {
		t.Fatalf("got %d records, want 3", len(docs))
	}
	checkDoc(t, `{"Event":{"User":"alice","N":0}}`, docs[0])
	checkDoc(t, `{"Event":{"User":"bob","N":1}}`, docs[1])
	checkDoc(t, `{"Event":{"User":"carol","N":2}}`, docs[2])
}

// TestRawTokens covers a record without a template: elements, attributes,
// text in several value tokens, an inline typed value, CDATA, character
// and entity references, and a processing instruction.
func TestRawTokens(t *testing.T) {
	w := newChunk()
	w.record(1, t0, func() {
		w.fragment()
		w.pi("xml-stylesheet", `href="a.xsl"`)
		w.open("Event", true, true)
		w.attr("a", true)
		w.text("x")
		w.attr("b", false)
		w.text("1")
		w.text("2")
		w.closeStart()
		w.open("Text", false, true)
		w.closeStart()
		w.buf = append(w.buf, tokValue|tokMoreFlag, typeString, 3, 0, 'a', 0, 'b', 0, 'c', 0)
		w.text("def")
		w.end()
		w.open("Typed", false, true)
		w.closeStart()
		w.buf = append(w.buf, tokValue, typeUint32, 42, 0, 0, 0)
		w.end()
		w.open("CData", false, true)
		w.closeStart()
		w.cdata("<raw>")
		w.end()
		w.open("Refs", false, true)
		w.closeStart()
		w.text("a")
		w.charRef(38)
		w.entity("amp")
		w.end()
		w.open("Empty", false, true)
		w.closeEmpty()
		w.end()
		w.eof()
	})
	docs := readDocs(t, w)
	checkDoc(t, `{"Event":{"#attributes":{"a":"x","b":"12"},"Text":"abcdef","Typed":42,
		"CData":"<raw>","Refs":"a&#38;&amp;","Empty":null}}`, docs[0])
}

// TestSubstitutions covers normal and optional substitutions: an optional
// one with an empty value is dropped (and its attribute with it), a
// normal one with a null value renders nothing, and an index beyond the
// values is ignored.
func TestSubstitutions(t *testing.T) {
	w := newChunk()
	w.record(1, t0, func() {
		w.fragment()
		w.template("s", func() {
			w.open("Event", false, true)
			w.closeStart()
			w.open("Opt", true, true)
			w.attr("x", false)
			w.subst(0, typeString, true)
			w.closeEmpty()
			w.open("OptText", false, true)
			w.closeStart()
			w.subst(0, typeString, true)
			w.end()
			w.leaf("Null", 1, typeNull)
			w.leaf("Missing", 9, typeString)
			w.open("Both", true, true)
			w.attr("x", false)
			w.subst(2, typeString, false)
			w.closeStart()
			w.subst(3, typeUint8, false)
			w.end()
			w.end()
		}, vStr(""), vNull(), vStr("v"), vU8(3))
		w.eof()
	})
	checkDoc(t, `{"Event":{"Opt":null,"OptText":null,"Null":null,"Missing":null,
		"Both":{"#attributes":{"x":"v"},"#text":3}}}`, readDocs(t, w)[0])
}

// TestNestedBinXML covers a BinXml substitution value (type 0x21) holding
// elements written without dependency identifiers, and one holding a
// template instance of its own.
func TestNestedBinXML(t *testing.T) {
	w := newChunk()
	w.record(1, t0, func() {
		w.fragment()
		w.templateGen("outer", func() {
			w.open("Event", false, true)
			w.closeStart()
			w.open("UserData", false, true)
			w.closeStart()
			w.subst(0, typeBinXML, false)
			w.subst(1, typeBinXML, true)
			w.end()
			w.end()
		}, []value{{typ: typeBinXML}, {typ: typeBinXML}}, map[int]func(){
			0: func() {
				w.fragment()
				w.open("LogFileCleared", true, false)
				w.attr("xmlns", false)
				w.text("http://manifests.microsoft.com/win/2004/08/windows/eventlog")
				w.closeStart()
				w.open("SubjectUserName", false, false)
				w.closeStart()
				w.text("bob")
				w.end()
				w.end()
				w.eof()
			},
			1: func() {
				w.fragment()
				w.template("inner", func() {
					w.open("Extra", false, true)
					w.closeStart()
					w.leaf("Count", 0, typeUint16)
					w.end()
				}, vU16(9))
				w.eof()
			},
		})
		w.eof()
	})
	checkDoc(t, `{"Event":{"UserData":{
		"LogFileCleared":{"#attributes":{"xmlns":"http://manifests.microsoft.com/win/2004/08/windows/eventlog"},"SubjectUserName":"bob"},
		"Extra":{"Count":9}}}}`, readDocs(t, w)[0])
}

// TestEventDataShapes covers the JSON shapes of EventData and UserData:
// named Data, unnamed Data (one and several), mixed named and unnamed,
// Data holding elements, Binary, and repeated element names.
func TestEventDataShapes(t *testing.T) {
	data := func(w *chunkWriter, name, text string) {
		if name == "" {
			w.open("Data", false, true)
		} else {
			w.open("Data", true, true)
			w.attr("Name", false)
			w.text(name)
		}
		w.closeStart()
		if text != "" {
			w.text(text)
		}
		w.end()
	}
	tests := []struct {
		name string
		body func(w *chunkWriter)
		want string
	}{
		{"named", func(w *chunkWriter) { data(w, "A", "1"); data(w, "B", "") },
			`{"A":"1","B":""}`},
		{"one unnamed", func(w *chunkWriter) { data(w, "", "x") },
			`{"Data":{"#text":"x"}}`},
		{"several unnamed", func(w *chunkWriter) { data(w, "", "x"); data(w, "", ""); data(w, "", "z") },
			`{"Data":{"#text":["x","","z"]}}`},
		{"unnamed dropped beside named", func(w *chunkWriter) { data(w, "", "x"); data(w, "A", "1") },
			`{"A":"1"}`},
		{"binary beside data", func(w *chunkWriter) {
			data(w, "", "x")
			w.open("Binary", false, true)
			w.closeStart()
			w.text("0A0B")
			w.end()
		}, `{"Data":{"#text":"x"},"Binary":"0A0B"}`},
		{"data holding an element", func(w *chunkWriter) {
			w.open("Data", true, true)
			w.attr("Name", false)
			w.text("Blob")
			w.closeStart()
			w.open("Inner", false, true)
			w.closeStart()
			w.text("v")
			w.end()
			w.end()
		}, `{"Blob":{"#attributes":{"Name":"Blob"},"Inner":"v"}}`},
		{"repeated names get suffixes", func(w *chunkWriter) {
			for _, s := range []string{"a", "b", "c"} {
				w.open("Item", false, true)
				w.closeStart()
				w.text(s)
				w.end()
			}
		}, `{"Item":"a","Item_1":"b","Item_2":"c"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := newChunk()
			w.record(1, t0, func() {
				w.fragment()
				w.open("Event", false, true)
				w.closeStart()
				w.open("EventData", false, true)
				w.closeStart()
				tt.body(w)
				w.end()
				w.end()
				w.eof()
			})
			doc := readDocs(t, w)[0]
			checkDoc(t, `{"Event":{"EventData":`+tt.want+`}}`, doc)
		})
	}
}

// TestEventIDQualifiers checks an element with both an attribute and text.
func TestEventIDQualifiers(t *testing.T) {
	got := renderEvent(t, func(w *chunkWriter) {
		w.open("EventID", true, true)
		w.attr("Qualifiers", false)
		w.subst(0, typeUint16, false)
		w.closeStart()
		w.subst(1, typeUint16, false)
		w.end()
	}, vU16(16384), vU16(7036))
	want := map[string]any{"EventID": map[string]any{
		"#attributes": map[string]any{"Qualifiers": num("16384")}, "#text": num("7036")}}
	if diff := cmp.Diff(any(want), got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

// TestRecordFields checks the record identifier, write time, chunk and
// offset reported for each record.
func TestRecordFields(t *testing.T) {
	w := newChunk()
	w.event("e", 41, func() {})
	w.event("e", 42, func() {})
	data := buildFile(w.bytes())
	r, err := NewReader(bytesReader(data), int64(len(data)), "f.evtx")
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	type rec struct {
		ID     uint64
		Time   string
		Chunk  int
		Offset int64
	}
	var got []rec
	for r0, err := range r.Records() {
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, rec{r0.ID, r0.Time.Format("2006-01-02T15:04:05.9999999Z07:00"), r0.Chunk, r0.Offset})
	}
	if len(got) != 2 {
		t.Fatalf("got %d records", len(got))
	}
	want := []rec{
		{41, "2026-04-17T05:24:53.0920517Z", 0, fileHeaderSize + chunkHeaderSize},
		{42, "2026-04-17T05:24:53.0920517Z", 0, got[1].Offset},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if got[1].Offset <= got[0].Offset {
		t.Errorf("second record offset %d not after first %d", got[1].Offset, got[0].Offset)
	}
	if h := r.Header(); h.MajorVersion != 3 || h.MinorVersion != 1 || h.ChunkCount != 1 || !h.ChecksumOK || h.Dirty() {
		t.Errorf("header = %+v", h)
	}
}
