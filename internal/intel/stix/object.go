package stix

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/kubu-gov/kubu/internal/intel"
)

// MediaType is the media type of STIX 2.1 content.
const MediaType = "application/stix+json;version=2.1"

// The standard TLP marking definitions: TLP 1.0 from the STIX 2.1
// specification (§7.2.1.4) and TLP 2.0 from the OASIS extension
// (cti-stix-common-objects, extension-definition-specifications/tlp-2.0).
var tlpMarkings = map[string]intel.TLP{
	"marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9": intel.TLPClear, // TLP:WHITE
	"marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da": intel.TLPGreen,
	"marking-definition--f88d31f6-486f-44da-b317-01333bde0b82": intel.TLPAmber,
	"marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ed": intel.TLPRed,
	"marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487": intel.TLPClear, // TLP 2.0
	"marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb": intel.TLPGreen,
	"marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421": intel.TLPAmber,
	"marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003": intel.TLPAmberStrict,
	"marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1": intel.TLPRed,
}

// tlp2Marking is the TLP 2.0 marking definition of each level, written on
// export.
var tlp2Marking = map[intel.TLP]string{
	intel.TLPClear:       "marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487",
	intel.TLPGreen:       "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb",
	intel.TLPAmber:       "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421",
	intel.TLPAmberStrict: "marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003",
	intel.TLPRed:         "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1",
}

// MarkingTLP returns the TLP level of a standard TLP marking definition.
func MarkingTLP(id string) (intel.TLP, bool) {
	t, ok := tlpMarkings[strings.ToLower(id)]
	return t, ok
}

// Timestamp is a STIX timestamp: RFC 3339, written in UTC with
// milliseconds.
type Timestamp struct{ time.Time }

// MarshalJSON writes the time as 2006-01-02T15:04:05.000Z.
func (t Timestamp) MarshalJSON() ([]byte, error) {
	return []byte(`"` + t.UTC().Format("2006-01-02T15:04:05.000Z") + `"`), nil
}

// UnmarshalJSON reads any RFC 3339 time.
func (t *Timestamp) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("timestamp: want a string, got %s", bytes.TrimSpace(b))
	}
	v, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return fmt.Errorf("timestamp %q is not RFC 3339", s)
	}
	t.Time = v
	return nil
}

// IsZero reports whether the time is unset (for omitzero).
func (t Timestamp) IsZero() bool { return t.Time.IsZero() }

// Indicator is a STIX 2.1 indicator object (the properties kubu reads and
// writes).
type Indicator struct {
	Type              string    `json:"type"`
	SpecVersion       string    `json:"spec_version"`
	ID                string    `json:"id"`
	Created           Timestamp `json:"created"`
	Modified          Timestamp `json:"modified"`
	CreatedByRef      string    `json:"created_by_ref,omitempty"`
	Name              string    `json:"name,omitempty"`
	Description       string    `json:"description,omitempty"`
	IndicatorTypes    []string  `json:"indicator_types,omitempty"`
	Pattern           string    `json:"pattern"`
	PatternType       string    `json:"pattern_type"`
	PatternVersion    string    `json:"pattern_version,omitempty"`
	ValidFrom         Timestamp `json:"valid_from"`
	ValidUntil        Timestamp `json:"valid_until,omitzero"`
	Confidence        *int      `json:"confidence,omitempty"`
	Labels            []string  `json:"labels,omitempty"`
	Revoked           bool      `json:"revoked,omitempty"`
	ObjectMarkingRefs []string  `json:"object_marking_refs,omitempty"`
}

// MarkingDefinition is the part of a marking-definition object that says
// which TLP level it stands for: STIX 2.1's definition_type "tlp", or a
// TLP 2.0 name such as "TLP:AMBER+STRICT".
type MarkingDefinition struct {
	Type           string `json:"type"`
	ID             string `json:"id"`
	Name           string `json:"name"`
	DefinitionType string `json:"definition_type"`
	Definition     struct {
		TLP string `json:"tlp"`
	} `json:"definition"`
}

// TLP returns the level the definition stands for, if it is a TLP one.
func (m *MarkingDefinition) TLP() (intel.TLP, bool) {
	if t, ok := MarkingTLP(m.ID); ok {
		return t, true
	}
	if strings.EqualFold(m.DefinitionType, "tlp") && m.Definition.TLP != "" {
		if t, err := intel.ParseTLP(m.Definition.TLP); err == nil {
			return t, true
		}
	}
	if strings.HasPrefix(strings.ToUpper(m.Name), "TLP:") {
		if t, err := intel.ParseTLP(m.Name); err == nil {
			return t, true
		}
	}
	return "", false
}

// validID checks a STIX identifier: type--UUID.
func validID(id, typ string) error {
	rest, ok := strings.CutPrefix(id, typ+"--")
	if !ok {
		return fmt.Errorf("id %q is not %s--<uuid>", id, typ)
	}
	if len(rest) != 36 || rest[8] != '-' || rest[13] != '-' || rest[18] != '-' || rest[23] != '-' {
		return fmt.Errorf("id %q does not end in a UUID", id)
	}
	for i := 0; i < len(rest); i++ {
		c := rest[i] | 0x20
		if rest[i] != '-' && !(c >= '0' && c <= '9') && !(c >= 'a' && c <= 'f') {
			return fmt.Errorf("id %q does not end in a UUID", id)
		}
	}
	return nil
}
