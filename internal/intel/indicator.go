package intel

import (
	"fmt"
	"strings"
	"time"
)

// Type is the kind of an observable.
type Type string

// The observable types. An IP value is a single address (IPv4 or IPv6) or a
// CIDR prefix; hashes are lower-case hex of their exact length.
const (
	IP     Type = "ip"
	Domain Type = "domain"
	URL    Type = "url"
	Email  Type = "email"
	MD5    Type = "md5"
	SHA1   Type = "sha1"
	SHA256 Type = "sha256"
	SHA512 Type = "sha512"
)

// Types lists every observable type, in a fixed order.
var Types = []Type{IP, Domain, URL, Email, MD5, SHA1, SHA256, SHA512}

// Valid reports whether t is one of Types.
func (t Type) Valid() bool {
	switch t {
	case IP, Domain, URL, Email, MD5, SHA1, SHA256, SHA512:
		return true
	}
	return false
}

// Observable is one typed value, in canonical form when it came from
// Normalise or NewObservable.
type Observable struct {
	Type  Type   `json:"type"`
	Value string `json:"value"`
}

func (o Observable) String() string { return string(o.Type) + ":" + o.Value }

// NewObservable normalises value for t.
func NewObservable(t Type, value string) (Observable, error) {
	v, err := Normalise(t, value)
	if err != nil {
		return Observable{}, err
	}
	return Observable{Type: t, Value: v}, nil
}

// Indicator is one observable that a source says is malicious, with the
// source's metadata. A STIX indicator whose pattern names several values
// (joined with OR) becomes several Indicators sharing one ID.
type Indicator struct {
	// ID identifies the indicator at its source: a STIX id
	// (indicator--uuid), or a MISP attribute uuid. Matches report it.
	ID string `json:"id"`
	Observable
	Name   string `json:"name,omitempty"`
	Source string `json:"source,omitempty"`
	// Creator is who made the indicator at its source (a STIX
	// created_by_ref, a MISP event's organisation).
	Creator string `json:"creator,omitempty"`
	// ValidFrom and ValidUntil bound when the indicator is active; a zero
	// ValidUntil means no end.
	ValidFrom  time.Time `json:"valid_from"`
	ValidUntil time.Time `json:"valid_until,omitzero"`
	// Confidence is 0–100 as in STIX; -1 when the source gave none.
	Confidence int `json:"confidence"`
	// Modified is when the source last changed the indicator (STIX
	// modified, a MISP attribute's timestamp); zero if unknown.
	Modified time.Time `json:"modified,omitzero"`
	TLP      TLP       `json:"tlp,omitempty"`
	Labels   []string  `json:"labels,omitempty"`
}

// Active reports whether the indicator is in force at now: valid_from ≤ now
// and (no valid_until, or now < valid_until).
func (i *Indicator) Active(now time.Time) bool {
	if !i.ValidFrom.IsZero() && now.Before(i.ValidFrom) {
		return false
	}
	return i.ValidUntil.IsZero() || now.Before(i.ValidUntil)
}

// TLP is a Traffic Light Protocol 2.0 level; the empty TLP means unmarked.
type TLP string

// The TLP 2.0 levels. TLP 1.0's WHITE is read as CLEAR.
const (
	TLPClear       TLP = "clear"
	TLPGreen       TLP = "green"
	TLPAmber       TLP = "amber"
	TLPAmberStrict TLP = "amber+strict"
	TLPRed         TLP = "red"
)

// ParseTLP reads a TLP level in any of the usual spellings: "TLP:GREEN",
// "tlp:amber+strict", "white" (TLP 1.0, read as clear), "Amber".
func ParseTLP(s string) (TLP, error) {
	v := strings.ToLower(strings.TrimSpace(s))
	v = strings.TrimPrefix(v, "tlp:")
	v = strings.TrimSpace(v)
	switch v {
	case "clear", "white":
		return TLPClear, nil
	case "green":
		return TLPGreen, nil
	case "amber":
		return TLPAmber, nil
	case "amber+strict", "amber-strict", "amber strict":
		return TLPAmberStrict, nil
	case "red":
		return TLPRed, nil
	}
	return "", fmt.Errorf("unknown TLP level %q (want clear, green, amber, amber+strict or red)", s)
}

// Rank orders TLP levels from the least (clear, 1) to the most restrictive
// (red, 5); an unmarked TLP ranks 0.
func (t TLP) Rank() int {
	switch t {
	case TLPClear:
		return 1
	case TLPGreen:
		return 2
	case TLPAmber:
		return 3
	case TLPAmberStrict:
		return 4
	case TLPRed:
		return 5
	}
	return 0
}
