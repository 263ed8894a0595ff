package hunt

import (
	"cmp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/kubu-gov/kubu/internal/sigma"
)

// Detection is one rule matching one event (or one correlation firing).
type Detection struct {
	Rule *sigma.Rule
	// Time is the event's time; zero when the event has none.
	Time time.Time
	// File is the input file as named on the command line (or found in a
	// folder given there); Record is the EVTX EventRecordID, the 1-based
	// line of a JSON Lines file or the 1-based index of a .json document.
	File   string
	Record uint64
	// Event is the matched event as one flat JSON object. For a
	// correlation it describes the correlation (type, group, value).
	Event []byte
}

// Source is FILE#RECORD, or FILE alone when the record is unknown.
func (d *Detection) Source() string {
	if d.Record == 0 {
		return d.File
	}
	return d.File + "#" + strconv.FormatUint(d.Record, 10)
}

// Authors splits a rule's author field into names: commas and semicolons
// separate authors, except inside parentheses ("E.M. Anhaus (originally
// from Atomic Blue Detections, Endgame)" is one author).
func Authors(r *sigma.Rule) []string {
	s := r.Author
	var out []string
	depth, start := 0, 0
	flush := func(end int) {
		if a := strings.TrimSpace(s[start:end]); a != "" {
			out = append(out, a)
		}
		start = end + 1
	}
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '(':
			depth++
		case ')':
			if depth > 0 {
				depth--
			}
		case ',', ';':
			if depth == 0 {
				flush(i)
			}
		}
	}
	flush(len(s))
	if out == nil {
		out = []string{}
	}
	return out
}

// sortTimeline orders detections by time, then file, record, rule title
// and rule id.
func sortTimeline(ds []Detection) {
	slices.SortStableFunc(ds, func(a, b Detection) int {
		if c := a.Time.Compare(b.Time); c != 0 {
			return c
		}
		if c := cmp.Compare(a.File, b.File); c != 0 {
			return c
		}
		if c := cmp.Compare(a.Record, b.Record); c != 0 {
			return c
		}
		if c := cmp.Compare(a.Rule.Title, b.Rule.Title); c != 0 {
			return c
		}
		return cmp.Compare(a.Rule.ID, b.Rule.ID)
	})
}
