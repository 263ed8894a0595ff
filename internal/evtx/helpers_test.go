package evtx

import (
	"bytes"
	"encoding/json"
	"testing"
	"time"
)

// t0 is the write time of test records.
var t0 = time.Date(2026, 4, 17, 5, 24, 53, 92051700, time.UTC)

// systemValues are the substitution values %0-%15 of systemTemplate.
func systemValues(recordID uint64) []value {
	return []value{
		vStrZ("Microsoft-Windows-Sysmon"),
		vGUID(0x5770385F, 0xC22A, 0x43E0, [8]byte{0xBF, 0x4C, 0x06, 0xF5, 0x69, 0x8F, 0xFB, 0xD9}),
		vU16(11),
		vU8(2),
		vU8(4),
		vU16(11),
		vU8(0),
		vHex64(0x8000000000000000),
		vFiletime(t0),
		vU64(recordID),
		vNull(),
		vU32(3544),
		vU32(4272),
		vStrZ("Microsoft-Windows-Sysmon/Operational"),
		vStrZ("host1"),
		vSID(5, 18),
	}
}

// systemTemplate writes <Event xmlns=…><System>…</System> with
// substitutions %0-%15, then calls body for the rest of <Event>.
func (w *chunkWriter) systemTemplate(body func()) {
	w.open("Event", true, true)
	w.attr("xmlns", false)
	w.text("http://schemas.microsoft.com/win/2004/08/events/event")
	w.closeStart()
	w.open("System", false, true)
	w.closeStart()
	w.open("Provider", true, true)
	w.attr("Name", true)
	w.subst(0, typeString, true)
	w.attr("Guid", false)
	w.subst(1, typeGUID, true)
	w.closeEmpty()
	w.leaf("EventID", 2, typeUint16)
	w.leaf("Version", 3, typeUint8)
	w.leaf("Level", 4, typeUint8)
	w.leaf("Task", 5, typeUint16)
	w.leaf("Opcode", 6, typeUint8)
	w.leaf("Keywords", 7, typeHex64)
	w.open("TimeCreated", true, true)
	w.attr("SystemTime", false)
	w.subst(8, typeFiletime, true)
	w.closeEmpty()
	w.leaf("EventRecordID", 9, typeUint64)
	w.open("Correlation", true, true)
	w.attr("ActivityID", false)
	w.subst(10, typeGUID, true)
	w.closeEmpty()
	w.open("Execution", true, true)
	w.attr("ProcessID", true)
	w.subst(11, typeUint32, true)
	w.attr("ThreadID", false)
	w.subst(12, typeUint32, true)
	w.closeEmpty()
	w.leaf("Channel", 13, typeString)
	w.leaf("Computer", 14, typeString)
	w.open("Security", true, true)
	w.attr("UserID", false)
	w.subst(15, typeSID, true)
	w.closeEmpty()
	w.end() // System
	body()
	w.end() // Event
}

// event writes a record whose single template holds the System section and
// whatever body writes; extra are the values %16 onwards.
func (w *chunkWriter) event(key string, id uint64, body func(), extra ...value) {
	w.record(id, t0, func() {
		w.fragment()
		w.template(key, func() { w.systemTemplate(body) }, append(systemValues(id), extra...)...)
		w.eof()
	})
}

// dataItem writes <Data Name="name">%id</Data>.
func (w *chunkWriter) dataItem(name string, id uint16, typ byte) {
	w.open("Data", true, true)
	w.attr("Name", false)
	w.text(name)
	w.closeStart()
	w.subst(id, typ, false)
	w.end()
}

// eventData writes <EventData> holding content.
func (w *chunkWriter) eventData(content func()) {
	w.open("EventData", false, true)
	w.closeStart()
	content()
	w.end()
}

// readAll reads every record of an in-memory file and returns the nested
// and flat JSON of each, and the stats.
func readAll(t *testing.T, data []byte) (nested, flat []string, st Stats) {
	t.Helper()
	r, err := NewReader(bytes.NewReader(data), int64(len(data)), "test.evtx")
	if err != nil {
		t.Fatalf("NewReader: %v", err)
	}
	defer r.Close()
	for rec, err := range r.Records() {
		if err != nil {
			t.Fatalf("Records: %v", err)
		}
		n := rec.AppendJSON(nil)
		f := rec.AppendFlatJSON(nil)
		if !json.Valid(n) || !json.Valid(f) {
			t.Fatalf("record %d: invalid JSON:\n%s\n%s", rec.ID, n, f)
		}
		nested = append(nested, string(n))
		flat = append(flat, string(f))
	}
	return nested, flat, r.Stats()
}

// decodeJSON decodes one JSON document keeping numbers exact.
func decodeJSON(t *testing.T, s string) any {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader([]byte(s)))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		t.Fatalf("decoding %s: %v", s, err)
	}
	return v
}

// eventDataOf returns Event.EventData of a nested document.
func eventDataOf(t *testing.T, nested string) any {
	t.Helper()
	doc, _ := decodeJSON(t, nested).(map[string]any)
	ev, _ := doc["Event"].(map[string]any)
	return ev["EventData"]
}

func bytesReader(b []byte) *bytes.Reader { return bytes.NewReader(b) }
