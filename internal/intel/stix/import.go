package stix

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/kubu-gov/kubu/internal/intel"
)

// Options tune reading indicators.
type Options struct {
	// Source is set on every indicator (the feed or collection it came
	// from).
	Source string
}

// Skipped is an indicator object that was read but not imported.
type Skipped struct {
	ID     string `json:"id"`
	Reason string `json:"reason"`
}

// Result counts what a bundle held.
type Result struct {
	Objects  int       // objects read
	Imported int       // indicator objects turned into Indicators
	Skipped  []Skipped // indicator objects left out, with the reason
	// Errors are objects that are not valid STIX (and, last, a bundle
	// that could not be read to its end); each names the object.
	Errors []string
	// Fatal is set when the bundle itself could not be read to its end.
	Fatal error
}

// ReadIndicators streams a bundle and calls fn with each indicator object
// it imports and the intel.Indicators it yields (one per observable of
// its pattern, sharing its id). Marking definitions found earlier in the
// bundle add to the standard TLP markings. An error from fn stops the
// reading and is returned as Fatal.
func ReadIndicators(r io.Reader, opts Options, fn func(*Indicator, []intel.Indicator) error) *Result {
	res := &Result{}
	rd := NewReader(r)
	markings := map[string]intel.TLP{}
	for {
		raw, err := rd.Next()
		if err == io.EOF {
			return res
		}
		if err != nil {
			res.Fatal = err
			res.Errors = append(res.Errors, err.Error())
			return res
		}
		res.Objects++
		var head struct {
			Type string `json:"type"`
			ID   string `json:"id"`
		}
		if err := json.Unmarshal(raw, &head); err != nil || head.Type == "" {
			res.Errors = append(res.Errors, fmt.Sprintf("object %d: not a STIX object (no type)", res.Objects))
			continue
		}
		switch head.Type {
		case "marking-definition":
			var m MarkingDefinition
			if json.Unmarshal(raw, &m) == nil {
				if t, ok := m.TLP(); ok {
					markings[m.ID] = t
				}
			}
			continue
		case "indicator":
		default:
			continue
		}
		var in Indicator
		if err := json.Unmarshal(raw, &in); err != nil {
			res.Errors = append(res.Errors, fmt.Sprintf("indicator %s: %v", nameOf(head.ID, res.Objects), err))
			continue
		}
		inds, skip, err := convert(&in, opts, markings)
		if err != nil {
			res.Errors = append(res.Errors, fmt.Sprintf("indicator %s: %v", nameOf(head.ID, res.Objects), err))
			continue
		}
		if skip != "" {
			res.Skipped = append(res.Skipped, Skipped{ID: in.ID, Reason: skip})
			continue
		}
		if err := fn(&in, inds); err != nil {
			res.Fatal = err
			res.Errors = append(res.Errors, err.Error())
			return res
		}
		res.Imported++
	}
}

func nameOf(id string, n int) string {
	if id != "" {
		return id
	}
	return fmt.Sprintf("#%d", n)
}

// convert checks an indicator object and turns it into Indicators; a
// non-empty skip says why a valid object is left out.
func convert(in *Indicator, opts Options, markings map[string]intel.TLP) ([]intel.Indicator, string, error) {
	if err := validID(in.ID, "indicator"); err != nil {
		return nil, "", err
	}
	if in.Pattern == "" {
		return nil, "", errors.New("no pattern")
	}
	if in.Confidence != nil && (*in.Confidence < 0 || *in.Confidence > 100) {
		return nil, "", fmt.Errorf("confidence %d is not 0–100", *in.Confidence)
	}
	from := in.ValidFrom.Time
	if from.IsZero() {
		from = in.Created.Time // STIX 2.0 indicators name no valid_from
	}
	if from.IsZero() {
		return nil, "", errors.New("no valid_from")
	}
	if !in.ValidUntil.IsZero() && !in.ValidUntil.After(from) {
		return nil, "", fmt.Errorf("valid_until %s is not after valid_from %s", in.ValidUntil.Format("2006-01-02T15:04:05Z07:00"), from.Format("2006-01-02T15:04:05Z07:00"))
	}
	if in.Revoked {
		return nil, "revoked", nil
	}
	if in.PatternType != "" && !strings.EqualFold(in.PatternType, "stix") {
		return nil, fmt.Sprintf("pattern_type %q (only stix patterns are read)", in.PatternType), nil
	}
	obs, err := CompilePattern(in.Pattern)
	if err != nil {
		var ue *UnsupportedError
		if errors.As(err, &ue) {
			return nil, ue.Error(), nil
		}
		return nil, "", err
	}
	if len(obs) == 0 {
		return nil, "the pattern names no value", nil
	}
	var tlp intel.TLP
	for _, ref := range in.ObjectMarkingRefs {
		t, ok := MarkingTLP(ref)
		if !ok {
			t, ok = markings[ref]
		}
		if ok && t.Rank() > tlp.Rank() {
			tlp = t
		}
	}
	conf := -1
	if in.Confidence != nil {
		conf = *in.Confidence
	}
	labels := append(append([]string(nil), in.IndicatorTypes...), in.Labels...)
	out := make([]intel.Indicator, len(obs))
	for i, o := range obs {
		out[i] = intel.Indicator{
			ID: in.ID, Observable: o, Name: in.Name, Source: opts.Source, Creator: in.CreatedByRef,
			ValidFrom: from, ValidUntil: in.ValidUntil.Time, Confidence: conf, Modified: in.Modified.Time,
			TLP: tlp, Labels: labels,
		}
	}
	return out, "", nil
}

// Import reads a whole bundle and returns its indicators. An indicator id
// seen more than once keeps its latest version (by modified); the older
// ones are listed as skipped.
func Import(r io.Reader, opts Options) ([]intel.Indicator, *Result) {
	type entry struct {
		modified int64
		inds     []intel.Indicator
	}
	byID := map[string]*entry{}
	var order []string
	var older []Skipped
	res := ReadIndicators(r, opts, func(in *Indicator, inds []intel.Indicator) error {
		m := in.Modified.UnixNano()
		if e, ok := byID[in.ID]; ok {
			older = append(older, Skipped{ID: in.ID, Reason: "an older version of an indicator also in the bundle"})
			if m > e.modified {
				e.modified, e.inds = m, inds
			}
			return nil
		}
		byID[in.ID] = &entry{modified: m, inds: inds}
		order = append(order, in.ID)
		return nil
	})
	res.Imported -= len(older)
	res.Skipped = append(res.Skipped, older...)
	var out []intel.Indicator
	for _, id := range order {
		out = append(out, byID[id].inds...)
	}
	return out, res
}
