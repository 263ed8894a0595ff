package match

import (
	"io/fs"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/kubu-gov/kubu/internal/corpus"
	"github.com/kubu-gov/kubu/internal/sigma"
)

// sigmaWindows compiles the corpus SigmaHQ rules for Windows, as live
// detection does.
func sigmaWindows(b *testing.B) *sigma.Set {
	var rules []*sigma.Rule
	for _, dir := range []string{"rules", "rules-emerging-threats", "rules-threat-hunting"} {
		root := corpus.Path(b, "sigma", dir)
		filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() || !(strings.HasSuffix(p, ".yml") || strings.HasSuffix(p, ".yaml")) {
				return err
			}
			rs, _ := sigma.ParseFile(p)
			for _, r := range rs {
				if r.Logsource.Product == "windows" {
					rules = append(rules, r)
				}
			}
			return nil
		})
	}
	set, err := sigma.Compile(rules, sigma.Options{Placeholders: map[string][]string{"known_cdcs": {"dc01.example.internal"}}})
	if err != nil {
		b.Fatal(err)
	}
	return set
}

// BenchmarkDetectionPeer measures what matching adds to detection, the
// pipeline's bottleneck: per corpus event, the SigmaHQ Windows rules
// alone, then the same plus Match against 1,000,000 indicators. The
// ratio of the two cpu-ns/event is the slowdown of detection.
func BenchmarkDetectionPeer(b *testing.B) {
	events := windowsEvents(b)
	set := sigmaWindows(b)
	ioc := bigSetFor(b)
	run := func(b *testing.B, withIOC bool) {
		m := set.NewMatcher()
		nop := func(*sigma.Rule) {}
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		b.ResetTimer()
		cpu0, ok0 := threadCPUTime()
		n := 0
		for b.Loop() {
			for _, e := range events {
				m.MatchJSON(e, nop)
				if withIOC {
					ioc.Match(e)
				}
			}
			n += len(events)
		}
		if cpu1, ok := threadCPUTime(); ok && ok0 {
			b.ReportMetric(float64((cpu1-cpu0).Nanoseconds())/float64(n), "cpu-ns/event")
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(n), "ns/event")
	}
	b.Run("sigma", func(b *testing.B) { run(b, false) })
	b.Run("sigma+ioc1M", func(b *testing.B) { run(b, true) })
}
