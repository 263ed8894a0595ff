package imports

import (
	"crypto/sha256"
	"encoding/hex"
	"slices"
	"strconv"
	"strings"
)

// Reconciliation of a new import with the findings earlier imports of the
// same tool made for the same system. It is a pure function of the
// previous fingerprints (with their findings' states) and the new items:
// the caller stores the result.

// Previous is a finding an earlier import made.
type Previous struct {
	Fingerprint string
	FindingID   string
	// Status is the finding's status: open, in-progress, fixed,
	// risk-accepted, false-positive or duplicate.
	Status   string
	Severity string
	// Digest is Item.Digest of the item as last imported.
	Digest string
}

// Action is what to do with one finding.
type Action string

// The actions, and the contract's counts they add to.
const (
	Create    Action = "create"    // created
	Update    Action = "update"    // updated: content changed (severity, location, text…)
	Unchanged Action = "unchanged" // unchanged
	Reopen    Action = "reopen"    // reopened: fixed before, found again
	Close     Action = "close"     // closed: absent from this import, or dismissed by it
	Ignore    Action = "ignore"    // nothing: a dismissed item with no finding, or a repeat
)

// Change is one decision.
type Change struct {
	Action   Action
	Item     *Item     // the new item (nil when closing an absent finding)
	Previous *Previous // the existing finding (nil when creating)
	// Status is the finding status to set: open on create and reopen;
	// fixed or false-positive on close.
	Status string
	// Reason explains a close or reopen, for the finding's history.
	Reason string
	// SeverityFrom is the old severity when an update changed it.
	SeverityFrom string
}

// Counts are the contract's import counts.
type Counts struct {
	Created   int `json:"created"`
	Updated   int `json:"updated"`
	Unchanged int `json:"unchanged"`
	Reopened  int `json:"reopened"`
	Closed    int `json:"closed"`
}

// Reconciler reconciles one import, item by item, so a streamed file
// never has to be held whole.
type Reconciler struct {
	source string
	prev   map[string]*Previous
	seen   map[string]bool
	counts Counts
}

// NewReconciler starts reconciling an import; source names it in the
// reasons ("sarif import of 2026-12-04 (CodeQL 2.19.1)").
func NewReconciler(prev []Previous, source string) *Reconciler {
	r := &Reconciler{source: source, prev: make(map[string]*Previous, len(prev)), seen: map[string]bool{}}
	for i := range prev {
		p := prev[i]
		r.prev[p.Fingerprint] = &p
	}
	return r
}

func isOpen(status string) bool { return status == "open" || status == "in-progress" }

// Add decides what one new item does.
func (r *Reconciler) Add(it Item) Change {
	if r.seen[it.Fingerprint] {
		return Change{Action: Ignore, Item: &it, Reason: "repeated fingerprint in one import"}
	}
	r.seen[it.Fingerprint] = true
	p, ok := r.prev[it.Fingerprint]
	if !ok {
		if it.Dismissed != "" {
			return Change{Action: Ignore, Item: &it, Reason: it.Dismissed}
		}
		r.counts.Created++
		return Change{Action: Create, Item: &it, Status: "open"}
	}
	digest := it.Digest()
	if it.Dismissed != "" {
		if isOpen(p.Status) {
			r.counts.Closed++
			return Change{Action: Close, Item: &it, Previous: p, Status: it.DismissedAs, Reason: it.Dismissed + " in the " + r.source}
		}
		r.counts.Unchanged++
		return Change{Action: Unchanged, Item: &it, Previous: p}
	}
	if p.Status == "fixed" {
		r.counts.Reopened++
		return Change{Action: Reopen, Item: &it, Previous: p, Status: "open", Reason: "found again by the " + r.source}
	}
	// Open, or closed by a person (false positive, risk accepted,
	// duplicate): that decision stands; only the content is refreshed.
	if digest != p.Digest {
		r.counts.Updated++
		c := Change{Action: Update, Item: &it, Previous: p}
		if p.Severity != "" && p.Severity != it.Severity {
			c.SeverityFrom = p.Severity
		}
		return c
	}
	r.counts.Unchanged++
	return Change{Action: Unchanged, Item: &it, Previous: p}
}

// Finish closes the open findings the import did not mention, in a
// stable order, and returns those changes. Call it only after the whole
// file parsed: a failed parse has not seen every item.
func (r *Reconciler) Finish() []Change {
	var closes []Change
	for fp, p := range r.prev {
		if r.seen[fp] || !isOpen(p.Status) {
			continue
		}
		r.counts.Closed++
		closes = append(closes, Change{Action: Close, Previous: p, Status: "fixed", Reason: "absent from the " + r.source})
	}
	slices.SortFunc(closes, func(a, b Change) int { return strings.Compare(a.Previous.Fingerprint, b.Previous.Fingerprint) })
	return closes
}

// Counts returns the counts so far.
func (r *Reconciler) Counts() Counts { return r.counts }

// Reconcile is the whole reconciliation in one call.
func Reconcile(prev []Previous, items []Item, source string) ([]Change, Counts) {
	r := NewReconciler(prev, source)
	var out []Change
	for _, it := range items {
		if c := r.Add(it); c.Action != Ignore {
			out = append(out, c)
		}
	}
	out = append(out, r.Finish()...)
	return out, r.Counts()
}

// Digest summarises what an item says, so a re-import can tell an
// unchanged result from an updated one without keeping the whole item.
func (it *Item) Digest() string {
	h := sha256.New()
	w := func(s string) { h.Write([]byte(s)); h.Write([]byte{0}) }
	w(it.Title)
	w(it.Severity)
	w(it.CVSSVector)
	if it.CVSSScore != nil {
		w(strconv.FormatFloat(*it.CVSSScore, 'f', 1, 64))
	} else {
		w("")
	}
	for _, c := range it.CWE {
		w(strconv.Itoa(c))
	}
	w("|")
	w(strings.Join(it.CVE, ","))
	w(it.Location.String())
	w(it.Description)
	w(it.RuleID)
	w(it.Dismissed)
	return hex.EncodeToString(h.Sum(nil))
}

// AsPrevious is what a caller stores after applying a change, for the
// next import to compare against.
func (it *Item) AsPrevious(findingID, status string) Previous {
	return Previous{Fingerprint: it.Fingerprint, FindingID: findingID, Status: status, Severity: it.Severity, Digest: it.Digest()}
}
