// Package evtx reads Windows XML Event Log (EVTX) files and renders their
// records as JSON.
//
// It is written from the public format description (Joachim Metz, "Windows
// XML Event Log (EVTX) format") and [MS-EVEN6] BinXml, and imports only the
// standard library.
//
// A file is a 4096-byte header followed by 64 KiB chunks. Each chunk holds a
// header, a table of common names and templates, and event records whose
// body is BinXml: a token stream that usually instantiates a template stored
// earlier in the same chunk with per-record substitution values. The reader
// caches names and templates per chunk, builds a small node tree per record
// in reusable buffers, and renders JSON straight from that tree.
//
// Usage:
//
//	r, err := evtx.Open(path)
//	if err != nil { … }
//	defer r.Close()
//	for rec, err := range r.Records() {
//		if err != nil { … } // I/O error; iteration ends
//		line = rec.AppendFlatJSON(line[:0])
//	}
//	st := r.Stats() // chunks read/skipped, records read/failed, warnings
//
// Damage never stops the reader: a bad checksum is a warning, a chunk that
// cannot be parsed is skipped and counted, a record whose BinXml is damaged
// is counted as failed and the rest of the chunk goes on. Chunks are read
// wherever they are present, whatever the file header says (dirty files).
//
// Two JSON forms are produced. The nested form (Record.AppendJSON) has the
// shape printed by the Rust evtx_dump tool with -o json: elements become
// keys, attributes go under "#attributes", mixed text under "#text",
// EventData/UserData Data elements are keyed by their Name attribute, and
// integer values are JSON numbers. The flat form (Record.AppendFlatJSON,
// FlattenJSON) is one object without nesting, as the Sigma engine matches on:
// System fields by leaf name (Provider_Name, Execution_ProcessID, …), then
// every EventData, UserData and other section leaf by its name.
package evtx
