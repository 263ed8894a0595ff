package event

import (
	"bytes"
	"encoding/json"
	"time"

	"github.com/valyala/fastjson"

	"github.com/kubu-gov/kubu/internal/event/ecs"
	"github.com/kubu-gov/kubu/internal/evtx"
)

// Normaliser turns JSON documents into the flat objects Sigma rules match
// on. It reuses its parsers and buffers and is not safe for concurrent use;
// its zero value is ready.
type Normaliser struct {
	p    fastjson.Parser
	flat []byte
	tmp  []byte
}

// Document normalises one JSON document (any JSON value) into a flat JSON
// object on one line: evtx_dump-style {"Event":{…}} documents and
// Winlogbeat/ECS Windows events become the flat EVTX form, other objects
// are kept as they are (compacted when they span lines), and a value that
// is not an object becomes {"message":value}. It returns the object (valid
// until the next call), the host and time the document names (when it
// names them), and false when doc is not strict JSON.
func (n *Normaliser) Document(doc []byte) (obj []byte, host string, t time.Time, ok bool) {
	// fastjson's parser alone is lenient (raw control characters, 01, …):
	// validate, so every stored line is strict JSON.
	if fastjson.ValidateBytes(doc) != nil || hasControl(doc) && !json.Valid(doc) {
		return nil, "", time.Time{}, false
	}
	v, err := n.p.ParseBytes(doc)
	if err != nil {
		return nil, "", time.Time{}, false
	}
	if v.Type() != fastjson.TypeObject {
		n.tmp = append(n.tmp[:0], `{"message":`...)
		n.tmp = appendCompact(n.tmp, doc)
		n.tmp = append(n.tmp, '}')
		return n.tmp, "", time.Time{}, true
	}
	t = Time(v)
	host = docHost(v)
	if ev := v.Get("Event"); ev != nil && ev.Type() == fastjson.TypeObject && v.GetObject().Len() == 1 {
		if flat, err := evtx.FlattenJSON(doc, n.flat[:0]); err == nil {
			n.flat = flat
			return n.windows(flat, t, host)
		}
	}
	if flat, win := ecs.FlattenValue(v, n.flat[:0]); win {
		n.flat = flat
		return n.windows(flat, t, host)
	}
	if bytes.IndexByte(doc, '\n') >= 0 || bytes.IndexByte(doc, '\r') >= 0 {
		n.tmp = appendCompact(n.tmp[:0], doc)
		return n.tmp, host, t, true
	}
	return bytes.TrimSpace(doc), host, t, true
}

// hasControl reports whether b holds a control character, which JSON
// allows only as white space between tokens (fastjson's validator lets
// raw ones through inside strings).
func hasControl(b []byte) bool {
	for _, c := range b {
		if c < 0x20 {
			return true
		}
	}
	return false
}

// appendCompact appends valid JSON without insignificant white space.
func appendCompact(dst, doc []byte) []byte {
	var b bytes.Buffer
	if json.Compact(&b, doc) != nil {
		return append(dst, bytes.TrimSpace(doc)...)
	}
	return append(dst, b.Bytes()...)
}

// windows finds the host (Computer, else the shipper's host) and the time
// in a flat Windows event.
func (n *Normaliser) windows(flat []byte, t time.Time, host string) ([]byte, string, time.Time, bool) {
	v, err := n.p.ParseBytes(flat)
	if err != nil {
		return nil, "", time.Time{}, false
	}
	if c := v.GetStringBytes("Computer"); len(c) > 0 {
		host = string(c)
	}
	if wt := Time(v); !wt.IsZero() {
		t = wt
	}
	return flat, host, t, true
}

// docHost finds the host a document is about under the usual names.
func docHost(v *fastjson.Value) string {
	for _, path := range [][]string{{"host", "name"}, {"host", "hostname"}, {"host"}, {"hostname"}, {"Computer"}, {"agent", "hostname"}, {"computer_name"}} {
		if h := v.Get(path...); h != nil && h.Type() == fastjson.TypeString {
			return string(h.GetStringBytes())
		}
	}
	return ""
}
