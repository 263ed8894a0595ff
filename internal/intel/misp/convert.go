package misp

import (
	"fmt"
	"strings"
	"time"

	"github.com/kubu-gov/kubu/internal/intel"
)

// Options tune the conversion of MISP data into indicators.
type Options struct {
	// Source is set on every indicator.
	Source string
	// AllAttributes imports attributes whose to_ids flag is false too
	// (MISP's flag for "fit for detection"); by default they are skipped.
	AllAttributes bool
	// TTL, when positive, makes each indicator valid until its valid_from
	// plus TTL (MISP attributes carry no end of validity).
	TTL time.Duration
	// Now is the valid_from of values from CSV and freetext feeds, which
	// carry no time; zero means time.Now().
	Now time.Time
}

// Skipped is an attribute (or line) read but not imported.
type Skipped struct {
	ID     string `json:"id"`
	Reason string `json:"reason"`
}

// Result counts what was read.
type Result struct {
	Events   int
	Imported int // attributes or lines that gave indicators
	Skipped  []Skipped
	Errors   []string
}

// attrTypes maps MISP attribute types to observable types; a composite
// type ("filename|md5") lists one type per part, "" for a part that is not
// matched.
var attrTypes = map[string][]intel.Type{
	"ip-src": {intel.IP}, "ip-dst": {intel.IP},
	"ip-src|port": {intel.IP, ""}, "ip-dst|port": {intel.IP, ""},
	"domain": {intel.Domain}, "hostname": {intel.Domain},
	"domain|ip": {intel.Domain, intel.IP}, "hostname|port": {intel.Domain, ""},
	"url": {intel.URL},
	"md5": {intel.MD5}, "sha1": {intel.SHA1}, "sha256": {intel.SHA256}, "sha512": {intel.SHA512},
	"filename|md5": {"", intel.MD5}, "filename|sha1": {"", intel.SHA1},
	"filename|sha256": {"", intel.SHA256}, "filename|sha512": {"", intel.SHA512},
	"email": {intel.Email}, "email-src": {intel.Email}, "email-dst": {intel.Email},
	"email-reply-to": {intel.Email}, "whois-registrant-email": {intel.Email},
}

// EventIndicators turns an event's attributes (and its objects'
// attributes) into indicators.
func EventIndicators(ev *Event, opts Options, res *Result) []intel.Indicator {
	res.Events++
	var out []intel.Indicator
	tlp, labels := tagsOf(ev.Tags)
	do := func(a *Attribute) {
		inds, skip, err := attributeIndicators(ev, a, opts, tlp, labels)
		switch {
		case err != nil:
			res.Errors = append(res.Errors, fmt.Sprintf("event %s attribute %s: %v", ev.UUID, a.UUID, err))
		case skip != "":
			res.Skipped = append(res.Skipped, Skipped{ID: a.UUID, Reason: skip})
		default:
			res.Imported++
			out = append(out, inds...)
		}
	}
	for i := range ev.Attributes {
		do(&ev.Attributes[i])
	}
	for _, o := range ev.Objects {
		if o.Deleted {
			continue
		}
		for i := range o.Attributes {
			do(&o.Attributes[i])
		}
	}
	return out
}

func attributeIndicators(ev *Event, a *Attribute, opts Options, evTLP intel.TLP, evLabels []string) ([]intel.Indicator, string, error) {
	if a.Deleted {
		return nil, "deleted", nil
	}
	if !bool(a.ToIDS) && !opts.AllAttributes {
		return nil, "to_ids is false", nil
	}
	types, ok := attrTypes[a.Type]
	if !ok {
		return nil, fmt.Sprintf("attribute type %q is not one kubu matches", a.Type), nil
	}
	if !validUUID(a.UUID) {
		return nil, "", fmt.Errorf("uuid %q is not a UUID", a.UUID)
	}
	parts := []string{a.Value}
	if len(types) > 1 {
		parts = strings.SplitN(a.Value, "|", len(types))
		if len(parts) != len(types) {
			return nil, "", fmt.Errorf("%s value %q has no '|'", a.Type, a.Value)
		}
	}
	tlp, labels := tagsOf(a.Tags)
	if evTLP.Rank() > tlp.Rank() {
		tlp = evTLP
	}
	labels = append(append([]string(nil), evLabels...), labels...)
	from := a.FirstSeen.Time
	if from.IsZero() {
		from = a.Timestamp.Time
	}
	if from.IsZero() {
		from = ev.Timestamp.Time
	}
	if from.IsZero() {
		return nil, "", fmt.Errorf("no timestamp")
	}
	var until time.Time
	if opts.TTL > 0 {
		until = from.Add(opts.TTL)
	}
	var out []intel.Indicator
	for i, t := range types {
		if t == "" {
			continue
		}
		o, err := intel.NewObservable(t, parts[i])
		if err != nil {
			return nil, "", err
		}
		out = append(out, intel.Indicator{
			ID: a.UUID, Observable: o, Name: ev.Info, Source: opts.Source, Creator: ev.Orgc.Name,
			ValidFrom: from, ValidUntil: until, Confidence: -1, Modified: a.Timestamp.Time,
			TLP: tlp, Labels: labels,
		})
	}
	return out, "", nil
}

// tagsOf returns the most restrictive TLP among tags and the other tags'
// names.
func tagsOf(tags []Tag) (intel.TLP, []string) {
	var tlp intel.TLP
	var labels []string
	for _, t := range tags {
		if strings.HasPrefix(strings.ToLower(t.Name), "tlp:") {
			if v, err := intel.ParseTLP(t.Name); err == nil && v.Rank() > tlp.Rank() {
				tlp = v
			}
			continue
		}
		if t.Name != "" {
			labels = append(labels, t.Name)
		}
	}
	return tlp, labels
}
