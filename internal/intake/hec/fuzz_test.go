package hec

import (
	"bytes"
	"encoding/json"
	"errors"
	"testing"
)

// FuzzDecodeEvent checks that any body yields events or an *Error with a
// valid Splunk code, and that decoding is deterministic.
func FuzzDecodeEvent(f *testing.F) {
	f.Add([]byte(`{"time":1426279439.123,"host":"h","event":"Hello"}{"event":{"a":1},"fields":{"k":["v"]}}`))
	var d Decoder
	f.Fuzz(func(t *testing.T, body []byte) {
		evs, err := d.DecodeEvents(body, Metadata{})
		if err != nil {
			var he *Error
			if !errors.As(err, &he) {
				t.Fatalf("error %v is not *Error", err)
			}
			if StatusText(he.Code) == "" || he.Event < -1 || he.Event != -1 && he.Event != len(evs) {
				t.Fatalf("bad error %+v after %d events", he, len(evs))
			}
		}
		for _, ev := range evs {
			if (ev.Text == "") == (ev.JSON == nil) {
				t.Fatalf("event with both or neither of Text/JSON: %+v", ev)
			}
			if ev.JSON != nil && !json.Valid(ev.JSON) {
				t.Fatalf("event JSON %q is not valid JSON", ev.JSON)
			}
		}
		evs2, _ := DecodeEvents(body, Metadata{})
		if len(evs2) != len(evs) {
			t.Fatalf("reused decoder gave %d events, fresh one %d", len(evs), len(evs2))
		}
		for i := range evs {
			if evs[i].Text != evs2[i].Text || !bytes.Equal(evs[i].JSON, evs2[i].JSON) {
				t.Fatalf("event %d differs between decoders", i)
			}
		}
	})
}

// FuzzDecodeRaw checks that raw lines are never lost or invented: every
// event is a line of the body.
func FuzzDecodeRaw(f *testing.F) {
	f.Add([]byte("line one\r\n\nline two"))
	f.Fuzz(func(t *testing.T, body []byte) {
		evs, err := DecodeRaw(body, Metadata{Host: "h"})
		if err != nil && len(bytes.TrimSpace(body)) != 0 && len(evs) == 0 {
			lines := bytes.Split(body, []byte("\n"))
			for _, l := range lines {
				if len(bytes.TrimSpace(l)) != 0 {
					t.Fatalf("non-blank line %q lost: %v", l, err)
				}
			}
		}
		for _, ev := range evs {
			if !bytes.Contains(body, []byte(ev.Text)) || bytes.ContainsRune([]byte(ev.Text), '\n') || ev.Host != "h" {
				t.Fatalf("event %q not a line of the body", ev.Text)
			}
		}
	})
}
