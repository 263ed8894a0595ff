package event

import (
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/valyala/fastjson"
)

// timeFields are the members that may hold an event's time, tried in
// order: the flat EVTX form's TimeCreated, then the names common JSON logs
// use (ECS and Elastic, CloudTrail, Azure, Okta, Zeek, Sysmon's UtcTime),
// then evtx_dump's nested form.
var timeFields = [][]string{
	{"TimeCreated"},
	{"TimeCreated_SystemTime"},
	{"@timestamp"},
	{"timestamp"},
	{"Timestamp"},
	{"eventTime"},
	{"EventTime"},
	{"time"},
	{"TimeGenerated"},
	{"published"},
	{"UtcTime"},
	{"ts"},
	{"date"},
	{"Event", "System", "TimeCreated", "#attributes", "SystemTime"},
}

// timeLayouts are the text forms of event times accepted, tried in order.
var timeLayouts = []string{
	time.RFC3339Nano,
	"2006-01-02T15:04:05.999999999", // no zone: UTC
	"2006-01-02 15:04:05.999999999Z07:00",
	"2006-01-02 15:04:05.999999999", // Sysmon UtcTime
	time.RFC1123Z,
	time.RFC1123,
}

// Time finds the time an event (a parsed JSON object) gives itself; zero
// when it gives none.
func Time(v *fastjson.Value) time.Time {
	if v == nil || v.Type() != fastjson.TypeObject {
		return time.Time{}
	}
	for _, path := range timeFields {
		f := v.Get(path...)
		if f == nil {
			continue
		}
		switch f.Type() {
		case fastjson.TypeString:
			if t, ok := ParseTime(string(f.GetStringBytes())); ok {
				return t
			}
		case fastjson.TypeNumber:
			if t, ok := Epoch(f.GetFloat64()); ok {
				return t
			}
		}
	}
	return time.Time{}
}

// ParseTime reads a time in one of the layouts shippers use, or as Unix
// epoch text.
func ParseTime(s string) (time.Time, bool) {
	s = strings.TrimSpace(s)
	if s == "" {
		return time.Time{}, false
	}
	if c := s[0]; c >= '0' && c <= '9' && !strings.ContainsAny(s, "-:/ ") {
		if f, err := strconv.ParseFloat(s, 64); err == nil {
			return Epoch(f)
		}
	}
	for _, l := range timeLayouts {
		if t, err := time.Parse(l, s); err == nil {
			return t.UTC(), true
		}
	}
	return time.Time{}, false
}

// Epoch reads a number as seconds, milliseconds, microseconds or
// nanoseconds since 1970, whichever gives a date before the year 5138.
func Epoch(f float64) (time.Time, bool) {
	if math.IsNaN(f) || math.IsInf(f, 0) || f <= 0 {
		return time.Time{}, false
	}
	switch {
	case f < 1e11:
		sec, frac := math.Modf(f)
		return time.Unix(int64(sec), int64(math.Round(frac*1e6))*1000).UTC(), true
	case f < 1e14:
		return time.UnixMicro(int64(math.Round(f * 1e3))).UTC(), true
	case f < 1e17:
		return time.UnixMicro(int64(f)).UTC(), true
	case f < 1e20:
		return time.Unix(0, int64(f)).UTC(), true
	}
	return time.Time{}, false
}

// IsTimeField reports whether name is a top-level member Time reads.
func IsTimeField(name string) bool {
	for _, f := range timeFields {
		if len(f) == 1 && f[0] == name {
			return true
		}
	}
	return false
}
