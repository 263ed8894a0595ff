package match

import (
	"strings"
	"time"
	"unsafe"

	"github.com/kubu-gov/kubu/internal/intel"
)

// records holds the indicators given to Build without a single pointer:
// their strings in one byte arena and the rest in fixed-size records. A
// million indicators held as intel.Indicator values are some eleven
// million pointers that every garbage collection of the process must
// scan (measured in kubu's pipeline: 6–7 µs of GC per event); held here
// they cost the collector nothing. An intel.Indicator is made again only
// for a hit.
type records struct {
	arena []byte
	recs  []record
}

// The strings of a record, in arena order.
const (
	fID = iota
	fType
	fValue
	fName
	fSource
	fCreator
	fTLP
	fLabels // joined with \x00
	fKey    // the normal form used as a table key (domains, URLs, emails)
	nFields
)

type record struct {
	end                   [nFields]uint32 // end offsets in the arena; a field starts where the previous ends
	start                 uint32
	from, until, modified int64 // Unix nanoseconds; noTime when zero
	confidence            int32
}

// noTime stands for the zero time.Time.
const noTime = -1 << 63

func unixNano(t time.Time) int64 {
	if t.IsZero() {
		return noTime
	}
	return t.UnixNano()
}

func fromNano(n int64) time.Time {
	if n == noTime {
		return time.Time{}
	}
	return time.Unix(0, n).UTC()
}

// add appends in, with key as its table key ("" for none).
func (r *records) add(in *intel.Indicator, key string) {
	rec := record{start: uint32(len(r.arena)), from: unixNano(in.ValidFrom), until: unixNano(in.ValidUntil),
		modified: unixNano(in.Modified), confidence: int32(in.Confidence)}
	for f, s := range [nFields]string{in.ID, string(in.Type), in.Value, in.Name, in.Source, in.Creator, string(in.TLP),
		strings.Join(in.Labels, "\x00"), key} {
		r.arena = append(r.arena, s...)
		rec.end[f] = uint32(len(r.arena))
	}
	r.recs = append(r.recs, rec)
}

// view returns a string field of record i, sharing the arena (for
// comparisons; the arena never changes after Build).
func (r *records) view(i int32, f int) string {
	rec := &r.recs[i]
	start := rec.start
	if f > 0 {
		start = rec.end[f-1]
	}
	n := rec.end[f] - start
	if n == 0 {
		return ""
	}
	return unsafe.String(&r.arena[start], n)
}

// key reports whether record i's table key is b.
func (r *records) keyIs(i int32, b []byte) bool { return r.view(i, fKey) == string(b) }

// field returns a copy of a string field of record i.
func (r *records) field(i int32, f int) string { return strings.Clone(r.view(i, f)) }

// indicator makes record i an intel.Indicator again (times in UTC).
func (r *records) indicator(i int32) *intel.Indicator {
	rec := &r.recs[i]
	in := &intel.Indicator{ID: r.field(i, fID), Observable: intel.Observable{Type: intel.Type(r.field(i, fType)), Value: r.field(i, fValue)},
		Name: r.field(i, fName), Source: r.field(i, fSource), Creator: r.field(i, fCreator), TLP: intel.TLP(r.field(i, fTLP)),
		ValidFrom: fromNano(rec.from), ValidUntil: fromNano(rec.until), Modified: fromNano(rec.modified), Confidence: int(rec.confidence)}
	if l := r.field(i, fLabels); l != "" {
		in.Labels = strings.Split(l, "\x00")
	}
	return in
}
