package match

import (
	"bufio"
	"bytes"
	"fmt"
	"math/rand/v2"
	"net/netip"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kubu-gov/kubu/internal/corpus"
	"github.com/kubu-gov/kubu/internal/evtx"
	"github.com/kubu-gov/kubu/internal/intel"
	"github.com/valyala/fastjson"
)

// million makes n indicators shaped like a national feed: mostly single
// addresses, domains and hashes, some CIDRs, URLs, IPv6 and emails.
func million(n int) []intel.Indicator {
	r := rand.New(rand.NewPCG(7, 7))
	tlds := []string{"com", "net", "org", "ru", "info", "xyz", "top", "io", "cn", "biz"}
	word := func() string {
		const letters = "abcdefghijklmnopqrstuvwxyz0123456789"
		b := make([]byte, 5+r.IntN(10))
		for i := range b {
			b[i] = letters[r.IntN(len(letters))]
		}
		return string(b)
	}
	hexs := func(n int) string {
		const hexd = "0123456789abcdef"
		b := make([]byte, n)
		for i := range b {
			b[i] = hexd[r.IntN(16)]
		}
		return string(b)
	}
	out := make([]intel.Indicator, 0, n)
	for i := 0; i < n; i++ {
		var o intel.Observable
		switch k := r.IntN(100); {
		case k < 35:
			o = intel.Observable{Type: intel.IP, Value: netip.AddrFrom4([4]byte{byte(1 + r.IntN(223)), byte(r.IntN(256)), byte(r.IntN(256)), byte(r.IntN(256))}).String()}
		case k < 40:
			bits := []int{16, 20, 22, 24, 24, 24, 28}[r.IntN(7)]
			a := netip.AddrFrom4([4]byte{byte(1 + r.IntN(223)), byte(r.IntN(256)), byte(r.IntN(256)), 0})
			o = intel.Observable{Type: intel.IP, Value: netip.PrefixFrom(a, bits).Masked().String()}
		case k < 42:
			var b [16]byte
			b[0], b[1] = 0x24, byte(r.IntN(256))
			for j := 2; j < 16; j++ {
				b[j] = byte(r.IntN(256))
			}
			o = intel.Observable{Type: intel.IP, Value: netip.PrefixFrom(netip.AddrFrom16(b), []int{48, 64, 128}[r.IntN(3)]).Masked().String()}
		case k < 70:
			o = intel.Observable{Type: intel.Domain, Value: word() + "." + tlds[r.IntN(len(tlds))]}
		case k < 78:
			o = intel.Observable{Type: intel.URL, Value: "http://" + word() + "." + tlds[r.IntN(len(tlds))] + "/" + word() + ".php"}
		case k < 80:
			o = intel.Observable{Type: intel.Email, Value: word() + "@" + word() + ".com"}
		case k < 85:
			o = intel.Observable{Type: intel.MD5, Value: hexs(32)}
		case k < 88:
			o = intel.Observable{Type: intel.SHA1, Value: hexs(40)}
		default:
			o = intel.Observable{Type: intel.SHA256, Value: hexs(64)}
		}
		out = append(out, intel.Indicator{ID: fmt.Sprintf("indicator--%08d", i), Observable: o, Confidence: 80,
			ValidFrom: now.Add(-time.Hour), ValidUntil: now.Add(30 * 24 * time.Hour)})
	}
	return out
}

var (
	bigOnce sync.Once
	bigInds []intel.Indicator
	bigSet  *Set
)

func bigSetFor(b *testing.B) *Set {
	bigOnce.Do(func() {
		n := 1_000_000
		if v, err := strconv.Atoi(os.Getenv("KUBU_MATCH_BENCH_INDICATORS")); err == nil && v > 0 {
			n = v // smaller sets, for instruction counts under callgrind
		}
		bigInds = million(n)
		bigSet = Build(bigInds, Options{Now: now, SkipFields: []string{"@kubu"}})
	})
	return bigSet
}

// windowsEvents returns the corpus EVTX records as intake stores them
// (flat, with an "@kubu" member), or the synthetic ones of testdata when
// the corpus is absent.
func windowsEvents(b *testing.B) [][]byte {
	b.Helper()
	if d, err := corpus.Dir(); err == nil {
		var events [][]byte
		filepath.Walk(filepath.Join(d, "evtx"), func(p string, fi os.FileInfo, err error) error {
			if err != nil || !strings.HasSuffix(p, ".evtx") {
				return nil
			}
			r, err := evtx.Open(p)
			if err != nil {
				return nil
			}
			defer r.Close()
			for rec, err := range r.Records() {
				if err != nil {
					break
				}
				flat := rec.AppendFlatJSON(nil)
				ev := append([]byte(`{"@kubu":{"agency":"moh","source":"token:7","protocol":"hec","received":"2026-05-01T10:00:00Z","time":"2026-05-01T10:00:00Z","host":"ws1"},`), flat[1:]...)
				events = append(events, ev)
			}
			return nil
		})
		if len(events) > 0 {
			return events
		}
	}
	return syntheticEvents(b)
}

func syntheticEvents(b *testing.B) [][]byte {
	f, err := os.Open("testdata/events.ndjson")
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	var events [][]byte
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		events = append(events, bytes.Clone(sc.Bytes()))
	}
	return events
}

func benchMatch(b *testing.B, s *Set, events [][]byte) {
	size := 0
	for _, e := range events {
		size += len(e)
	}
	hitsN := 0
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	b.ReportAllocs()
	b.ResetTimer()
	cpu0, cpuOK := threadCPUTime()
	n := 0
	for b.Loop() {
		for _, e := range events {
			hitsN += len(s.Match(e))
		}
		n += len(events)
	}
	if cpu1, ok := threadCPUTime(); ok && cpuOK {
		b.ReportMetric(float64((cpu1-cpu0).Nanoseconds())/float64(n), "cpu-ns/event")
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(n), "ns/event")
	b.ReportMetric(float64(size)/float64(len(events)), "bytes/event")
	b.ReportMetric(float64(hitsN)/float64(n), "hits/event")
}

// BenchmarkMatch1M matches Windows events (the corpus EVTX records, or the
// synthetic events of testdata) against 1,000,000 active indicators.
func BenchmarkMatch1M(b *testing.B) {
	s := bigSetFor(b)
	b.Run("corpus", func(b *testing.B) { benchMatch(b, s, windowsEvents(b)) })
	b.Run("synthetic", func(b *testing.B) { benchMatch(b, s, syntheticEvents(b)) })
}

// BenchmarkParseOnly is the fastjson parse alone, the floor of Match.
func BenchmarkParseOnly(b *testing.B) {
	events := windowsEvents(b)
	var p fastjson.Parser
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	b.ResetTimer()
	cpu0, cpuOK := threadCPUTime()
	n := 0
	for b.Loop() {
		for _, e := range events {
			p.ParseBytes(e)
		}
		n += len(events)
	}
	if cpu1, ok := threadCPUTime(); ok && cpuOK {
		b.ReportMetric(float64((cpu1-cpu0).Nanoseconds())/float64(n), "cpu-ns/event")
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(n), "ns/event")
}

// BenchmarkBuild1M builds the set of 1,000,000 indicators.
func BenchmarkBuild1M(b *testing.B) {
	inds := million(1_000_000)
	b.ResetTimer()
	for b.Loop() {
		s := Build(inds, Options{Now: now})
		if s.Len() != len(inds) {
			b.Fatalf("Len = %d", s.Len())
		}
	}
	b.ReportMetric(b.Elapsed().Seconds()/float64(b.N), "s/build")
}

// TestMillionHitsOnePerType is a correctness check at full size: one
// value of each type taken from the million is found in an event.
func TestMillionHitsOnePerType(t *testing.T) {
	if testing.Short() || os.Getenv("KUBU_TEST_HEAVY") == "" {
		t.Skip("set KUBU_TEST_HEAVY=1 to build a set of 1,000,000 indicators")
	}
	inds := million(1_000_000)
	s := Build(inds, Options{Now: now})
	if s.Len() != len(inds) {
		t.Fatalf("Len = %d", s.Len())
	}
	seen := map[intel.Type]bool{}
	for i := range inds {
		in := &inds[i]
		if seen[in.Type] || strings.Contains(in.Value, "/") && in.Type == intel.IP {
			continue
		}
		seen[in.Type] = true
		ev := []byte(`{"v":"` + in.Value + `"}`)
		found := false
		for _, h := range s.Match(ev) {
			found = found || h.Indicator.ID == in.ID
		}
		if !found {
			t.Errorf("%s %s not found", in.Type, in.Value)
		}
	}
}
