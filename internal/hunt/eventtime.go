package hunt

import (
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/valyala/fastjson"
)

// timeFields are the event fields that may hold the event's time, tried in
// order: the flat EVTX form's TimeCreated, then common JSON log names
// (ECS and Elastic, CloudTrail, Azure, Okta, Zeek, Sysmon's UtcTime).
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

// eventTime finds the time of a JSON event; zero when it has none.
func eventTime(p *fastjson.Parser, raw []byte) time.Time {
	v, err := p.ParseBytes(raw)
	if err != nil || v.Type() != fastjson.TypeObject {
		return time.Time{}
	}
	for _, path := range timeFields {
		f := v.Get(path...)
		if f == nil {
			continue
		}
		switch f.Type() {
		case fastjson.TypeString:
			if t, ok := parseTime(string(f.GetStringBytes())); ok {
				return t
			}
		case fastjson.TypeNumber:
			if t, ok := epochTime(f.GetFloat64()); ok {
				return t
			}
		}
	}
	return time.Time{}
}

// parseTime reads a time in one of timeLayouts or as Unix epoch text.
func parseTime(s string) (time.Time, bool) {
	s = strings.TrimSpace(s)
	if s == "" {
		return time.Time{}, false
	}
	if c := s[0]; c >= '0' && c <= '9' && !strings.ContainsAny(s, "-:/ ") {
		if f, err := strconv.ParseFloat(s, 64); err == nil {
			return epochTime(f)
		}
	}
	for _, l := range timeLayouts {
		if t, err := time.Parse(l, s); err == nil {
			return t.UTC(), true
		}
	}
	return time.Time{}, false
}

// epochTime reads Unix seconds, or milliseconds when the number is too
// large to be seconds (after the year 5138).
func epochTime(f float64) (time.Time, bool) {
	if math.IsNaN(f) || math.IsInf(f, 0) || f <= 0 {
		return time.Time{}, false
	}
	if f >= 1e11 {
		f /= 1000
	}
	if f >= 1e11 {
		return time.Time{}, false
	}
	sec, frac := math.Modf(f)
	return time.Unix(int64(sec), int64(math.Round(frac*1e6))*1000).UTC(), true
}
