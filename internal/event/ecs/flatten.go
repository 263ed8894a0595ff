// Package ecs turns Windows events shipped by Winlogbeat — the ECS layout of
// Winlogbeat 7 and 8 (winlog.*) and the older top-level layout of
// Winlogbeat 6 (event_data.*, log_name, source_name …) — into the flat
// object kubu's Sigma engine matches on: System fields by leaf name
// (EventID, Channel, Provider_Name, Computer, EventRecordID, TimeCreated,
// Level, …) and then EventData and UserData fields by their own names. It is
// the same flat form the EVTX reader produces, so a rule matches a Windows
// event the same way whether it came from a file or from a shipper.
package ecs

import (
	"strconv"
	"strings"

	"github.com/valyala/fastjson"

	"github.com/kubu-gov/kubu/internal/jsonw"
)

var parsers fastjson.ParserPool

// Flatten appends the flat form of doc to dst and reports whether doc is a
// Windows event. When it is not (or is not JSON), dst is returned unchanged
// with false. Safe for concurrent use.
func Flatten(doc []byte, dst []byte) ([]byte, bool) {
	p := parsers.Get()
	defer parsers.Put(p)
	return flatten(p, doc, dst)
}

// Flattener is Flatten with its own parser, for a caller that flattens many
// documents on one goroutine. The zero value is ready; it is not safe for
// concurrent use.
type Flattener struct {
	p fastjson.Parser
}

// Flatten is the package Flatten using f's parser.
func (f *Flattener) Flatten(doc []byte, dst []byte) ([]byte, bool) {
	return flatten(&f.p, doc, dst)
}

// pair is one output field: the key and its value, either a JSON value to
// re-encode or a number already written as text.
type pair struct {
	key string
	val *fastjson.Value
	num string // set for values turned into numbers
}

// systemField maps a path in the document to a flat System field name.
type systemField struct {
	path    []string
	name    string
	numeric bool // a numeric string becomes a JSON number
}

// ECS (Winlogbeat 7/8) System fields. event.code is the fallback for
// winlog.event_id and is handled apart.
var ecsSystem = []systemField{
	{[]string{"winlog", "event_id"}, "EventID", true},
	{[]string{"winlog", "version"}, "Version", true},
	{[]string{"log", "level"}, "Level", false},
	{[]string{"winlog", "task"}, "Task", false},
	{[]string{"winlog", "opcode"}, "Opcode", false},
	{[]string{"winlog", "keywords"}, "Keywords", false},
	{[]string{"@timestamp"}, "TimeCreated", false},
	{[]string{"winlog", "record_id"}, "EventRecordID", true},
	{[]string{"winlog", "channel"}, "Channel", false},
	{[]string{"winlog", "computer_name"}, "Computer", false},
	{[]string{"winlog", "provider_name"}, "Provider_Name", false},
	{[]string{"winlog", "provider_guid"}, "Provider_Guid", false},
	{[]string{"winlog", "event_source_name"}, "Provider_EventSourceName", false},
	{[]string{"winlog", "activity_id"}, "Correlation_ActivityID", false},
	{[]string{"winlog", "related_activity_id"}, "Correlation_RelatedActivityID", false},
	{[]string{"winlog", "process", "pid"}, "Execution_ProcessID", true},
	{[]string{"winlog", "process", "thread", "id"}, "Execution_ThreadID", true},
	{[]string{"winlog", "user", "identifier"}, "Security_UserID", false},
}

// Winlogbeat 6 System fields (top level).
var wlb6System = []systemField{
	{[]string{"event_id"}, "EventID", true},
	{[]string{"version"}, "Version", true},
	{[]string{"level"}, "Level", false},
	{[]string{"task"}, "Task", false},
	{[]string{"opcode"}, "Opcode", false},
	{[]string{"keywords"}, "Keywords", false},
	{[]string{"@timestamp"}, "TimeCreated", false},
	{[]string{"record_number"}, "EventRecordID", true},
	{[]string{"log_name"}, "Channel", false},
	{[]string{"computer_name"}, "Computer", false},
	{[]string{"source_name"}, "Provider_Name", false},
	{[]string{"provider_guid"}, "Provider_Guid", false},
	{[]string{"activity_id"}, "Correlation_ActivityID", false},
	{[]string{"related_activity_id"}, "Correlation_RelatedActivityID", false},
	{[]string{"process_id"}, "Execution_ProcessID", true},
	{[]string{"thread_id"}, "Execution_ThreadID", true},
	{[]string{"user", "identifier"}, "Security_UserID", false},
}

// FlattenValue is Flatten of a document the caller has already validated
// (fastjson.ValidateBytes) and parsed.
func FlattenValue(v *fastjson.Value, dst []byte) ([]byte, bool) {
	if v == nil || v.Type() != fastjson.TypeObject {
		return dst, false
	}
	return flattenValue(v, dst)
}

func flatten(p *fastjson.Parser, doc []byte, dst []byte) ([]byte, bool) {
	// fastjson's parser is lenient (it takes 00, 1., NaN, bad escapes) and
	// re-encodes what it took verbatim: validate first so the output is JSON.
	if fastjson.ValidateBytes(doc) != nil {
		return dst, false
	}
	v, err := p.ParseBytes(doc)
	if err != nil || v.Type() != fastjson.TypeObject {
		return dst, false
	}
	return flattenValue(v, dst)
}

func flattenValue(v *fastjson.Value, dst []byte) ([]byte, bool) {
	var system []systemField
	var eventData, userData *fastjson.Value
	if w := v.Get("winlog"); w != nil && w.Type() == fastjson.TypeObject &&
		(w.Get("channel") != nil || w.Get("event_id") != nil || w.Get("provider_name") != nil || w.Get("event_data") != nil) {
		system = ecsSystem
		eventData, userData = w.Get("event_data"), w.Get("user_data")
	} else if v.Get("event_data") != nil || v.Get("user_data") != nil ||
		(v.Get("event_id") != nil && (v.Get("log_name") != nil || v.Get("source_name") != nil)) {
		system = wlb6System
		eventData, userData = v.Get("event_data"), v.Get("user_data")
	} else {
		return dst, false
	}

	var data []pair
	data = appendData(data, eventData, false, 0)
	data = appendData(data, userData, true, 0)

	out := make([]pair, 0, len(system)+len(data))
	for _, f := range system {
		fv := v.Get(f.path...)
		if fv == nil && f.name == "EventID" && system[0].path[0] == "winlog" {
			fv = v.Get("event", "code")
		}
		if fv == nil || fv.Type() == fastjson.TypeNull || fv.Type() == fastjson.TypeObject || has(data, f.name) {
			continue
		}
		pr := pair{key: f.name, val: fv}
		if f.numeric {
			pr.num = numeric(fv)
		} else if f.name == "Level" {
			pr.num = levelNumber(fv)
		}
		out = append(out, pr)
	}
	out = append(out, data...)

	dst = append(dst, '{')
	for i, pr := range out {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = jsonw.AppendString(dst, pr.key)
		dst = append(dst, ':')
		if pr.num != "" {
			dst = append(dst, pr.num...)
		} else {
			dst = jsonw.AppendValue(dst, pr.val)
		}
	}
	return append(dst, '}'), true
}

// appendData adds the fields of an event_data or user_data object. Nested
// objects (UserData elements) contribute their leaves by leaf name; in
// user_data the xml_name marker Winlogbeat adds is dropped. On a repeated
// name the last one wins.
func appendData(out []pair, v *fastjson.Value, userData bool, depth int) []pair {
	if v == nil || v.Type() != fastjson.TypeObject || depth > 16 {
		return out
	}
	o, _ := v.Object()
	o.Visit(func(k []byte, fv *fastjson.Value) {
		if fv.Type() == fastjson.TypeObject {
			out = appendData(out, fv, userData, depth+1)
			return
		}
		// Compare keys as they will be written (invalid UTF-8 becomes
		// U+FFFD), so two different invalid keys cannot both be written.
		key := strings.ToValidUTF8(string(k), "\uFFFD")
		if userData && key == "xml_name" {
			return
		}
		for i := range out {
			if out[i].key == key {
				out[i] = pair{key: key, val: fv}
				return
			}
		}
		out = append(out, pair{key: key, val: fv})
	})
	return out
}

func has(ps []pair, key string) bool {
	for _, p := range ps {
		if p.key == key {
			return true
		}
	}
	return false
}

// numeric returns the value as a JSON number when it is a number or a
// string holding an unsigned decimal integer, else "".
func numeric(v *fastjson.Value) string {
	switch v.Type() {
	case fastjson.TypeNumber:
		return string(v.MarshalTo(nil))
	case fastjson.TypeString:
		s := string(v.GetStringBytes())
		if _, err := strconv.ParseUint(s, 10, 64); err == nil && (len(s) == 1 || s[0] != '0') {
			return s
		}
	}
	return ""
}

// levelNumber maps Winlogbeat's rendered level ("information", "warning"…)
// to the number the EVTX System/Level field holds; "" for anything else.
func levelNumber(v *fastjson.Value) string {
	if n := numeric(v); n != "" {
		return n
	}
	switch strings.ToLower(string(v.GetStringBytes())) {
	case "critical":
		return "1"
	case "error":
		return "2"
	case "warning":
		return "3"
	case "information", "info":
		return "4"
	case "verbose":
		return "5"
	}
	return ""
}
