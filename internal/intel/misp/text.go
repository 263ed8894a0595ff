package misp

import (
	"bufio"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/kubu-gov/kubu/internal/intel"
)

// MaxTextBytes bounds a CSV or freetext feed.
const MaxTextBytes = 256 << 20

// CSVOptions describe a CSV feed as MISP's feed settings do.
type CSVOptions struct {
	// Columns holds the 1-based columns with values (default: column 1).
	Columns []int
	// Delimiter separates fields (default ',').
	Delimiter rune
}

// lineIndicator makes the indicator of a value read from a line of a
// feed: its id is the source and the value, so a value keeps its id from
// one poll to the next.
func lineIndicator(o intel.Observable, opts Options) intel.Indicator {
	now := opts.Now
	if now.IsZero() {
		now = time.Now().UTC()
	}
	id := o.String()
	if opts.Source != "" {
		id = opts.Source + ":" + id
	}
	var until time.Time
	if opts.TTL > 0 {
		until = now.Add(opts.TTL)
	}
	return intel.Indicator{ID: id, Observable: o, Source: opts.Source, ValidFrom: now, ValidUntil: until, Confidence: -1}
}

// ReadCSV reads a CSV feed: each value column of each record is detected
// (intel.Detect) and becomes an indicator; '#' starts a comment line. A
// value that is none of the observable types (a header, a note) is listed
// as skipped with its line. Values are de-duplicated.
func ReadCSV(r io.Reader, copts CSVOptions, opts Options) ([]intel.Indicator, *Result) {
	res := &Result{}
	cols := copts.Columns
	if len(cols) == 0 {
		cols = []int{1}
	}
	cr := csv.NewReader(io.LimitReader(r, MaxTextBytes))
	cr.Comma = ','
	if copts.Delimiter != 0 {
		cr.Comma = copts.Delimiter
	}
	cr.Comment = '#'
	cr.FieldsPerRecord = -1
	cr.LazyQuotes = true
	cr.TrimLeadingSpace = true
	cr.ReuseRecord = true
	seen := map[intel.Observable]bool{}
	var out []intel.Indicator
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			return out, res
		}
		line, _ := cr.FieldPos(0)
		if err != nil {
			res.Errors = append(res.Errors, err.Error())
			var pe *csv.ParseError
			if !errors.As(err, &pe) || len(res.Errors) >= 1000 {
				return out, res
			}
			continue
		}
		for _, c := range cols {
			if c < 1 || c > len(rec) {
				res.Skipped = append(res.Skipped, Skipped{ID: fmt.Sprintf("line %d", line), Reason: fmt.Sprintf("no column %d", c)})
				continue
			}
			v := strings.TrimSpace(rec[c-1])
			if v == "" {
				continue
			}
			o, err := intel.Detect(v)
			if err != nil {
				res.Skipped = append(res.Skipped, Skipped{ID: fmt.Sprintf("line %d", line), Reason: err.Error()})
				continue
			}
			if seen[o] {
				continue
			}
			seen[o] = true
			res.Imported++
			out = append(out, lineIndicator(o, opts))
		}
	}
}

// ReadFreetext reads a freetext feed: every address, CIDR, URL, domain
// (under an ICANN suffix), email address and hash found in its text,
// defanged or not (intel.Extract), except on lines starting with '#'.
func ReadFreetext(r io.Reader, opts Options) ([]intel.Indicator, *Result) {
	res := &Result{}
	sc := bufio.NewScanner(io.LimitReader(r, MaxTextBytes))
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	seen := map[intel.Observable]bool{}
	var out []intel.Indicator
	n := 0
	for sc.Scan() {
		n++
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		for _, o := range intel.Extract(line) {
			if seen[o] {
				continue
			}
			seen[o] = true
			res.Imported++
			out = append(out, lineIndicator(o, opts))
		}
	}
	if err := sc.Err(); err != nil {
		res.Errors = append(res.Errors, fmt.Sprintf("after line %d: %v", n, err))
	}
	return out, res
}
