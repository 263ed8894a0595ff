package hec

import (
	"errors"
	"net/url"
	"os"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestDecodeEvents(t *testing.T) {
	ts := time.Unix(1426279439, 123000000).UTC()
	def := Metadata{Index: "default", SourceType: "token-st"}
	tests := []struct {
		name string
		body string
		want []Event
	}{
		{"string event, all metadata, numeric time",
			`{"time":1426279439.123,"host":"h1","source":"s1","sourcetype":"st1","index":"main","event":"Hello world!"}`,
			[]Event{{Metadata: Metadata{Time: ts, Host: "h1", Source: "s1", SourceType: "st1", Index: "main"}, Text: "Hello world!"}}},
		{"object event, string time, defaults kept",
			`{"time":"1426279439.123","event":{"message":"Something happened","severity":"INFO"}}`,
			[]Event{{Metadata: Metadata{Time: ts, Index: "default", SourceType: "token-st"}, JSON: []byte(`{"message":"Something happened","severity":"INFO"}`)}}},
		{"concatenated without separator",
			`{"event":"a"}{"event":"b"}`,
			[]Event{{Metadata: def, Text: "a"}, {Metadata: def, Text: "b"}}},
		{"newline and space separated",
			"{\"event\":\"a\"}\n\n  {\"event\":\"b\"}\r\n",
			[]Event{{Metadata: def, Text: "a"}, {Metadata: def, Text: "b"}}},
		{"array of envelopes",
			`[{"event":"a"},{"event":"b"}]`,
			[]Event{{Metadata: def, Text: "a"}, {Metadata: def, Text: "b"}}},
		{"braces inside strings do not split",
			`{"event":"a } { \" ]"}{"event":"b"}`,
			[]Event{{Metadata: def, Text: `a } { " ]`}, {Metadata: def, Text: "b"}}},
		{"indexed fields",
			`{"event":"x","fields":{"agency":"MOH","tags":["a","b"]}}`,
			[]Event{{Metadata: def, Text: "x", Fields: []Field{{"agency", []string{"MOH"}}, {"tags", []string{"a", "b"}}}}}},
		{"number event and null metadata",
			`{"event":42,"host":null,"time":null}`,
			[]Event{{Metadata: def, JSON: []byte("42")}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := DecodeEvents([]byte(tt.body), def)
			if err != nil {
				t.Fatalf("DecodeEvents: %v", err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("events mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestDecodeEventsErrors(t *testing.T) {
	tests := []struct {
		name      string
		body      string
		code      int
		event     int // -1: no invalid-event-number
		goodFirst int // events decoded before the bad one
	}{
		{"empty body", "", CodeNoData, -1, 0},
		{"whitespace body", " \n\t", CodeNoData, -1, 0},
		{"not JSON", "hello", CodeInvalidDataFormat, 0, 0},
		{"number the lenient parser would take", `{"event":"a"}{"event":01}`, CodeInvalidDataFormat, 1, 1},
		{"broken second object", `{"event":"a"}{"event":`, CodeInvalidDataFormat, 1, 1},
		{"invalid JSON inside balanced braces", `{"event":"a"}{"event" "b"}`, CodeInvalidDataFormat, 1, 1},
		{"top-level string", `{"event":"a"}"x"`, CodeInvalidDataFormat, 1, 1},
		{"array holding a number", `[{"event":"a"},1]`, CodeInvalidDataFormat, 1, 1},
		{"event missing", `{"event":"a"}{"event":"b"}{"host":"h"}`, CodeEventRequired, 2, 2},
		{"event blank string", `{"event":""}`, CodeEventBlank, 0, 0},
		{"event whitespace", `{"event":"  "}`, CodeEventBlank, 0, 0},
		{"event null", `{"event":null}`, CodeEventBlank, 0, 0},
		{"event empty object", `{"event":{}}`, CodeEventBlank, 0, 0},
		{"event empty array", `{"event":[]}`, CodeEventBlank, 0, 0},
		{"non-numeric time", `{"event":"a","time":"yesterday"}`, CodeIndexedFields, 0, 0},
		{"boolean time", `{"event":"a","time":true}`, CodeIndexedFields, 0, 0},
		{"fields value object", `{"event":"a","fields":{"k":{"x":1}}}`, CodeIndexedFields, 0, 0},
		{"fields value number", `{"event":"a","fields":{"k":1}}`, CodeIndexedFields, 0, 0},
		{"fields not object", `{"event":"a","fields":[1]}`, CodeIndexedFields, 0, 0},
		{"host not a string", `{"event":"a","host":{"name":"x"}}`, CodeInvalidDataFormat, 0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := DecodeEvents([]byte(tt.body), Metadata{})
			var he *Error
			if !errors.As(err, &he) {
				t.Fatalf("error = %v, want *Error", err)
			}
			if he.Code != tt.code || he.Event != tt.event {
				t.Errorf("error code %d event %d, want code %d event %d (%v)", he.Code, he.Event, tt.code, tt.event, err)
			}
			if len(got) != tt.goodFirst {
				t.Errorf("got %d good events before the error, want %d", len(got), tt.goodFirst)
			}
		})
	}
}

// TestDecodeShipperFixtures decodes bodies in the shapes Vector's
// splunk_hec_logs sink and Fluent Bit's splunk output send, and a
// Winlogbeat event inside HEC (hand-written fixtures in testdata/).
func TestDecodeShipperFixtures(t *testing.T) {
	tests := []struct {
		file  string
		count int
		first Metadata
	}{
		{"vector_splunk_hec_logs.json", 2, Metadata{Time: time.Unix(1795828502, 123000000).UTC(), Host: "web01", Source: "/var/log/nginx/access.log", SourceType: "nginx:access", Index: "main"}},
		{"fluentbit_splunk.json", 2, Metadata{Time: time.Unix(1795828502, 123456789).UTC(), SourceType: "fluentbit"}},
		{"winlogbeat_in_hec.json", 1, Metadata{Time: time.Unix(1795828502, 92000000).UTC(), Host: "WS1", Source: "winlogbeat", SourceType: "winlogbeat"}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			body, err := os.ReadFile("testdata/" + tt.file)
			if err != nil {
				t.Fatal(err)
			}
			got, err := DecodeEvents(body, Metadata{SourceType: "fluentbit"})
			if err != nil {
				t.Fatalf("DecodeEvents: %v", err)
			}
			if len(got) != tt.count {
				t.Fatalf("decoded %d events, want %d", len(got), tt.count)
			}
			if diff := cmp.Diff(tt.first, got[0].Metadata); diff != "" {
				t.Errorf("first event metadata (-want +got):\n%s", diff)
			}
			if got[0].JSON == nil {
				t.Errorf("object event lost: %+v", got[0])
			}
		})
	}
}

func TestParseEpoch(t *testing.T) {
	tests := []struct {
		in   string
		want time.Time
		ok   bool
	}{
		{"1426279439", time.Unix(1426279439, 0), true},
		{"1426279439.123", time.Unix(1426279439, 123000000), true},
		{"1426279439.123456789999", time.Unix(1426279439, 123456789), true},
		{"1.426279439e9", time.Unix(1426279439, 0), true},
		{"-1.5", time.Unix(-1, -500000000), true},
		{"", time.Time{}, false},
		{"abc", time.Time{}, false},
		{"1e300", time.Time{}, false},
		{"99999999999999999999", time.Time{}, false},
		{".", time.Time{}, false},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseEpoch(tt.in)
			if (err == nil) != tt.ok {
				t.Fatalf("ParseEpoch(%q) error = %v, want ok=%v", tt.in, err, tt.ok)
			}
			if tt.ok && !got.Equal(tt.want) {
				t.Errorf("ParseEpoch(%q) = %v, want %v", tt.in, got, tt.want)
			}
		})
	}
}

func TestDecodeRaw(t *testing.T) {
	meta, err := ParseQuery(url.Values{"host": {"fw1"}, "sourcetype": {"pan:traffic"}, "index": {"net"}, "source": {"udp:514"}, "time": {"1426279439.5"}})
	if err != nil {
		t.Fatal(err)
	}
	got, err := DecodeRaw([]byte("line one\r\n\n   \nline two\nline three"), meta)
	if err != nil {
		t.Fatal(err)
	}
	m := Metadata{Time: time.Unix(1426279439, 500000000).UTC(), Host: "fw1", Source: "udp:514", SourceType: "pan:traffic", Index: "net"}
	want := []Event{{Metadata: m, Text: "line one"}, {Metadata: m, Text: "line two"}, {Metadata: m, Text: "line three"}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("raw events (-want +got):\n%s", diff)
	}
	for _, body := range []string{"", "\n\r\n  \n"} {
		_, err := DecodeRaw([]byte(body), meta)
		var he *Error
		if !errors.As(err, &he) || he.Code != CodeNoData || he.Event != -1 {
			t.Errorf("DecodeRaw(%q) error = %v, want No data", body, err)
		}
	}
	if _, err := ParseQuery(url.Values{"time": {"noon"}}); err == nil {
		t.Errorf("ParseQuery accepted time=noon")
	}
}
