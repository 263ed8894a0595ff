package misp

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Timestamp is a MISP time: seconds since the epoch, as a JSON number or
// string.
type Timestamp struct{ time.Time }

// UnmarshalJSON reads 1546300800 or "1546300800" (or "" for none).
func (t *Timestamp) UnmarshalJSON(b []byte) error {
	s := string(bytes.Trim(bytes.TrimSpace(b), `"`))
	if s == "" || s == "null" || s == "0" {
		t.Time = time.Time{}
		return nil
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < 0 || n > 1<<40 {
		// first_seen/last_seen are ISO 8601.
		if v, err2 := time.Parse(time.RFC3339Nano, s); err2 == nil {
			t.Time = v.UTC()
			return nil
		}
		return fmt.Errorf("timestamp %s is not seconds since the epoch", b)
	}
	t.Time = time.Unix(n, 0).UTC()
	return nil
}

// flexBool reads true, false, 1, 0, "1", "0", "true", "false".
type flexBool bool

func (f *flexBool) UnmarshalJSON(b []byte) error {
	switch strings.ToLower(string(bytes.Trim(bytes.TrimSpace(b), `"`))) {
	case "true", "1":
		*f = true
	case "false", "0", "", "null":
		*f = false
	default:
		return fmt.Errorf("want a boolean, got %s", b)
	}
	return nil
}

// Tag is a MISP tag ("tlp:amber", "misp-galaxy:…").
type Tag struct {
	Name string `json:"name"`
}

// Org is an organisation.
type Org struct {
	Name string `json:"name"`
	UUID string `json:"uuid"`
}

// Attribute is one value of an event.
type Attribute struct {
	UUID      string    `json:"uuid"`
	Type      string    `json:"type"`
	Category  string    `json:"category"`
	Value     string    `json:"value"`
	ToIDS     flexBool  `json:"to_ids"`
	Deleted   flexBool  `json:"deleted"`
	Timestamp Timestamp `json:"timestamp"`
	FirstSeen Timestamp `json:"first_seen"`
	Comment   string    `json:"comment"`
	Tags      []Tag     `json:"Tag"`
}

// Object groups attributes (a file with its hashes, a domain-ip pair).
type Object struct {
	Name       string      `json:"name"`
	UUID       string      `json:"uuid"`
	Deleted    flexBool    `json:"deleted"`
	Attributes []Attribute `json:"Attribute"`
}

// Event is a MISP event.
type Event struct {
	UUID       string      `json:"uuid"`
	Info       string      `json:"info"`
	Date       string      `json:"date"`
	Timestamp  Timestamp   `json:"timestamp"`
	Orgc       Org         `json:"Orgc"`
	Tags       []Tag       `json:"Tag"`
	Attributes []Attribute `json:"Attribute"`
	Objects    []Object    `json:"Object"`
}

// ManifestEntry is an event as manifest.json lists it.
type ManifestEntry struct {
	Info      string    `json:"info"`
	Date      string    `json:"date"`
	Timestamp Timestamp `json:"timestamp"`
	Orgc      Org       `json:"Orgc"`
	Tags      []Tag     `json:"Tag"`
}

// MaxEventBytes bounds one event document of a feed.
const MaxEventBytes = 64 << 20

// ParseEvent reads an event document: {"Event": {…}}.
func ParseEvent(b []byte) (*Event, error) {
	if len(b) > MaxEventBytes {
		return nil, fmt.Errorf("event of %d bytes (at most %d)", len(b), MaxEventBytes)
	}
	var doc struct {
		Event *Event `json:"Event"`
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		return nil, fmt.Errorf("not a MISP event: %w", err)
	}
	if doc.Event == nil {
		return nil, fmt.Errorf("not a MISP event: no \"Event\" member")
	}
	return doc.Event, nil
}

// ParseManifest reads manifest.json: {"<event uuid>": {…}, …}.
func ParseManifest(b []byte) (map[string]ManifestEntry, error) {
	var m map[string]ManifestEntry
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("not a MISP feed manifest: %w", err)
	}
	for id := range m {
		if !validUUID(id) {
			return nil, fmt.Errorf("manifest: %q is not an event uuid", id)
		}
	}
	return m, nil
}

func validUUID(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch i {
		case 8, 13, 18, 23:
			if c != '-' {
				return false
			}
		default:
			if !(c >= '0' && c <= '9' || c|0x20 >= 'a' && c|0x20 <= 'f') {
				return false
			}
		}
	}
	return true
}
