package hunt

import (
	"github.com/kubu-gov/kubu/internal/event"

	"bufio"
	"fmt"
	"io"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/kubu-gov/kubu/internal/sigma"
	"github.com/valyala/fastjson"
)

// Column limits of the table output, in characters.
const (
	maxRuleWidth   = 60
	maxSourceWidth = 56
	maxEventWidth  = 160
)

// summaryFields are the event fields shown in the table's EVENT column,
// in order, at most maxSummaryFields of those present.
var summaryFields = []string{
	"Computer", "User", "SubjectUserName", "TargetUserName", "Image", "NewProcessName",
	"CommandLine", "ParentImage", "TargetFilename", "TargetObject", "Details", "QueryName",
	"DestinationIp", "DestinationPort", "ServiceName", "ImagePath", "ScriptBlockText",
	"IpAddress", "WorkstationName", "ImageLoaded", "PipeName", "ObjectName", "ShareName",
}

const maxSummaryFields = 4

// WriteTable writes the timeline as aligned columns for a terminal
// (timestamp, level, rule title, source, a short event summary), then a
// credits section naming the authors of every rule that matched, as the
// Detection Rule License asks.
func WriteTable(w io.Writer, ds []Detection) error {
	bw := bufio.NewWriter(w)
	rows := [][]string{{"TIMESTAMP", "LEVEL", "RULE", "SOURCE", "EVENT"}}
	var p fastjson.Parser
	for i := range ds {
		d := &ds[i]
		ts := "-"
		if !d.Time.IsZero() {
			ts = d.Time.UTC().Format("2006-01-02T15:04:05.000Z")
		}
		rows = append(rows, []string{
			ts,
			cell(d.Rule.Level, 13),
			cell(d.Rule.Title, maxRuleWidth),
			cellTail(d.Source(), maxSourceWidth),
			cell(eventSummary(&p, d), maxEventWidth),
		})
	}
	widths := make([]int, len(rows[0]))
	for _, r := range rows {
		for i, c := range r {
			widths[i] = max(widths[i], utf8.RuneCountInString(c))
		}
	}
	for _, r := range rows {
		var line strings.Builder
		for i, c := range r {
			line.WriteString(c)
			if i < len(r)-1 {
				line.WriteString(strings.Repeat(" ", widths[i]-utf8.RuneCountInString(c)+2))
			}
		}
		bw.WriteString(strings.TrimRight(line.String(), " "))
		bw.WriteByte('\n')
	}
	fmt.Fprintf(bw, "\n%d detections\n", len(ds))
	writeCredits(bw, ds)
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("write table: %w", err)
	}
	return nil
}

// writeCredits lists the authors of the rules that matched, by rule title.
func writeCredits(w io.Writer, ds []Detection) {
	seen := map[*sigma.Rule]bool{}
	var rules []*sigma.Rule
	for i := range ds {
		if r := ds[i].Rule; !seen[r] {
			seen[r] = true
			rules = append(rules, r)
		}
	}
	if len(rules) == 0 {
		return
	}
	slices.SortFunc(rules, func(a, b *sigma.Rule) int {
		if c := strings.Compare(a.Title, b.Title); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})
	fmt.Fprintln(w, "\nRule authors (credited under the Detection Rule License 1.1):")
	for _, r := range rules {
		authors := strings.Join(Authors(r), ", ")
		if authors == "" {
			authors = "unknown"
		}
		fmt.Fprintf(w, "  %s: %s\n", cell(r.Title, 200), cell(authors, 200))
	}
}

// eventSummary picks a few telling fields of the event.
func eventSummary(p *fastjson.Parser, d *Detection) string {
	v, err := p.ParseBytes(d.Event)
	if err != nil {
		return ""
	}
	if d.Rule.Correlation != nil {
		var parts []string
		if g := v.GetObject("group"); g != nil {
			g.Visit(func(k []byte, x *fastjson.Value) {
				parts = append(parts, string(k)+"="+string(x.GetStringBytes()))
			})
		}
		parts = append(parts, "value="+v.Get("value").String())
		return strings.Join(parts, " ")
	}
	var parts []string
	for _, f := range summaryFields {
		x := v.Get(f)
		if x == nil {
			continue
		}
		var s string
		if x.Type() == fastjson.TypeString {
			s = string(x.GetStringBytes())
		} else {
			s = x.String()
		}
		if s == "" || s == "-" {
			continue
		}
		parts = append(parts, f+"="+s)
		if len(parts) == maxSummaryFields {
			break
		}
	}
	if len(parts) == 0 {
		parts = leafSummary(v, "", parts)
	}
	return strings.Join(parts, " ")
}

// leafSummary lists the first leaves of an event none of whose fields is
// in summaryFields (a JSON log of another kind), by dotted name, leaving
// out its time.
func leafSummary(v *fastjson.Value, prefix string, parts []string) []string {
	o, err := v.Object()
	if err != nil {
		return parts
	}
	o.Visit(func(k []byte, x *fastjson.Value) {
		if len(parts) >= maxSummaryFields {
			return
		}
		name := prefix + string(k)
		switch x.Type() {
		case fastjson.TypeObject:
			parts = leafSummary(x, name+".", parts)
		case fastjson.TypeString:
			if s := string(x.GetStringBytes()); s != "" && !event.IsTimeField(name) {
				parts = append(parts, name+"="+s)
			}
		case fastjson.TypeArray:
		default:
			parts = append(parts, name+"="+x.String())
		}
	})
	return parts
}

// cell makes s safe for a terminal (control characters become spaces,
// runs of spaces collapse) and cuts it to n characters.
func cell(s string, n int) string {
	s = clean(s)
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n-1]) + "…"
}

// cellTail is cell keeping the end of s (the file name and record).
func cellTail(s string, n int) string {
	s = clean(s)
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return "…" + string(r[len(r)-n+1:])
}

// clean drops what could mislead or drive a terminal: control and format
// characters (escape sequences, bidirectional overrides) and invalid
// UTF-8 become spaces, and runs of spaces collapse into one.
func clean(s string) string {
	return strings.Join(strings.FieldsFunc(s, func(r rune) bool {
		return unicode.IsSpace(r) || unicode.IsControl(r) || unicode.Is(unicode.Cf, r) || r == utf8.RuneError
	}), " ")
}
