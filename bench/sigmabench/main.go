// Command sigmabench compares kubu's Sigma engine with
// github.com/bradleyjkemp/sigma-go on the same Windows rules and the same
// events, each on one core, and prints events per second, rules loaded and
// failed for each, and the speed ratio.
//
//	cd bench/sigmabench && go run . [-corpus DIR] [-sigmago-events N]
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"time"

	sigmago "github.com/bradleyjkemp/sigma-go"
	"github.com/bradleyjkemp/sigma-go/evaluator"
	"github.com/kubu-gov/kubu/internal/evtx"
	"github.com/kubu-gov/kubu/internal/sigma"
)

func main() {
	defaultCorpus := os.Getenv("KUBU_CORPUS_DIR")
	if defaultCorpus == "" {
		defaultCorpus = filepath.Join("..", "..", "..", "shared", "corpus")
	}
	corpusDir := flag.String("corpus", defaultCorpus, "shared corpus directory (sigma/ and evtx/ inside)")
	sgEvents := flag.Int("sigmago-events", 0, "match sigma-go on only the first N events (0: all)")
	minTime := flag.Duration("min-time", 3*time.Second, "repeat kubu's run until it took at least this long")
	flag.Parse()
	if err := run(*corpusDir, *sgEvents, *minTime); err != nil {
		fmt.Fprintln(os.Stderr, "sigmabench:", err)
		os.Exit(1)
	}
}

func run(corpusDir string, sgEvents int, minTime time.Duration) error {
	runtime.GOMAXPROCS(1)
	files, err := ruleFiles(filepath.Join(corpusDir, "sigma"))
	if err != nil {
		return err
	}
	events, err := loadEvents(filepath.Join(corpusDir, "evtx"))
	if err != nil {
		return err
	}
	fmt.Printf("corpus: %s\nevents: %d\n", corpusDir, len(events))

	// kubu
	var rules []*sigma.Rule
	var winFiles []string
	kubuFailed := 0
	for _, f := range files {
		rs, errs := sigma.ParseFile(f)
		win := false
		for _, r := range rs {
			if r.Logsource.Product == "windows" {
				rules = append(rules, r)
				win = true
			}
		}
		if win {
			winFiles = append(winFiles, f)
		}
		kubuFailed += len(errs)
	}
	start := time.Now()
	set, err := sigma.Compile(rules, sigma.Options{Placeholders: map[string][]string{"known_cdcs": {"dc01.example.internal"}}})
	if err != nil {
		fmt.Println("kubu compile errors:", err)
	}
	loadTime := time.Since(start)
	m := set.NewMatcher()
	kubuMatches := 0
	count := func(*sigma.Rule) { kubuMatches++ }
	runs := 0
	start = time.Now()
	for time.Since(start) < minTime || runs == 0 {
		kubuMatches = 0
		for _, ev := range events {
			if err := m.MatchJSON(ev, count); err != nil {
				return err
			}
		}
		runs++
	}
	kubuElapsed := time.Since(start)
	kubuRate := float64(runs*len(events)) / kubuElapsed.Seconds()
	fmt.Printf("\nkubu internal/sigma: %d windows rules loaded, %d failed (compile %v)\n", len(set.Rules()), kubuFailed+len(rules)-len(set.Rules()), loadTime.Round(time.Millisecond))
	fmt.Printf("  %d runs over %d events in %v: %.0f events/s, %d matches per run\n", runs, len(events), kubuElapsed.Round(time.Millisecond), kubuRate, kubuMatches)

	// sigma-go: rules from the same files; events decoded outside the timed loop
	maps := make([]map[string]interface{}, 0, len(events))
	for _, ev := range events {
		var mp map[string]interface{}
		if err := json.Unmarshal(ev, &mp); err != nil {
			return err
		}
		maps = append(maps, mp)
	}
	if sgEvents > 0 && sgEvents < len(maps) {
		maps = maps[:sgEvents]
	}
	ctx := context.Background()
	var evals []*evaluator.RuleEvaluator
	failedWhy := map[string]int{}
	for _, f := range winFiles {
		data, err := os.ReadFile(f)
		if err != nil {
			return err
		}
		r, err := sigmago.ParseRule(data)
		if err != nil {
			failedWhy[firstWords(err.Error())]++
			continue
		}
		ev := evaluator.ForRule(r)
		if _, err := ev.Matches(ctx, maps[0]); err != nil {
			failedWhy[firstWords(err.Error())]++
			continue
		}
		evals = append(evals, ev)
	}
	sgFailed := len(winFiles) - len(evals)
	// sigma-go has no usable log source routing for these rules (its config
	// ANDs every matching log source), so route for it, as kubu does:
	// by Channel and EventID from kubu's Windows mapping, computed per
	// event inside the timed loop.
	rt := newRouter(evals)
	sgMatches := 0
	evaluated := 0
	start = time.Now()
	for _, mp := range maps {
		for _, i := range rt.rulesFor(mp) {
			evaluated++
			res, err := evals[i].Matches(ctx, mp)
			if err == nil && res.Match {
				sgMatches++
			}
		}
	}
	sgElapsed := time.Since(start)
	sgRate := float64(len(maps)) / sgElapsed.Seconds()
	fmt.Printf("\nbradleyjkemp/sigma-go v0.6.6: %d windows rules loaded, %d failed\n", len(evals), sgFailed)
	var reasons []string
	for k, v := range failedWhy {
		reasons = append(reasons, fmt.Sprintf("%4d  %s", v, k))
	}
	sort.Strings(reasons)
	for _, r := range reasons {
		fmt.Println("   ", r)
	}
	fmt.Printf("  %d events in %v: %.0f events/s, %d matches (%.0f rules evaluated per event after routing)\n", len(maps), sgElapsed.Round(time.Millisecond), sgRate, sgMatches, float64(evaluated)/float64(len(maps)))
	fmt.Printf("\nratio kubu/sigma-go: %.0fx events/s (GOMAXPROCS=1)\n", kubuRate/sgRate)
	return nil
}

// firstWords reduces an error to its kind, so failures group by reason.
func firstWords(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	if strings.HasPrefix(s, "error evaluating search ") {
		if i := strings.Index(s, ": "); i >= 0 {
			s = s[i+2:]
		}
	}
	for _, cut := range []string{" got:", ", no placeholder", "modifier contains", "modifier re"} {
		if i := strings.Index(s, cut); i >= 0 {
			s = s[:i+len(cut)]
		}
	}
	if len(s) > 2 && s[0] >= '0' && s[0] <= '9' && strings.Contains(s, "invalid token") {
		s = "condition parse error: " + s[strings.Index(s, "invalid"):]
	}
	if strings.HasPrefix(s, "can't expand") {
		s = "can't expand placeholder (a % in a plain value)"
	}
	return s
}

// ruleFiles lists the YAML files of the three SigmaHQ rule folders.
func ruleFiles(dir string) ([]string, error) {
	var files []string
	for _, sub := range []string{"rules", "rules-emerging-threats", "rules-threat-hunting"} {
		err := filepath.WalkDir(filepath.Join(dir, sub), func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if !d.IsDir() && strings.HasSuffix(p, ".yml") {
				files = append(files, p)
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	sort.Strings(files)
	return files, nil
}

// loadEvents reads every record of every EVTX file as flat JSON.
func loadEvents(dir string) ([][]byte, error) {
	var events [][]byte
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.EqualFold(filepath.Ext(p), ".evtx") {
			return err
		}
		r, err := evtx.Open(p)
		if err != nil {
			return fmt.Errorf("%s: %w", p, err)
		}
		defer r.Close()
		for rec, err := range r.Records() {
			if err != nil {
				continue
			}
			events = append(events, rec.AppendFlatJSON(nil))
		}
		return nil
	})
	return events, err
}

// router picks the sigma-go rules that apply to an event by Channel and
// EventID, from kubu's built-in Windows mapping.
type router struct {
	byKey    map[string][]int // "channel\x00eventid" or "channel\x00*"
	known    map[string]bool  // channels the mapping names
	wide     []int            // product-only rules: every event
	fallback []int            // unmapped log sources: events of unknown channels
	cache    map[string][]int
}

func newRouter(evals []*evaluator.RuleEvaluator) *router {
	m := sigma.WindowsMapping()
	rt := &router{byKey: map[string][]int{}, known: map[string]bool{}, cache: map[string][]int{}}
	for _, ch := range m.Channels() {
		rt.known[strings.ToLower(ch)] = true
	}
	for i, ev := range evals {
		ls := ev.Rule.Logsource
		mapped := false
		for _, e := range m.Logsources {
			if !strings.EqualFold(e.Category, ls.Category) || !strings.EqualFold(e.Service, ls.Service) ||
				e.Product != "" && ls.Product != "" && !strings.EqualFold(e.Product, ls.Product) {
				continue
			}
			mapped = true
			ids := e.Conditions["EventID"]
			if len(ids) == 0 {
				ids = []string{"*"}
			}
			for _, ch := range e.Conditions["Channel"] {
				for _, id := range ids {
					k := strings.ToLower(ch) + "\x00" + id
					rt.byKey[k] = append(rt.byKey[k], i)
				}
			}
		}
		switch {
		case mapped:
		case ls.Category == "" && ls.Service == "":
			rt.wide = append(rt.wide, i)
		default:
			rt.fallback = append(rt.fallback, i)
		}
	}
	return rt
}

func (rt *router) rulesFor(ev map[string]interface{}) []int {
	ch, _ := ev["Channel"].(string)
	ch = strings.ToLower(ch)
	id := fmt.Sprint(ev["EventID"])
	key := ch + "\x00" + id
	if r, ok := rt.cache[key]; ok {
		return r
	}
	var out []int
	if rt.known[ch] {
		out = append(out, rt.byKey[key]...)
		out = append(out, rt.byKey[ch+"\x00*"]...)
	} else {
		out = append(out, rt.fallback...)
	}
	out = append(out, rt.wide...)
	sort.Ints(out)
	rt.cache[key] = out
	return out
}
