package match

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/netip"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/kubu-gov/kubu/internal/intel"
)

// refMatch is the plain, slow statement of what Match must find: every
// string value is scanned, every candidate normalised and compared with
// every indicator.
func refMatch(inds []intel.Indicator, event []byte) []string {
	var doc map[string]any
	if json.Unmarshal(event, &doc) != nil {
		return nil
	}
	found := map[string]bool{}
	var values []string
	var walk func(v any)
	walk = func(v any) {
		switch x := v.(type) {
		case string:
			values = append(values, x)
		case map[string]any:
			for _, c := range x {
				walk(c)
			}
		case []any:
			for _, c := range x {
				walk(c)
			}
		}
	}
	walk(doc)
	ipHit := func(a netip.Addr) {
		a = a.Unmap()
		for _, in := range inds {
			if in.Type == intel.IP {
				if p, err := intel.ParseIP(in.Value); err == nil && p.Contains(a) {
					found[in.ID] = true
				}
			}
		}
	}
	domainHit := func(d string) {
		d = strings.TrimRight(strings.ToLower(d), ".")
		for _, in := range inds {
			if in.Type == intel.Domain {
				v, _ := intel.Normalise(intel.Domain, in.Value)
				if d == v || strings.HasSuffix(d, "."+v) {
					found[in.ID] = true
				}
			}
		}
	}
	for _, s := range values {
		intel.Scan([]byte(s), func(k intel.Kind, tok []byte) bool {
			t := string(tok)
			switch k {
			case intel.KindIPv4:
				if i := strings.IndexByte(t, '/'); i >= 0 {
					t = t[:i]
				}
				if a, err := netip.ParseAddr(t); err == nil {
					ipHit(a)
				}
			case intel.KindIPv6:
				if a, err := netip.ParseAddr(t); err == nil {
					ipHit(a)
				}
			case intel.KindDomain:
				domainHit(t)
			case intel.KindEmail:
				for _, in := range inds {
					if in.Type == intel.Email && strings.EqualFold(in.Value, t) {
						found[in.ID] = true
					}
				}
				domainHit(t[strings.LastIndexByte(t, '@')+1:])
			case intel.KindHash:
				for _, in := range inds {
					if in.Type == intel.HashType(len(t)) && strings.EqualFold(in.Value, t) {
						found[in.ID] = true
					}
				}
			case intel.KindURL:
				u, err := intel.NormaliseURL(t)
				if err != nil {
					return true
				}
				noQuery := u
				if rest := u[strings.Index(u, "://")+3:]; strings.Contains(rest, "?") {
					noQuery = u[:strings.Index(u, "://")+3+strings.IndexByte(rest, '?')]
				}
				for _, in := range inds {
					if in.Type == intel.URL && (in.Value == u || in.Value == noQuery) {
						found[in.ID] = true
					}
				}
				host := u[strings.Index(u, "://")+3:]
				host = host[:strings.IndexAny(host+"/", "/")]
				if strings.HasPrefix(host, "[") {
					if a, err := netip.ParseAddr(host[1:strings.IndexByte(host, ']')]); err == nil {
						ipHit(a)
					}
					return true
				}
				if c := strings.LastIndexByte(host, ':'); c >= 0 {
					host = host[:c]
				}
				if a, err := netip.ParseAddr(host); err == nil {
					ipHit(a)
				} else {
					domainHit(host)
				}
			}
			return true
		})
	}
	var ids []string
	for id := range found {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	return ids
}

// TestAgainstReference compares Match with refMatch on random events made
// of indicator values, their neighbours and noise.
func TestAgainstReference(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	inds := randomIndicators(r, 300)
	s := Build(inds, Options{Now: now})
	if len(s.Rejected()) != 0 {
		t.Fatalf("rejected %v", s.Rejected())
	}
	withHits, kinds := 0, map[intel.Type]bool{}
	for n := 0; n < 3000; n++ {
		event := randomEvent(r, inds)
		var got []string
		for _, h := range s.Match(event) {
			got = append(got, h.Indicator.ID)
		}
		slices.Sort(got)
		got = slices.Compact(got)
		want := refMatch(inds, event)
		if diff := cmp.Diff(want, got); diff != "" {
			t.Fatalf("event %s (-reference +Match):\n%s", event, diff)
		}
		if len(got) > 0 {
			withHits++
		}
		for _, h := range s.Match(event) {
			kinds[h.Indicator.Type] = true
		}
	}
	// The comparison means something only if many events hit, of every type.
	if withHits < 1000 || len(kinds) != 6 {
		t.Fatalf("only %d of 3000 events hit, types hit: %v", withHits, kinds)
	}
}

func randomIndicators(r *rand.Rand, n int) []intel.Indicator {
	var out []intel.Indicator
	for i := 0; i < n; i++ {
		var o intel.Observable
		switch r.IntN(8) {
		case 0:
			o = intel.Observable{Type: intel.IP, Value: fmt.Sprintf("10.%d.%d.%d", r.IntN(4), r.IntN(4), r.IntN(8))}
		case 1:
			bits := []int{8, 12, 16, 24, 28}[r.IntN(5)]
			p := netip.PrefixFrom(netip.AddrFrom4([4]byte{10, byte(r.IntN(4)), byte(r.IntN(4)), 0}), bits).Masked()
			o = intel.Observable{Type: intel.IP, Value: p.String()}
		case 2:
			bits := []int{32, 48, 64, 128}[r.IntN(4)]
			a := netip.AddrFrom16([16]byte{0x20, 0x01, 0x0d, 0xb8, 0, byte(r.IntN(3)), 0, 0, 0, 0, 0, 0, 0, 0, 0, byte(r.IntN(3))})
			o = intel.Observable{Type: intel.IP, Value: netip.PrefixFrom(a, bits).Masked().String()}
		case 3:
			o = intel.Observable{Type: intel.Domain, Value: randomName(r, 1+r.IntN(3))}
		case 4:
			o = intel.Observable{Type: intel.URL, Value: "http://" + randomName(r, 2) + "/" + []string{"a", "b", "a b", "~c"}[r.IntN(4)]}
		case 5:
			o = intel.Observable{Type: intel.Email, Value: []string{"x", "y"}[r.IntN(2)] + "@" + randomName(r, 2)}
		case 6:
			o = intel.Observable{Type: intel.MD5, Value: fmt.Sprintf("%032x", r.IntN(16))}
		default:
			o = intel.Observable{Type: intel.SHA256, Value: fmt.Sprintf("%064x", r.IntN(16))}
		}
		v, err := intel.Normalise(o.Type, o.Value)
		if err != nil {
			panic(err)
		}
		o.Value = v
		out = append(out, intel.Indicator{ID: fmt.Sprintf("i%d", i), Observable: o})
	}
	return out
}

func randomName(r *rand.Rand, labels int) string {
	var parts []string
	for i := 0; i < labels; i++ {
		parts = append(parts, []string{"a", "b", "evil", "c2", "x-y"}[r.IntN(5)])
	}
	return strings.Join(parts, ".") + []string{".example", ".test", ".com"}[r.IntN(3)]
}

func randomEvent(r *rand.Rand, inds []intel.Indicator) []byte {
	doc := map[string]any{}
	for f := 0; f < 1+r.IntN(5); f++ {
		var words []string
		for w := 0; w < 1+r.IntN(4); w++ {
			in := inds[r.IntN(len(inds))]
			v := in.Value
			switch r.IntN(10) {
			case 0:
				v = strings.ToUpper(v)
			case 1:
				v = "sub." + v
			case 2:
				v = "http://" + v + ":80/" + []string{"a", "b", "a%20b", "%7ec"}[r.IntN(4)]
			case 3:
				v = fmt.Sprintf("10.%d.%d.%d:%d", r.IntN(4), r.IntN(4), r.IntN(256), r.IntN(65536))
			case 4:
				v = fmt.Sprintf("2001:db8:%x::%x", r.IntN(3), r.IntN(3))
			case 5:
				v = "SHA256=" + fmt.Sprintf("%064X", r.IntN(16)) + ",MD5=" + fmt.Sprintf("%032X", r.IntN(16))
			case 6:
				v = "no" + v
			case 7:
				v = "u@" + v
			}
			words = append(words, v)
		}
		doc[fmt.Sprintf("f%d", f)] = strings.Join(words, []string{" ", ",", "\\", "="}[r.IntN(4)])
	}
	b, _ := json.Marshal(doc)
	return b
}
