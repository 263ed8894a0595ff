// Command vdpbench measures the public VDP submission endpoint the way the
// internet uses it: many distinct clients POSTing reports to
// /api/v1/public/vdp/reports of a real kubu (the app's whole handler, real
// HTTP over loopback, SQLite, rate limiting on). Each client dials from its
// own loopback address (127.0.x.y), so the per-address limit (30 a minute
// by default) is honoured, not bypassed: no address sends more than its
// share. It prints reports/s and p50/p95/p99 latency, then proves the
// limiter is on by sending one address past its limit.
//
//	go run ./bench/vdpbench                        # 1,000 reports/s for 10 s from 8,000 client addresses
//	go run ./bench/vdpbench -rps 2000 -clients 16000
package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"io"
	"log"
	"log/slog"
	"net"
	"net/http"
	"os"
	"runtime"
	"runtime/pprof"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/kubu-gov/kubu/internal/app"
	"github.com/kubu-gov/kubu/internal/authz"
	"github.com/kubu-gov/kubu/internal/config"
	"github.com/kubu-gov/kubu/internal/registry"
)

func main() {
	duration := flag.Duration("duration", 10*time.Second, "how long to measure")
	warmup := flag.Duration("warmup", 2*time.Second, "load before measuring")
	rps := flag.Int("rps", 1000, "offered load: reports a second, sent at a steady pace")
	workers := flag.Int("workers", 512, "most requests outstanding at once (beyond it a request counts as dropped)")
	clients := flag.Int("clients", 8000, "distinct client addresses (127.0.x.y)")
	perClient := flag.Int("rate", 30, "per-address limit, submissions a minute (kubu's default)")
	overall := flag.Int("global-rate", 180000, "overall limit, submissions a minute (sized for the target: 3,000/s)")
	cpuprofile := flag.String("cpuprofile", "", "write a CPU profile of the measured period to this file")
	flag.Parse()
	if need := int(float64(*clients) * float64(*perClient) / 60 * (*duration + *warmup).Minutes() * 60); need < 1 {
		log.Fatal("no budget")
	}

	dir, err := os.MkdirTemp("", "vdpbench")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	cfg := &config.Config{DataDir: dir, Addr: "127.0.0.1:0", RequireTOTP: true,
		Community: config.Community{SubmitRate: *perClient, SubmitGlobal: *overall}}
	a, err := app.Open(context.Background(), cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		log.Fatal(err)
	}
	defer a.Close()
	root := authz.Actor{UserID: "cli", Email: "bench", Role: authz.WogAdmin}
	if _, err := a.Registry.CreateAgency(context.Background(), root, registry.NewAgency{Code: "MOH", Name: "Ministry of Health"}); err != nil {
		log.Fatal(err)
	}
	name, hosts := "HealthHub", []string{"healthhub.example.sg"}
	if _, err := a.Registry.CreateSystem(context.Background(), root, registry.SystemInput{Agency: "MOH", Name: &name, Hostnames: &hosts}); err != nil {
		log.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		log.Fatal(err)
	}
	srv := &http.Server{Handler: a.Handler(), ReadHeaderTimeout: 10 * time.Second}
	go srv.Serve(ln)
	defer srv.Close()
	url := "http://" + ln.Addr().String() + "/api/v1/public/vdp/reports"

	// One HTTP client per source address.
	httpClients := make([]*http.Client, *clients)
	for i := range httpClients {
		src := &net.TCPAddr{IP: net.IPv4(127, 0, byte(1+i/250), byte(1+i%250))}
		d := &net.Dialer{LocalAddr: src, Timeout: 5 * time.Second}
		httpClients[i] = &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{DialContext: d.DialContext, DisableKeepAlives: true}}
	}
	// Each address may send rate/minute; spread requests round-robin so
	// each address's share stays under its limit (checked below).
	var next atomic.Int64
	body := func(n int64) []byte {
		return fmt.Appendf(nil, `{"title":"Reflected XSS #%d in search","description":"The q parameter of /search is reflected without encoding; report %d.\n\nSteps: open /search?q=<script>alert(1)</script>","affected_url":"https://healthhub.example.sg/search?q=%d","reporter_email":"r%d@example.net"}`, n, n, n, n)
	}
	type result struct {
		lat  time.Duration
		code int
	}
	// Open loop: requests are sent at a fixed rate whatever the answers'
	// speed, and each latency is measured from when its request was due,
	// so a slow server cannot hide its queue (no coordinated omission).
	var mu sync.Mutex
	var results []result
	var wg sync.WaitGroup
	inflight := make(chan struct{}, *workers)
	dropped := 0
	interval := time.Second / time.Duration(*rps)
	begin := time.Now()
	total := int64((*warmup + *duration) / interval)
	measureFrom := int64(*warmup / interval)
	if *cpuprofile != "" {
		f, err := os.Create(*cpuprofile)
		if err != nil {
			log.Fatal(err)
		}
		pprof.StartCPUProfile(f)
		defer f.Close()
	}
	for i := int64(0); i < total; i++ {
		due := begin.Add(time.Duration(i) * interval)
		if d := time.Until(due); d > 0 {
			time.Sleep(d)
		}
		select {
		case inflight <- struct{}{}:
		default:
			dropped++ // more than -workers requests outstanding: count it as failed
			continue
		}
		wg.Add(1)
		go func(n int64, due time.Time) {
			defer wg.Done()
			defer func() { <-inflight }()
			c := httpClients[n%int64(*clients)]
			resp, err := c.Post(url, "application/json", bytes.NewReader(body(n)))
			code := 0
			if err == nil {
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				code = resp.StatusCode
			}
			if n >= measureFrom {
				lat := time.Since(due)
				mu.Lock()
				results = append(results, result{lat, code})
				mu.Unlock()
			}
		}(i, due)
	}
	wg.Wait()
	elapsed := time.Since(begin.Add(*warmup))
	if *cpuprofile != "" {
		pprof.StopCPUProfile()
	}
	sent := total - measureFrom
	next.Store(total)
	var lats []time.Duration
	codes := map[int]int{}
	for _, r := range results {
		codes[r.code]++
		if r.code == http.StatusCreated {
			lats = append(lats, r.lat)
		}
	}
	slices.Sort(lats)
	pct := func(p float64) time.Duration {
		if len(lats) == 0 {
			return 0
		}
		return lats[min(len(lats)-1, int(float64(len(lats))*p))]
	}
	perAddr := float64(total) / float64(*clients) / (elapsed + *warmup).Minutes()
	fmt.Printf("vdpbench: POST /api/v1/public/vdp/reports, SQLite, GOMAXPROCS %d, %d client addresses, limits %d/min per address and %d/min overall\n",
		runtime.GOMAXPROCS(0), *clients, *perClient, *overall)
	fmt.Printf("offered %d reports/s for %.1fs (after %s warm-up): %d accepted (201), %.0f reports/s; answers %v; sent %d, dropped %d\n",
		*rps, elapsed.Seconds(), *warmup, codes[201], float64(codes[201])/elapsed.Seconds(), codes, sent, dropped)
	fmt.Printf("latency of accepted reports, from when each was due: p50 %.2f ms, p95 %.2f ms, p99 %.2f ms, max %.2f ms\n",
		ms(pct(0.50)), ms(pct(0.95)), ms(pct(0.99)), ms(pct(1)))
	fmt.Printf("load per address: %.1f submissions/min (limit %d)\n", perAddr, *perClient)

	// The limiter is on: one fresh address sending past its limit is refused.
	src := &net.TCPAddr{IP: net.IPv4(127, 0, 250, 250)}
	d := &net.Dialer{LocalAddr: src}
	c := &http.Client{Transport: &http.Transport{DialContext: d.DialContext}}
	refused, retry := 0, ""
	for i := 0; i < *perClient+5; i++ {
		resp, err := c.Post(url, "application/json", bytes.NewReader(body(int64(-i-1))))
		if err != nil {
			log.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode == http.StatusTooManyRequests {
			refused++
			retry = resp.Header.Get("Retry-After")
		}
	}
	fmt.Printf("rate limiting on: one address sending %d at once got %d answers 429 (Retry-After %s s)\n", *perClient+5, refused, retry)
	if refused == 0 {
		os.Exit(1)
	}
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
