package event

import (
	"testing"
	"time"

	"github.com/valyala/fastjson"
)

func TestTime(t *testing.T) {
	at := func(s string) time.Time {
		tm, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			t.Fatal(err)
		}
		return tm
	}
	cases := []struct {
		event string
		want  time.Time
	}{
		{`{"TimeCreated":"2026-03-01T10:00:05.123456Z"}`, at("2026-03-01T10:00:05.123456Z")},
		{`{"@timestamp":"2026-03-01T12:00:05+02:00"}`, at("2026-03-01T10:00:05Z")},
		{`{"eventTime":"2026-03-01T10:00:05Z","time":"1999-01-01T00:00:00Z"}`, at("2026-03-01T10:00:05Z")},
		{`{"UtcTime":"2026-03-01 10:00:05.250"}`, at("2026-03-01T10:00:05.25Z")},
		{`{"ts":1772359205.5}`, at("2026-03-01T10:00:05.5Z")},
		{`{"timestamp":1772359205000}`, at("2026-03-01T10:00:05Z")},
		{`{"timestamp":"1772359205"}`, at("2026-03-01T10:00:05Z")},
		{`{"Event":{"System":{"TimeCreated":{"#attributes":{"SystemTime":"2026-03-01T10:00:05Z"}}}}}`, at("2026-03-01T10:00:05Z")},
		{`{"TimeCreated":"yesterday","date":"2026-03-01T10:00:05Z"}`, at("2026-03-01T10:00:05Z")},
		{`{"ts":-5}`, time.Time{}},
		{`{"message":"no time"}`, time.Time{}},
		{`not json`, time.Time{}},
	}
	var p fastjson.Parser
	for _, c := range cases {
		v, _ := p.Parse(c.event)
		if got := Time(v); !got.Equal(c.want) {
			t.Errorf("Time(%s) = %v, want %v", c.event, got, c.want)
		}
	}
}

// FuzzEventTime checks that reading an event's time never panics and gives
// UTC times.
func FuzzEventTime(f *testing.F) {
	for _, s := range []string{`{"TimeCreated":"2026-03-01T10:00:05.123456Z"}`, `{"ts":1700000000.5}`, `{"@timestamp":"1700000000000"}`,
		`{"UtcTime":"2026-03-01 10:00:05.123"}`, `{"time":"Mon, 02 Jan 2006 15:04:05 -0700"}`, `{"ts":-1}`, `[]`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		var p fastjson.Parser
		v, _ := p.Parse(in)
		tm := Time(v)
		if !tm.IsZero() && tm.Location().String() != "UTC" {
			t.Fatalf("time %v of %q is not UTC", tm, in)
		}
	})
}
