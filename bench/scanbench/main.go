// Command scanbench scans and grades N loopback targets (default 1,000) with
// kubu's scanner on this machine, then runs testssl.sh on one of the same
// targets, and prints the times and the ratio.
//
//	go run ./bench/scanbench [-n 1000] [-concurrency 64] [-testssl=true]
//
// The targets are a mix like a government estate: most modern (TLS 1.2/1.3,
// ECDSA), some with TLS 1.0, RC4, 3DES or static RSA on RSA-2048 keys, some
// without headers, HSTS or security.txt, a third with an MX offering
// STARTTLS, in a DNSSEC-signed zone. Every target is fully scanned (DNS and
// DNSSEC, four web endpoints, every TLS version and suite, groups,
// certificate, security.txt, STARTTLS with full TLS facts, SPF, DMARC) and
// graded under every profile.
package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"syscall"
	"time"

	"github.com/kubu-gov/kubu/internal/scan"
	"github.com/kubu-gov/kubu/internal/scan/farm"
)

func main() {
	n := flag.Int("n", 1000, "targets")
	conc := flag.Int("concurrency", 64, "names scanned at once")
	testssl := flag.Bool("testssl", true, "also time testssl.sh on one target")
	flag.Parse()
	if err := run(*n, *conc, *testssl); err != nil {
		fmt.Fprintln(os.Stderr, "scanbench:", err)
		os.Exit(1)
	}
}

func target(i int) farm.Target {
	t := farm.Good(fmt.Sprintf("t%04d", i))
	t.MX = i%3 == 0
	t.AAAA = false
	switch i % 20 {
	case 1:
		t.HTTPS = &farm.TLSSpec{MinVersion: tls.VersionTLS10, Cert: farm.CertSpec{Key: "rsa-2048"}}
	case 2:
		t.HTTPS = &farm.TLSSpec{MaxVersion: tls.VersionTLS12, Cert: farm.CertSpec{Key: "rsa-2048"},
			CipherSuites: []uint16{tls.TLS_RSA_WITH_RC4_128_SHA, tls.TLS_RSA_WITH_3DES_EDE_CBC_SHA, tls.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256}}
	case 3:
		t.Site.Headers = map[string]string{}
		t.Site.SecurityTxt = ""
	case 4:
		t.Site.HTTP = "serve"
	case 5:
		t.HTTPS = &farm.TLSSpec{} // Go's defaults, CBC suites included
	}
	return t
}

func run(n, conc int, withTestssl bool) error {
	fmt.Printf("machine: %d CPUs, GOMAXPROCS %d, %s\n", runtime.NumCPU(), runtime.GOMAXPROCS(0), runtime.Version())
	setup := time.Now()
	f, err := farm.New(90)
	if err != nil {
		return err
	}
	defer f.Close()
	var names []string
	var first *farm.Started
	for i := 0; i < n; i++ {
		st, err := f.Add(target(i))
		if err != nil {
			return fmt.Errorf("target %d: %w", i, err)
		}
		if first == nil {
			first = st
		}
		names = append(names, st.Name)
	}
	fmt.Printf("farm: %d targets up in %.1fs\n", n, time.Since(setup).Seconds())

	o := scan.Options{
		Resolver: f.DNS.Addr, Roots: f.Roots(), Intermediates: []*x509.Certificate{f.CA.Intermediate},
		TrustAnchors: f.Anchors(), Concurrency: conc,
		Ports: scan.Ports{HTTP: f.Ports.HTTP, HTTPS: f.Ports.HTTPS, SMTP: f.Ports.SMTP},
	}
	s, err := scan.New(o)
	if err != nil {
		return err
	}
	defer s.Close()

	// One target alone first (the one testssl.sh will scan).
	oneStart := time.Now()
	one, err := s.Scan(context.Background(), first.Name)
	if err != nil {
		return err
	}
	oneSec := time.Since(oneStart).Seconds()
	fmt.Printf("kubu, one target (%s): %.3fs, %d TLS handshakes attempted\n", first.Name, oneSec, one.TLS.Probes)

	s2, err := scan.New(o) // a fresh scanner: no DNS answers cached from the single run
	if err != nil {
		return err
	}
	defer s2.Close()
	start := time.Now()
	var lat []float64
	type slow struct {
		name string
		sec  float64
	}
	var slowest []slow
	checkErrors, graded, probes, findings, endpointErrors := 0, 0, 0, 0, 0
	grades := map[string]int{}
	s2.ScanAll(context.Background(), names, func(r *scan.Result, err error) {
		if err != nil {
			checkErrors++
			return
		}
		lat = append(lat, r.Seconds)
		slowest = append(slowest, slow{r.Name, r.Seconds})
		checkErrors += len(r.Errors)
		if r.Verdicts != nil && r.Verdicts.BOD != nil && r.Verdicts.SSLLabs != nil && r.Verdicts.Observ != nil {
			graded++
			grades[r.Verdicts.SSLLabs.Grade]++
		}
		if r.TLS != nil {
			probes += r.TLS.Probes
		}
		for _, t := range r.Mail.GetTLS() {
			probes += t.Probes
		}
		findings += len(r.Findings)
		if r.Web != nil {
			for _, e := range r.Web.Endpoints {
				if e.Error != "" {
					endpointErrors++
					if endpointErrors <= 3 {
						fmt.Printf("  endpoint error: %s\n", e.Error)
					}
				}
			}
		}
	})
	total := time.Since(start).Seconds()
	fmt.Printf("  endpoint errors (web requests that got no answer): %d\n", endpointErrors)
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	cpu := time.Duration(ru.Utime.Nano() + ru.Stime.Nano()).Seconds()
	sort.Float64s(lat)
	fmt.Printf("kubu, %d targets, concurrency %d: %.1fs (%.1f targets/s), %d graded, %d check errors, %d TLS handshakes, %d findings\n",
		n, conc, total, float64(n)/total, graded, checkErrors, probes, findings)
	if len(lat) > 0 {
		fmt.Printf("  per-target time under load: p50 %.2fs, p99 %.2fs, max %.2fs\n", lat[len(lat)/2], lat[len(lat)*99/100], lat[len(lat)-1])
	}
	fmt.Printf("  CPU used by this process (scanner and the farm's servers together, setup included): %.1fs, i.e. %.1fs of wall time on two idle cores\n", cpu, cpu/2)
	fmt.Printf("  SSL Labs-style grades: %v\n", grades)
	sort.Slice(slowest, func(i, j int) bool { return slowest[i].sec > slowest[j].sec })
	for _, s := range slowest[:min(3, len(slowest))] {
		fmt.Printf("  slowest: %s %.2fs\n", s.name, s.sec)
	}

	if !withTestssl {
		return nil
	}
	bin, err := exec.LookPath("testssl")
	if err != nil {
		fmt.Println("testssl.sh: not installed, no ratio")
		return nil
	}
	dir, _ := os.MkdirTemp("", "scanbench")
	defer os.RemoveAll(dir)
	ca := filepath.Join(dir, "ca.pem")
	os.WriteFile(ca, append(f.CA.RootPEM(), f.CA.IntermediatePEM()...), 0o644)
	tStart := time.Now()
	out, err := exec.Command(bin, "--quiet", "--color", "0", "--warnings", "off", "--add-ca", ca, "--ip", first.IP.String(),
		fmt.Sprintf("https://%s:%d/", first.Name, f.Ports.HTTPS)).CombinedOutput()
	tSec := time.Since(tStart).Seconds()
	if err != nil {
		fmt.Printf("testssl.sh exited with %v (its run still counts; last output: %.200s)\n", err, out[max(0, len(out)-200):])
	}
	fmt.Printf("testssl.sh (default full run), one target: %.1fs\n", tSec)
	fmt.Printf("ratio, one target: testssl.sh %.1fs / kubu %.3fs = %.0fx\n", tSec, oneSec, tSec/oneSec)
	fmt.Printf("ratio, estate: testssl.sh would take %.0fs for %d targets one after another; kubu took %.1fs = %.0fx\n", tSec*float64(n), n, total, tSec*float64(n)/total)
	return nil
}
