package stix

import (
	"crypto/rand"
	"crypto/sha1"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/kubu-gov/kubu/internal/intel"
)

// kubuNamespace is the UUIDv5 namespace of indicator ids kubu derives for
// indicators that came without a STIX id (MISP attributes, containment).
var kubuNamespace = [16]byte{0x6b, 0x75, 0x62, 0x75, 0x2d, 0x69, 0x6e, 0x74, 0x65, 0x6c, 0x2d, 0x73, 0x74, 0x69, 0x78, 0x31}

// IndicatorID returns id if it is a STIX indicator id, else a stable
// indicator--<UUIDv5 of id>.
func IndicatorID(id string) string {
	if validID(id, "indicator") == nil {
		return id
	}
	h := sha1.New()
	h.Write(kubuNamespace[:])
	h.Write([]byte(id))
	var u [16]byte
	copy(u[:], h.Sum(nil))
	u[6] = u[6]&0x0f | 0x50
	u[8] = u[8]&0x3f | 0x80
	return "indicator--" + formatUUID(u)
}

func newUUID() string {
	var u [16]byte
	rand.Read(u[:])
	u[6] = u[6]&0x0f | 0x40
	u[8] = u[8]&0x3f | 0x80
	return formatUUID(u)
}

func formatUUID(u [16]byte) string {
	return fmt.Sprintf("%x-%x-%x-%x-%x", u[0:4], u[4:6], u[6:8], u[8:10], u[10:])
}

// FromIndicators turns indicators into STIX indicator objects: those that
// share an id become one object whose pattern names all their values
// (joined with OR). The first of each id gives the name, validity,
// confidence, labels, creator and TLP; created and modified are its
// Modified time (its valid_from when that is unknown). Order is kept.
func FromIndicators(inds []intel.Indicator) []Indicator {
	var out []Indicator
	index := map[string]int{}
	var obs [][]intel.Observable
	for i := range inds {
		in := &inds[i]
		id := IndicatorID(in.ID)
		if k, ok := index[id]; ok {
			obs[k] = append(obs[k], in.Observable)
			continue
		}
		index[id] = len(out)
		obs = append(obs, []intel.Observable{in.Observable})
		mod := in.Modified
		if mod.IsZero() {
			mod = in.ValidFrom
		}
		if mod.IsZero() {
			mod = now().UTC().Truncate(time.Millisecond)
		}
		from := in.ValidFrom
		if from.IsZero() {
			from = mod
		}
		o := Indicator{
			Type: "indicator", SpecVersion: "2.1", ID: id,
			Created: Timestamp{mod}, Modified: Timestamp{mod},
			Name: in.Name, PatternType: "stix", PatternVersion: "2.1",
			ValidFrom: Timestamp{from}, ValidUntil: Timestamp{in.ValidUntil},
			Labels: in.Labels,
		}
		if strings.HasPrefix(in.Creator, "identity--") {
			o.CreatedByRef = in.Creator
		}
		if in.Confidence >= 0 && in.Confidence <= 100 {
			c := in.Confidence
			o.Confidence = &c
		}
		if m, ok := tlp2Marking[in.TLP]; ok {
			o.ObjectMarkingRefs = []string{m}
		}
		out = append(out, o)
	}
	for k := range out {
		out[k].Pattern = PatternFor(obs[k])
	}
	return out
}

// WriteBundle writes indicators as a STIX 2.1 bundle with a new id.
func WriteBundle(w io.Writer, inds []intel.Indicator) error {
	if _, err := io.WriteString(w, `{"type":"bundle","id":"bundle--`+newUUID()+`","objects":[`); err != nil {
		return err
	}
	enc := json.NewEncoder(w)
	for i, o := range FromIndicators(inds) {
		if i > 0 {
			if _, err := io.WriteString(w, ","); err != nil {
				return err
			}
		}
		if err := enc.Encode(o); err != nil {
			return err
		}
	}
	_, err := io.WriteString(w, "]}\n")
	return err
}

// now is replaced in tests.
var now = time.Now
