package hec

import (
	"bytes"
	"net/url"
)

// ParseQuery reads the request defaults HEC takes from the query string:
// host, source, sourcetype, index and time (epoch seconds). A bad time is
// answered as Splunk answers a bad envelope time (code 15).
func ParseQuery(q url.Values) (Metadata, error) {
	m := Metadata{
		Host:       q.Get("host"),
		Source:     q.Get("source"),
		SourceType: q.Get("sourcetype"),
		Index:      q.Get("index"),
	}
	if t := q.Get("time"); t != "" {
		ts, err := ParseEpoch(t)
		if err != nil {
			return m, &Error{Code: CodeIndexedFields, Event: -1, Detail: "query parameter time: " + err.Error()}
		}
		m.Time = ts
	}
	return m, nil
}

// DecodeRaw splits a /services/collector/raw body into one event per line
// (LF, with a CR before it dropped), each carrying meta. Blank lines are
// skipped; a body with no non-blank line is answered "No data" (code 5).
func DecodeRaw(body []byte, meta Metadata) ([]Event, error) {
	var out []Event
	for len(body) > 0 {
		line := body
		if i := bytes.IndexByte(body, '\n'); i >= 0 {
			line, body = body[:i], body[i+1:]
		} else {
			body = nil
		}
		if n := len(line); n > 0 && line[n-1] == '\r' {
			line = line[:n-1]
		}
		if len(bytes.TrimSpace(line)) == 0 {
			continue
		}
		out = append(out, Event{Metadata: meta, Text: string(line)})
	}
	if len(out) == 0 {
		return nil, &Error{Code: CodeNoData, Event: -1, Detail: "no non-blank line in raw body"}
	}
	return out, nil
}
