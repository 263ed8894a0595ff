package ui

import (
	"encoding/json"
	"fmt"
	"strings"
)

// eventSummary is the one line an analyst reads of a matched event: who
// did what where. Fields are taken from the flat EVTX names Sigma rules
// use, then the ECS ones, then common syslog/JSON names.
type eventSummary struct {
	Host, User, Process, CommandLine string
}

// Empty reports whether no field was found.
func (s eventSummary) Empty() bool {
	return s.Host == "" && s.User == "" && s.Process == "" && s.CommandLine == ""
}

var summaryFields = struct{ host, user, process, cmd []string }{
	host:    []string{"Computer", "Hostname", "hostname", "host.name", "host.hostname", "host", "@kubu.host"},
	user:    []string{"TargetUserName", "SubjectUserName", "User", "UserName", "user.name", "user", "username"},
	process: []string{"Image", "NewProcessName", "ProcessName", "process.executable", "process.name", "app_name", "program"},
	cmd:     []string{"CommandLine", "ProcessCommandLine", "process.command_line", "cmdline", "command_line"},
}

// summarise reads the summary of one stored event (a JSON object); any
// other document gives an empty summary.
func summarise(raw []byte) eventSummary {
	var obj map[string]any
	if json.Unmarshal(raw, &obj) != nil {
		return eventSummary{}
	}
	return eventSummary{
		Host:        firstField(obj, summaryFields.host),
		User:        firstField(obj, summaryFields.user),
		Process:     firstField(obj, summaryFields.process),
		CommandLine: firstField(obj, summaryFields.cmd),
	}
}

// summaryMax bounds each field of the summary line; the whole event is one
// click away.
const summaryMax = 300

// firstField is the first of names with a non-empty scalar value; a name
// with dots is looked up as written, then as a path of nested objects.
func firstField(obj map[string]any, names []string) string {
	for _, n := range names {
		v, ok := obj[n]
		if !ok && strings.Contains(n, ".") {
			v, ok = lookupPath(obj, strings.Split(n, "."))
		}
		if !ok {
			continue
		}
		var s string
		switch x := v.(type) {
		case string:
			s = x
		case float64, bool:
			s = fmt.Sprint(x)
		default:
			continue
		}
		if s = strings.TrimSpace(s); s != "" && s != "-" {
			if r := []rune(s); len(r) > summaryMax {
				s = string(r[:summaryMax]) + "…"
			}
			return s
		}
	}
	return ""
}

func lookupPath(obj map[string]any, path []string) (any, bool) {
	var cur any = obj
	for _, p := range path {
		m, ok := cur.(map[string]any)
		if !ok {
			return nil, false
		}
		if cur, ok = m[p]; !ok {
			return nil, false
		}
	}
	return cur, true
}
