package importing

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/kubu-gov/kubu/internal/imports"
	"github.com/kubu-gov/kubu/internal/store"
	"github.com/kubu-gov/kubu/internal/store/storetest"
	"github.com/kubu-gov/kubu/internal/testkit"
)

// writeSARIF writes a SARIF 2.1.0 file of about mb megabytes, shaped as
// internal/imports' parse benchmark: one run, 200 rules, results with
// locations, snippets and partialFingerprints.
func writeSARIF(tb testing.TB, path string, mb int) int {
	f, err := os.Create(path)
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	w := bufio.NewWriterSize(f, 1<<20)
	fmt.Fprint(w, `{"version":"2.1.0","runs":[{"tool":{"driver":{"name":"BigScanner","version":"1.0.0","rules":[`)
	for i := 0; i < 200; i++ {
		if i > 0 {
			w.WriteByte(',')
		}
		fmt.Fprintf(w, `{"id":"rule/%d","shortDescription":{"text":"Rule number %d finds a weakness"},"fullDescription":{"text":"Why rule %d matters and how to fix it."},"defaultConfiguration":{"level":"warning"},"properties":{"tags":["security","external/cwe/cwe-%03d"],"security-severity":"%d.%d"}}`, i, i, i, 20+i%100, 1+i%9, i%10)
	}
	fmt.Fprint(w, `]}},"results":[`)
	n := 0
	for written := 0; written < mb<<20; n++ {
		if n > 0 {
			w.WriteByte(',')
		}
		s := fmt.Sprintf(`{"ruleId":"rule/%d","ruleIndex":%d,"level":"%s","message":{"text":"Potential weakness %d: value from request parameter flows into a sensitive sink without validation."},"locations":[{"physicalLocation":{"artifactLocation":{"uri":"src/module%d/file%d.go"},"region":{"startLine":%d,"snippet":{"text":"db.Query(\"SELECT * FROM t WHERE id = \" + req.FormValue(\"id%d\"))"}}}}],"partialFingerprints":{"primaryLocationLineHash":"%016x:1"}}`,
			n%200, n%200, []string{"error", "warning", "note"}[n%3], n, n%97, n%1013, 10+n%500, n, uint64(n)*2654435761)
		w.WriteString(s)
		written += len(s) + 1
	}
	fmt.Fprint(w, `]}]}`)
	if err := w.Flush(); err != nil {
		tb.Fatal(err)
	}
	return n
}

// BenchmarkImportSARIF100MB imports a generated SARIF file of 100 MB
// (KUBU_BENCH_SARIF_MB sets another size) into a fresh system: every
// result becomes a finding with its audit entry, in one transaction. It
// reports the time, findings per second and the peak heap sampled every
// 100 ms. KUBU_BENCH_ENGINE=postgres runs it on KUBU_TEST_DATABASE_URL.
func BenchmarkImportSARIF100MB(b *testing.B) {
	mb := 100
	if v, err := strconv.Atoi(os.Getenv("KUBU_BENCH_SARIF_MB")); err == nil && v > 0 {
		mb = v
	}
	engine := store.SQLite
	if os.Getenv("KUBU_BENCH_ENGINE") == "postgres" {
		engine = store.Postgres
	}
	path := filepath.Join(b.TempDir(), "big.sarif")
	results := writeSARIF(b, path, mb)
	st, _ := os.Stat(path)
	b.SetBytes(st.Size())
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		db := storetest.Open(b, engine)
		w := testkit.New(b, db)
		svc := newService(db, w)
		sys := w.System(b, "MOH", "big")
		runtime.GC()
		var peak atomic.Uint64
		stop := make(chan struct{})
		var wg sync.WaitGroup
		wg.Add(1)
		go func() {
			defer wg.Done()
			t := time.NewTicker(100 * time.Millisecond)
			defer t.Stop()
			var ms runtime.MemStats
			for {
				runtime.ReadMemStats(&ms)
				if ms.HeapAlloc > peak.Load() {
					peak.Store(ms.HeapAlloc)
				}
				select {
				case <-stop:
					return
				case <-t.C:
				}
			}
		}()
		f, err := os.Open(path)
		if err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		cpu0 := cpuTime()
		start := time.Now()
		run, err := svc.Import(context.Background(), testkit.Root, sys.ID, imports.SARIF, bufio.NewReaderSize(f, 256<<10))
		el := time.Since(start)
		cpu := cpuTime() - cpu0
		b.StopTimer()
		close(stop)
		wg.Wait()
		f.Close()
		if err != nil {
			b.Fatal(err)
		}
		if run.Created == 0 {
			b.Fatal("nothing created")
		}
		b.ReportMetric(float64(run.Created)/el.Seconds(), "findings/s")
		b.ReportMetric(float64(peak.Load())/(1<<20), "peak-heap-MB")
		b.ReportMetric(cpu.Seconds(), "cpu-s")
		b.Logf("%s: %d MB, %d results, %d findings created in %.1f s wall, %.1f s CPU of this process, peak heap %.1f MB",
			engine, st.Size()>>20, results, run.Created, el.Seconds(), cpu.Seconds(), float64(peak.Load())/(1<<20))
		db.Close()
		b.StartTimer()
	}
}

// cpuTime is the CPU time (user and system) this process used so far: on
// a shared, loaded machine it says what the import costs when the wall
// clock says how long others made it wait.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
