package evtx

import (
	"bytes"
	"fmt"
)

// ExampleNewReader reads an in-memory EVTX file (made by the test writer)
// and prints each record in both JSON forms.
func ExampleNewReader() {
	w := newChunk()
	w.record(1, t0, func() {
		w.fragment()
		w.template("t", func() {
			w.open("Event", false, true)
			w.closeStart()
			w.open("System", false, true)
			w.closeStart()
			w.leaf("EventID", 0, typeUint16)
			w.end()
			w.open("EventData", false, true)
			w.closeStart()
			w.dataItem("User", 1, typeString)
			w.end()
			w.end()
		}, vU16(4624), vStr("alice"))
		w.eof()
	})
	data := buildFile(w.bytes())

	r, err := NewReader(bytes.NewReader(data), int64(len(data)), "example.evtx")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer r.Close()
	for rec, err := range r.Records() {
		if err != nil {
			fmt.Println(err)
			return
		}
		fmt.Println(rec.ID, rec.Time.Format("2006-01-02T15:04:05Z"))
		fmt.Println(string(rec.AppendJSON(nil)))
		fmt.Println(string(rec.AppendFlatJSON(nil)))
	}
	fmt.Printf("%+v\n", r.Stats())
	// Output:
	// 1 2026-04-17T05:24:53Z
	// {"Event":{"System":{"EventID":4624},"EventData":{"User":"alice"}}}
	// {"EventID":4624,"User":"alice"}
	// {ChunksRead:1 ChunksSkipped:0 RecordsRead:1 RecordsFailed:0 RecordsDeclared:1 Warnings:[] WarningsDropped:0}
}
