// Command pipelinebench measures kubu's monitoring pipeline end to end on
// this machine: HEC intake → durable event log (embedded JetStream) →
// detection with every SigmaHQ Windows rule → alerts, and then a
// retro-hunt with one new rule over about a million retained events.
//
// Events are the corpus EVTX records flattened with internal/evtx and
// replayed. Load comes from -senders HTTP clients posting -batch events per
// request for -duration; probe events, each matching a rule of their own,
// are sent among them every -probe-every to time event-to-alert latency
// (accepted by kubu → alert written).
//
//	go run ./bench/pipelinebench                      # 60 s, defaults
//	go run ./bench/pipelinebench -duration 20s -hunt-events 200000
package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"runtime/metrics"
	"runtime/pprof"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/kubu-gov/kubu/internal/app"
	"github.com/kubu-gov/kubu/internal/authz"
	"github.com/kubu-gov/kubu/internal/config"
	"github.com/kubu-gov/kubu/internal/detect"
	"github.com/kubu-gov/kubu/internal/evtx"
	"github.com/kubu-gov/kubu/internal/registry"
	"github.com/kubu-gov/kubu/internal/sigma"
)

var operator = authz.Actor{UserID: "bench", Email: "pipelinebench", Role: authz.WogAdmin}

const probeRuleID = "b0b0b0b0-0000-4000-8000-00000000b0b0"

const probeRule = `title: Pipeline bench probe
id: ` + probeRuleID + `
level: informational
detection:
  selection: {kubu_probe|exists: true}
  condition: selection
`

const huntRule = `title: Retro-hunt bench rule (new technique)
id: b0b0b0b0-0000-4000-8000-0000000000b1
level: high
logsource: {product: windows, category: process_creation}
detection:
  selection:
    CommandLine|contains: ' -enc'
  condition: selection
`

func main() {
	def := os.Getenv("KUBU_CORPUS_DIR")
	if def == "" {
		def = filepath.Join("..", "shared", "corpus")
	}
	corpusDir := flag.String("corpus", def, "shared corpus directory (sigma/ and evtx/ inside)")
	duration := flag.Duration("duration", 60*time.Second, "how long to send")
	senders := flag.Int("senders", 4, "concurrent HTTP senders")
	rate := flag.Int("rate", 55000, "events per second to send (0: as fast as kubu accepts)")
	batch := flag.Int("batch", 1000, "events per HEC request")
	probeEvery := flag.Duration("probe-every", 100*time.Millisecond, "interval of latency probes")
	huntEvents := flag.Int("hunt-events", 1_000_000, "retained events the retro-hunt scans (0: no hunt)")
	syncInterval := flag.Duration("sync-interval", 0, "embedded log fsync interval (0: fsync before every acknowledgement)")
	keep := flag.Bool("keep", false, "keep the data dir")
	nIndicators := flag.Int("indicators", 0, "active threat indicators loaded before the load (shaped like a national feed)")
	compare := flag.Bool("compare", false, "run the load three times — indicator matching off, on with no indicators, on with -indicators — and print the ratios (no hunt)")
	rounds := flag.Int("rounds", 1, "with -compare: run the three phases this many times, interleaved, and compare the medians")
	cpuProfile := flag.String("cpuprofile", "", "write a CPU profile of the load (after the rules are compiled, to the end of the run) to this file")
	maxLag := flag.Duration("max-lag", 0, "back-pressure: intake answers busy while detection is this far behind (--intake-max-lag; 0: off)")
	flag.Parse()
	p := params{cpuProfile: *cpuProfile, maxLag: *maxLag, corpusDir: *corpusDir, duration: *duration, senders: *senders, batch: *batch, rate: *rate, probeEvery: *probeEvery,
		huntEvents: *huntEvents, syncInterval: *syncInterval, keep: *keep, indicators: *nIndicators, rounds: max(1, *rounds)}
	p.secret = make([]byte, 32)
	rand.Read(p.secret)
	if !*compare {
		if _, err := run(p); err != nil {
			fmt.Fprintln(os.Stderr, "pipelinebench:", err)
			os.Exit(1)
		}
		return
	}
	if err := runCompare(p); err != nil {
		fmt.Fprintln(os.Stderr, "pipelinebench:", err)
		os.Exit(1)
	}
}

// params are one run's settings.
type params struct {
	corpusDir            string
	duration             time.Duration
	senders, batch, rate int
	probeEvery           time.Duration
	huntEvents           int
	syncInterval         time.Duration
	keep                 bool
	indicators           int
	iocOff               bool // no indicator matching at all (the pipeline before issue 12)
	rounds               int
	secret               []byte
	cpuProfile           string
	maxLag               time.Duration
	// template is a database with the indicators stored already, copied
	// for each run that needs them (storing a million takes a minute).
	template string
}

// result is what one run measured.
type result struct {
	accepted float64 // events/s accepted
	endToEnd float64 // events/s through every consumer, after the first 10 s
	p50, p99 time.Duration
	loadTook time.Duration // reading and indexing the indicators
	// cpuPerEvent is the process's CPU time (user+system, senders
	// included) per event through every consumer, after the first 10 s:
	// on a shared machine it varies far less than the rate.
	cpuPerEvent time.Duration
	importDur   time.Duration // storing them
}

// runCompare measures the pipeline without matching, with matching and
// no indicators, and with matching and p.indicators active ones, in that
// order, p.rounds times, in one process, and compares the medians.
func runCompare(p params) error {
	p.huntEvents = 0
	if p.indicators > 0 {
		tmpl, err := indicatorTemplate(p)
		if err != nil {
			return err
		}
		defer os.RemoveAll(filepath.Dir(filepath.Dir(tmpl)))
		p.template = tmpl
	}
	phases := []struct {
		name string
		n    int
		off  bool
	}{{"matching off", 0, true}, {"matching on, no indicators", 0, false}, {fmt.Sprintf("matching on, %d indicators", p.indicators), p.indicators, false}}
	res := make([][]result, len(phases))
	for round := range p.rounds {
		for i, ph := range phases {
			fmt.Printf("\n=== round %d: %s ===\n", round+1, ph.name)
			q := p
			q.indicators, q.iocOff = ph.n, ph.off
			if ph.n == 0 {
				q.template = ""
			}
			r, err := run(q)
			if err != nil {
				return err
			}
			res[i] = append(res[i], r)
		}
	}
	med := func(rs []result, f func(result) float64) float64 {
		v := make([]float64, len(rs))
		for i, r := range rs {
			v[i] = f(r)
		}
		slices.Sort(v)
		return v[len(v)/2]
	}
	e2e := func(r result) float64 { return r.endToEnd }
	cpu := func(r result) float64 { return float64(r.cpuPerEvent.Nanoseconds()) / 1000 }
	acc := func(r result) float64 { return r.accepted }
	fmt.Printf("\n=== comparison over %d round(s), medians (end-to-end = events/s through detection and indicator matching, after the first 10 s) ===\n", p.rounds)
	for i, ph := range phases {
		var each []string
		for _, r := range res[i] {
			each = append(each, fmt.Sprintf("%.0f/s %.1fµs", r.endToEnd, cpu(r)))
		}
		fmt.Printf("%-34s accepted %.0f/s, end-to-end %.0f/s, CPU %.1f µs an event   [rounds: %s]\n", ph.name+":", med(res[i], acc), med(res[i], e2e),
			med(res[i], cpu), strings.Join(each, ", "))
	}
	if p.indicators > 0 {
		last := res[2][len(res[2])-1]
		fmt.Printf("indicators: stored once in %.1f s; read and indexed in %.1f s (last round)\n", last.importDur.Seconds(), last.loadTook.Seconds())
	}
	fmt.Printf("end-to-end rate with %d indicators / with none: %.3f (drop %.1f %%); / matching off: %.3f (drop %.1f %%)\n", p.indicators,
		med(res[2], e2e)/med(res[1], e2e), 100*(1-med(res[2], e2e)/med(res[1], e2e)), med(res[2], e2e)/med(res[0], e2e), 100*(1-med(res[2], e2e)/med(res[0], e2e)))
	fmt.Printf("CPU an event, so the rate a CPU-bound pipeline sustains: with %d indicators it drops by %.1f %% against none, %.1f %% against matching off\n",
		p.indicators, 100*(1-med(res[1], cpu)/med(res[2], cpu)), 100*(1-med(res[0], cpu)/med(res[2], cpu)))
	return nil
}

// indicatorTemplate stores p.indicators indicators in a fresh SQLite
// database once and returns its file, for the runs to copy.
func indicatorTemplate(p params) (string, error) {
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "pipelinebench-tmpl-")
	if err != nil {
		return "", err
	}
	cfg := &config.Config{DataDir: filepath.Join(dir, "kubu"), Addr: "127.0.0.1:0", SecretKey: p.secret}
	a, err := app.Open(ctx, cfg, slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn})))
	if err != nil {
		return "", err
	}
	inds := feedIndicators(p.indicators)
	t := time.Now()
	res, err := a.Intel.ImportIndicators(ctx, operator, "bench-feed", inds)
	if err != nil {
		a.Close()
		return "", err
	}
	fmt.Printf("indicators: %d stored in %.1f s (%d skipped), once\n", res.Imported, time.Since(t).Seconds(), len(res.Skipped))
	// The load on its own, with nothing else running in the process.
	c0, t0 := processCPU(), time.Now()
	st, err := a.Intel.Load(ctx)
	if err != nil {
		a.Close()
		return "", err
	}
	fmt.Printf("indicators: %d active read and indexed in %.1f s (%.1f s of CPU) with nothing else running\n", st.Indicators,
		time.Since(t0).Seconds(), (processCPU() - c0).Seconds())
	if _, err := a.DB.R().ExecContext(ctx, `PRAGMA wal_checkpoint(TRUNCATE)`); err != nil {
		fmt.Println("checkpoint:", err)
	}
	a.Close()
	return filepath.Join(dir, "kubu", "kubu.db"), nil
}

func run(p params) (result, error) {
	corpusDir, duration, senders, batch, rate, probeEvery, huntEvents, syncInterval, keep :=
		p.corpusDir, p.duration, p.senders, p.batch, p.rate, p.probeEvery, p.huntEvents, p.syncInterval, p.keep
	var out result
	ctx := context.Background()
	data, err := os.MkdirTemp("", "pipelinebench-")
	if err != nil {
		return out, err
	}
	if !keep {
		defer os.RemoveAll(data)
	}
	rulesDir := filepath.Join(data, "rules")
	nrules, err := windowsRules(filepath.Join(corpusDir, "sigma"), rulesDir)
	if err != nil {
		return out, err
	}
	os.WriteFile(filepath.Join(rulesDir, "probe.yml"), []byte(probeRule), 0o600)
	events, err := flatEvents(filepath.Join(corpusDir, "evtx"))
	if err != nil {
		return out, err
	}
	fmt.Printf("machine: %d cores (GOMAXPROCS %d), %s\n", runtime.NumCPU(), runtime.GOMAXPROCS(0), runtime.Version())
	fmt.Printf("corpus: %d Windows rule files, %d EVTX records\n", nrules, len(events))

	secret := p.secret
	if p.template != "" {
		if err := copyFile(p.template, filepath.Join(data, "kubu", "kubu.db")); err != nil {
			return out, err
		}
	}
	cfg := &config.Config{DataDir: filepath.Join(data, "kubu"), Addr: "127.0.0.1:0", Rules: []string{rulesDir}, EventStream: "KUBU_EVENTS",
		EventMaxAge: 24 * time.Hour, EventMaxBytes: 4 << 30, EventSyncInterval: syncInterval, SecretKey: secret,
		IntakeRate: 0, IntakeMaxBody: 64 << 20, SilenceAfter: 0, AlertGroupWindow: time.Hour, IntakeMaxLag: p.maxLag}
	if p.iocOff {
		cfg.Intel.IOCWorkers = -1
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	a, err := app.Open(ctx, cfg, log)
	if err != nil {
		return out, err
	}
	defer a.Close()
	if _, err := a.Registry.CreateAgency(ctx, operator, registry.NewAgency{Code: "MOH", Name: "Ministry of Health"}); err != nil {
		return out, err
	}
	token, _, err := a.Intake.CreateToken(ctx, operator, "MOH", "bench")
	if err != nil {
		return out, err
	}
	if p.indicators > 0 && p.template == "" {
		inds := feedIndicators(p.indicators)
		t := time.Now()
		res, err := a.Intel.ImportIndicators(ctx, operator, "bench-feed", inds)
		if err != nil {
			return out, err
		}
		out.importDur = time.Since(t)
		fmt.Printf("indicators: %d stored in %.1f s (%d skipped)\n", res.Imported, out.importDur.Seconds(), len(res.Skipped))
	}
	t0 := time.Now()
	mon, err := a.StartMonitoring(ctx)
	if err != nil {
		return out, err
	}
	defer mon.Stop(context.Background())
	wctx, cancel := context.WithTimeout(ctx, 5*time.Minute)
	err = a.Detect.WaitRules(wctx)
	cancel()
	if err != nil {
		return out, err
	}
	fmt.Printf("rules stored and compiled in %.1f s\n", time.Since(t0).Seconds())
	if !p.iocOff {
		for {
			if st, ok := a.Intel.Loaded(); ok {
				out.loadTook = st.Took
				fmt.Printf("indicators: %d active read and indexed in %.1f s\n", st.Indicators, st.Took.Seconds())
				break
			}
			time.Sleep(20 * time.Millisecond)
		}
	}

	if p.cpuProfile != "" {
		f, err := os.Create(p.cpuProfile)
		if err != nil {
			return out, err
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			return out, err
		}
		defer func() { pprof.StopCPUProfile(); f.Close() }()
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return out, err
	}
	srv := &http.Server{Handler: a.Handler()}
	go srv.Serve(ln)
	defer srv.Close()
	url := "http://" + ln.Addr().String() + "/services/collector/event"

	bodies := hecBodies(events, batch)
	fmt.Printf("load: %d senders × %d events per request for %v, offered rate %s\n", senders, batch, duration, rateText(rate))
	// Pacing: one token per request at rate/batch requests per second
	// (ticks that find every sender busy are dropped: the offered rate is
	// then simply not reached, which the accepted rate shows).
	var tokens <-chan time.Time
	if rate > 0 {
		tk := time.NewTicker(time.Duration(float64(time.Second) * float64(batch) / float64(rate)))
		defer tk.Stop()
		tokens = tk.C
	}
	var accepted, requests, failures atomic.Int64
	var huntFrom, huntTo time.Time
	var huntMu sync.Mutex
	stop := make(chan struct{})
	var wg sync.WaitGroup
	startLoad := time.Now()
	huntFrom = startLoad.Add(-time.Second)
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: senders + 2}, Timeout: time.Minute}
	for i := range senders {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for k := i; ; k += senders {
				if tokens != nil {
					select {
					case <-stop:
						return
					case <-tokens:
					}
				}
				select {
				case <-stop:
					return
				default:
				}
				if post(client, url, token, bodies[k%len(bodies)]) {
					n := accepted.Add(int64(batch))
					if huntEvents > 0 && n >= int64(huntEvents) && n-int64(batch) < int64(huntEvents) {
						huntMu.Lock()
						huntTo = time.Now()
						huntMu.Unlock()
					}
				} else {
					failures.Add(1)
					time.Sleep(20 * time.Millisecond) // busy (back-pressure) or failed: back off as a shipper does
				}
				requests.Add(1)
			}
		}()
	}
	// Probes: one event each, matching the probe rule, in their own group.
	type probe struct {
		n    int
		sent time.Time
	}
	var probes []probe
	wg.Add(1)
	go func() {
		defer wg.Done()
		t := time.NewTicker(probeEvery)
		defer t.Stop()
		for n := 0; ; n++ {
			select {
			case <-stop:
				return
			case <-t.C:
			}
			body := fmt.Sprintf(`{"host":"probe-%d","event":{"kubu_probe":%d,"EventID":1}}`, n, n)
			sent := time.Now()
			if post(client, url, token, []byte(body)) {
				probes = append(probes, probe{n, sent})
			}
		}
	}()
	// Events through every consumer: detection, and indicator matching
	// when it runs.
	through := func() int64 {
		n := a.Detect.Evaluated()
		if !p.iocOff {
			n = min(n, a.Intel.Matched())
		}
		return n
	}
	var evalAt []int64
	var cpuAt, gcAt []time.Duration
	tick := time.NewTicker(time.Second)
	for range int(duration / time.Second) {
		<-tick.C
		evalAt = append(evalAt, through())
		cpuAt = append(cpuAt, processCPU())
		gcAt = append(gcAt, gcCPU())
	}
	tick.Stop()
	close(stop)
	wg.Wait()
	loadTime := time.Since(startLoad)
	sentEvents := accepted.Load()
	evaluatedAtEnd := through()
	// Let detection (and matching) finish what was accepted.
	drainStart := time.Now()
	for through() < sentEvents+int64(len(probes)) && time.Since(drainStart) < 5*time.Minute {
		time.Sleep(50 * time.Millisecond)
	}
	drain := time.Since(drainStart)
	fmt.Printf("\naccepted (2xx after durable): %d events in %.1f s = %.0f events/s (%d requests, %d failed)\n",
		sentEvents, loadTime.Seconds(), float64(sentEvents)/loadTime.Seconds(), requests.Load(), failures.Load())
	out.accepted = float64(sentEvents) / loadTime.Seconds()
	fmt.Printf("evaluated (by detection%s) during the load: %d events = %.0f events/s; backlog at the end %d events, drained in %.1f s\n",
		map[bool]string{false: " and indicator matching", true: ""}[p.iocOff], evaluatedAtEnd, float64(evaluatedAtEnd)/loadTime.Seconds(),
		sentEvents-evaluatedAtEnd, drain.Seconds())
	if len(evalAt) > 10 {
		steady := float64(evalAt[len(evalAt)-1]-evalAt[9]) / float64(len(evalAt)-10)
		out.endToEnd = steady
		n := len(evalAt) - 1
		out.cpuPerEvent = (cpuAt[n] - cpuAt[9]) / time.Duration(max(1, evalAt[n]-evalAt[9]))
		gc := (gcAt[n] - gcAt[9]) / time.Duration(max(1, evalAt[n]-evalAt[9]))
		fmt.Printf("evaluated per second after the first 10 s: %.0f events/s; CPU of the whole process (load generator included) %.1f µs an event, of which GC %.1f µs; live heap %d MB\n",
			steady, float64(out.cpuPerEvent.Nanoseconds())/1000, float64(gc.Nanoseconds())/1000, liveHeap()>>20)
	}

	// Event-to-alert latency of the probes.
	time.Sleep(500 * time.Millisecond)
	alerted := map[string]time.Time{}
	rows, err := a.DB.R().QueryContext(ctx, `SELECT group_fields, created_at FROM alerts WHERE rule_id = $1`, probeRuleID)
	if err != nil {
		return out, err
	}
	for rows.Next() {
		var g string
		var at int64
		rows.Scan(&g, &at)
		var m map[string]string
		json.Unmarshal([]byte(g), &m)
		alerted[m["host"]] = time.UnixMilli(at)
	}
	rows.Close()
	var lat []time.Duration
	missing := 0
	for _, p := range probes {
		at, ok := alerted[fmt.Sprintf("probe-%d", p.n)]
		if !ok {
			missing++
			continue
		}
		lat = append(lat, at.Sub(p.sent))
	}
	slices.Sort(lat)
	pct := func(q float64) time.Duration {
		if len(lat) == 0 {
			return 0
		}
		return lat[min(len(lat)-1, int(q*float64(len(lat))))]
	}
	out.p50, out.p99 = pct(0.50).Round(time.Millisecond), pct(0.99).Round(time.Millisecond)
	fmt.Printf("event-to-alert latency over %d probes (%d without alert): p50 %v, p99 %v, max %v\n",
		len(lat), missing, pct(0.50).Round(time.Millisecond), pct(0.99).Round(time.Millisecond), pct(1).Round(time.Millisecond))
	var nAlerts, nAlertEvents int64
	a.DB.R().QueryRowContext(ctx, `SELECT COUNT(*), COALESCE(SUM(event_count),0) FROM alerts`).Scan(&nAlerts, &nAlertEvents)
	var nIOC int64
	a.DB.R().QueryRowContext(ctx, `SELECT COUNT(*) FROM alerts WHERE kind = 'ioc'`).Scan(&nIOC)
	fmt.Printf("alerts: %d (%d of kind ioc), holding %d matches\n", nAlerts, nIOC, nAlertEvents)

	if huntEvents <= 0 {
		return out, nil
	}
	huntMu.Lock()
	to := huntTo
	huntMu.Unlock()
	if to.IsZero() {
		to = time.Now()
	}
	start := time.Now()
	h, err := a.Detect.CreateHunt(ctx, operator, detect.NewHunt{Rule: huntRule, From: huntFrom, To: to})
	if err != nil {
		return out, err
	}
	for {
		h, err = a.Detect.HuntByID(ctx, operator, h.ID)
		if err != nil {
			return out, err
		}
		if h.Status != detect.HuntRunning {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	took := time.Since(start)
	fmt.Printf("\nretro-hunt (1 new rule): %s, %d events scanned, %d matches in %.2f s = %.0f events/s\n",
		h.Status, h.EventsScanned, h.Matches, took.Seconds(), float64(h.EventsScanned)/took.Seconds())
	return out, nil
}

func rateText(r int) string {
	if r <= 0 {
		return "unlimited"
	}
	return fmt.Sprintf("%d events/s", r)
}

func post(c *http.Client, url, token string, body []byte) bool {
	req, _ := http.NewRequest("POST", url, strings.NewReader(string(body)))
	req.Header.Set("Authorization", "Splunk "+token)
	resp, err := c.Do(req)
	if err != nil {
		return false
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode == http.StatusOK
}

// windowsRules copies the SigmaHQ rule files whose documents are all for
// product windows into dir (a temp dir outside the project).
func windowsRules(sigmaDir, dir string) (int, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return 0, err
	}
	n := 0
	for _, sub := range []string{"rules", "rules-emerging-threats", "rules-threat-hunting"} {
		err := filepath.WalkDir(filepath.Join(sigmaDir, sub), func(p string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() || !strings.HasSuffix(p, ".yml") {
				return err
			}
			rules, errs := sigma.ParseFile(p)
			if len(errs) > 0 || len(rules) == 0 {
				return nil
			}
			for _, r := range rules {
				if r.Logsource.Product != "windows" {
					return nil
				}
			}
			b, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			var h [6]byte
			rand.Read(h[:])
			n++
			return os.WriteFile(filepath.Join(dir, hex.EncodeToString(h[:])+"-"+filepath.Base(p)), b, 0o600)
		})
		if err != nil {
			return n, fmt.Errorf("rules in %s: %w", sub, err)
		}
	}
	return n, nil
}

// flatEvents reads every corpus EVTX record in the flat form.
func flatEvents(dir string) ([][]byte, error) {
	var out [][]byte
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(strings.ToLower(p), ".evtx") {
			return err
		}
		r, err := evtx.Open(p)
		if err != nil {
			return nil
		}
		defer r.Close()
		for rec, err := range r.Records() {
			if err != nil {
				continue
			}
			out = append(out, rec.AppendFlatJSON(nil))
		}
		return nil
	})
	if len(out) == 0 && err == nil {
		err = fmt.Errorf("no EVTX records under %s", dir)
	}
	return out, err
}

// hecBodies builds request bodies of batch events each, cycling through
// the events.
func hecBodies(events [][]byte, batch int) [][]byte {
	nb := max(1, (len(events)+batch-1)/batch)
	var bodies [][]byte
	k := 0
	for range nb {
		var b []byte
		for range batch {
			b = append(b, `{"event":`...)
			b = append(b, events[k%len(events)]...)
			b = append(b, '}')
			k++
		}
		bodies = append(bodies, b)
	}
	return bodies
}

// processCPU is the CPU time (user and system) the process has used.
func processCPU() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// gcCPU is the CPU time the Go runtime has spent collecting garbage (an
// estimate the runtime keeps).
func gcCPU() time.Duration {
	m := []metrics.Sample{{Name: "/cpu/classes/gc/total:cpu-seconds"}}
	metrics.Read(m)
	return time.Duration(m[0].Value.Float64() * float64(time.Second))
}

// liveHeap is the heap the last collection found live.
func liveHeap() uint64 {
	m := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
	metrics.Read(m)
	return m[0].Value.Uint64()
}

// copyFile copies src to dst, making dst's folder.
func copyFile(src, dst string) error {
	if err := os.MkdirAll(filepath.Dir(dst), 0o700); err != nil {
		return err
	}
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.Create(dst)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}
