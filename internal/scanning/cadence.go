package scanning

import (
	"time"

	"github.com/kubu-gov/kubu/internal/scan"
)

// Cadence by risk, after CISA Cyber Hygiene: a name is scanned again after
// the interval of the worst scan finding still open on it.
var cadence = map[string]time.Duration{
	"critical": 12 * time.Hour,
	"high":     24 * time.Hour,
	"medium":   4 * 24 * time.Hour,
	"low":      6 * 24 * time.Hour,
}

// Clean is the interval of a name with no open scan finding (or only
// informational ones).
const Clean = 7 * 24 * time.Hour

// retryAfter bounds the interval of a name whose last scan could not
// measure everything, so a passing fault does not hide it for a week.
const retryAfter = 24 * time.Hour

// Interval is how long after a scan the name is due again, given the worst
// severity among its open scan findings ("" or "clean" when none).
func Interval(worst string) time.Duration {
	if d, ok := cadence[worst]; ok {
		return d
	}
	return Clean
}

// nextDue is when a name scanned at t is due again.
func nextDue(t time.Time, worst string, r *scan.Result) time.Time {
	d := Interval(worst)
	if r != nil && (len(r.Errors) > 0 || r.DNS == nil) && d > retryAfter {
		d = retryAfter
	}
	return t.Add(d)
}
