package intake

import (
	"bytes"
	"encoding/json"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/valyala/fastjson"

	"github.com/kubu-gov/kubu/internal/evtx"
	"github.com/kubu-gov/kubu/internal/intake/ecs"
)

// MetaKey is the reserved key every stored event carries first.
const MetaKey = "@kubu"

// Meta is what intake knows about an event besides its own fields.
type Meta struct {
	Agency   string    // agency code, or Unassigned
	Source   string    // "token:<intake token id>", or the syslog sender's address
	Protocol string    // one of the Proto* constants
	Host     string    // the host the event is about, when known
	Received time.Time // when intake received it
	Time     time.Time // the event's own time; Received when it carries none
}

// appendEvent appends obj (one compact JSON object without newlines) as an
// NDJSON line with "@kubu" as its first member.
func appendEvent(dst, obj []byte, m *Meta) []byte {
	dst = append(dst, `{"`+MetaKey+`":{"agency":`...)
	dst = appendString(dst, m.Agency)
	dst = append(dst, `,"source":`...)
	dst = appendString(dst, m.Source)
	dst = append(dst, `,"protocol":`...)
	dst = appendString(dst, m.Protocol)
	dst = append(dst, `,"received":"`...)
	dst = m.Received.UTC().AppendFormat(dst, time.RFC3339Nano)
	dst = append(dst, `","time":"`...)
	t := m.Time
	if t.IsZero() {
		t = m.Received
	}
	dst = t.UTC().AppendFormat(dst, time.RFC3339Nano)
	dst = append(dst, `","host":`...)
	dst = appendString(dst, m.Host)
	dst = append(dst, '}')
	body := bytes.TrimSpace(obj)
	if len(body) >= 2 && body[0] == '{' {
		inner := bytes.TrimSpace(body[1 : len(body)-1])
		if len(inner) > 0 {
			dst = append(dst, ',')
			dst = append(dst, inner...)
		}
	}
	return append(dst, '}', '\n')
}

// appendString appends s as a JSON string. Invalid UTF-8 becomes U+FFFD,
// control characters are escaped, so the result is always valid JSON on
// one line.
func appendString(dst []byte, s string) []byte {
	const hex = "0123456789abcdef"
	dst = append(dst, '"')
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			switch {
			case c == '"' || c == '\\':
				dst = append(dst, '\\', c)
			case c == '\n':
				dst = append(dst, '\\', 'n')
			case c == '\r':
				dst = append(dst, '\\', 'r')
			case c == '\t':
				dst = append(dst, '\\', 't')
			case c < 0x20 || c == 0x7f:
				dst = append(dst, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
			default:
				dst = append(dst, c)
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			dst = append(dst, `\ufffd`...)
		} else if r == '\u2028' || r == '\u2029' {
			dst = append(dst, `\u202`...)
			dst = append(dst, hex[r&0xf])
		} else {
			dst = append(dst, s[i:i+size]...)
		}
		i += size
	}
	return append(dst, '"')
}

// normaliser turns documents into the stored event shape. It reuses its
// parsers and is not safe for concurrent use.
type normaliser struct {
	p    fastjson.Parser
	ecs  ecs.Flattener
	flat []byte
	tmp  []byte
}

// document normalises one JSON document (any JSON value) into a flat JSON
// object: evtx_dump-style {"Event":{…}} documents and Winlogbeat/ECS
// Windows events become the flat EVTX form, other objects are kept as they
// are (compacted when they span lines), and a value that is not an object
// becomes {"message":value}. It returns the object, the host and time the
// document names (when it names them), and false when doc is not JSON.
func (n *normaliser) document(doc []byte) (obj []byte, host string, t time.Time, ok bool) {
	// fastjson's parser alone is lenient (raw control characters, 01, …):
	// validate, so every stored line is strict JSON.
	if fastjson.ValidateBytes(doc) != nil || hasControl(doc) && !json.Valid(doc) {
		return nil, "", time.Time{}, false
	}
	v, err := n.p.ParseBytes(doc)
	if err != nil {
		return nil, "", time.Time{}, false
	}
	// (fastjson's MarshalTo is avoided: it escapes some characters in
	// ways JSON does not allow, e.g. \x7f.)
	if v.Type() != fastjson.TypeObject {
		n.tmp = append(n.tmp[:0], `{"message":`...)
		n.tmp = appendCompact(n.tmp, doc)
		n.tmp = append(n.tmp, '}')
		return n.tmp, "", time.Time{}, true
	}
	t = docTime(v)
	host = docHost(v)
	if ev := v.Get("Event"); ev != nil && ev.Type() == fastjson.TypeObject && v.GetObject().Len() == 1 {
		if flat, err := evtx.FlattenJSON(doc, n.flat[:0]); err == nil {
			n.flat = flat
			return n.windows(flat, t, host)
		}
	}
	if flat, win := n.ecs.Flatten(doc, n.flat[:0]); win {
		n.flat = flat
		return n.windows(flat, t, host)
	}
	if bytes.IndexByte(doc, '\n') >= 0 || bytes.IndexByte(doc, '\r') >= 0 {
		n.tmp = appendCompact(n.tmp[:0], doc)
		return n.tmp, host, t, true
	}
	return doc, host, t, true
}

// hasControl reports whether b holds a control character, which JSON
// allows only as whitespace between tokens (fastjson's validator lets raw
// ones through inside strings).
func hasControl(b []byte) bool {
	for _, c := range b {
		if c < 0x20 {
			return true
		}
	}
	return false
}

// appendCompact appends valid JSON without insignificant whitespace.
func appendCompact(dst, doc []byte) []byte {
	var b bytes.Buffer
	if json.Compact(&b, doc) != nil {
		return append(dst, bytes.TrimSpace(doc)...)
	}
	return append(dst, b.Bytes()...)
}

// windows finds host (Computer, else the shipper's host) and time in a
// flat Windows event.
func (n *normaliser) windows(flat []byte, t time.Time, host string) ([]byte, string, time.Time, bool) {
	v, err := n.p.ParseBytes(flat)
	if err != nil {
		return nil, "", time.Time{}, false
	}
	if c := v.GetStringBytes("Computer"); len(c) > 0 {
		host = string(c)
	}
	if tc := v.GetStringBytes("TimeCreated"); len(tc) > 0 {
		if pt, ok := parseTime(string(tc)); ok {
			t = pt
		}
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

// docTime finds the time a document gives itself under the usual names.
func docTime(v *fastjson.Value) time.Time {
	for _, k := range []string{"@timestamp", "timestamp", "time", "TimeCreated"} {
		f := v.Get(k)
		if f == nil {
			continue
		}
		switch f.Type() {
		case fastjson.TypeString:
			if t, ok := parseTime(string(f.GetStringBytes())); ok {
				return t
			}
		case fastjson.TypeNumber:
			if x, err := f.Float64(); err == nil && x > 0 {
				return epoch(x)
			}
		}
	}
	return time.Time{}
}

// parseTime reads the timestamp shapes shippers send.
func parseTime(s string) (time.Time, bool) {
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05.999999999", "2006-01-02 15:04:05.999999999Z07:00", "2006-01-02 15:04:05.999999999"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC(), true
		}
	}
	if x, err := strconv.ParseFloat(s, 64); err == nil && x > 0 {
		return epoch(x), true
	}
	return time.Time{}, false
}

// epoch reads a number as seconds, milliseconds, microseconds or
// nanoseconds since 1970, whichever gives a plausible date.
func epoch(x float64) time.Time {
	switch {
	case x < 1e11:
		return time.Unix(0, int64(x*1e9)).UTC()
	case x < 1e14:
		return time.UnixMilli(int64(x)).UTC()
	case x < 1e17:
		return time.UnixMicro(int64(x)).UTC()
	}
	return time.Unix(0, int64(x)).UTC()
}
