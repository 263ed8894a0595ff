package imports

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"testing"
)

// writeBigSARIF writes a SARIF 2.1.0 file of about mb megabytes: one run,
// 200 rules, results of ~900 bytes with locations, snippets and
// partialFingerprints, as a large CodeQL or Semgrep report looks.
func writeBigSARIF(tb testing.TB, path string, mb int) int {
	f, err := os.Create(path)
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	w := bufio.NewWriterSize(f, 1<<20)
	fmt.Fprint(w, `{"$schema":"https://json.schemastore.org/sarif-2.1.0.json","version":"2.1.0","runs":[{"tool":{"driver":{"name":"BigScanner","version":"1.0.0","rules":[`)
	for i := 0; i < 200; i++ {
		if i > 0 {
			w.WriteByte(',')
		}
		fmt.Fprintf(w, `{"id":"rule/%d","name":"Rule%d","shortDescription":{"text":"Rule number %d finds a weakness"},"fullDescription":{"text":"A longer description of rule %d, explaining why the pattern is dangerous and how to fix it."},"defaultConfiguration":{"level":"warning"},"properties":{"tags":["security","external/cwe/cwe-%03d"],"security-severity":"%d.%d"}}`, i, i, i, i, 20+i%100, 1+i%9, i%10)
	}
	fmt.Fprint(w, `]}},"results":[`)
	n := 0
	for written := 0; written < mb<<20; n++ {
		if n > 0 {
			w.WriteByte(',')
		}
		s := fmt.Sprintf(`{"ruleId":"rule/%d","ruleIndex":%d,"level":"%s","message":{"text":"Potential weakness %d: value from request parameter flows into a sensitive sink without validation."},"locations":[{"physicalLocation":{"artifactLocation":{"uri":"src/module%d/file%d.go","uriBaseId":"%%SRCROOT%%"},"region":{"startLine":%d,"startColumn":5,"endLine":%d,"endColumn":60,"snippet":{"text":"result := db.Query(\"SELECT * FROM t WHERE id = \" + req.FormValue(\"id%d\"))"}}}}],"partialFingerprints":{"primaryLocationLineHash":"%016x:1","primaryLocationStartColumnFingerprint":"4"},"properties":{"precision":"high"}}`,
			n%200, n%200, []string{"error", "warning", "note"}[n%3], n, n%97, n%1013, 10+n%500, 12+n%500, n, uint64(n)*2654435761)
		w.WriteString(s)
		written += len(s) + 1
	}
	fmt.Fprint(w, `]}]}`)
	if err := w.Flush(); err != nil {
		tb.Fatal(err)
	}
	return n
}

// BenchmarkSARIF100MB parses a generated 100 MB SARIF file (size from
// KUBU_BENCH_SARIF_MB) and reports throughput and the peak live heap seen
// while parsing, which stays far below the file size.
func BenchmarkSARIF100MB(b *testing.B) {
	mb := 100
	if v, err := strconv.Atoi(os.Getenv("KUBU_BENCH_SARIF_MB")); err == nil && v > 0 {
		mb = v
	}
	path := filepath.Join(b.TempDir(), "big.sarif")
	results := writeBigSARIF(b, path, mb)
	st, err := os.Stat(path)
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(st.Size())
	b.ResetTimer()
	var peak uint64
	for i := 0; i < b.N; i++ {
		runtime.GC()
		f, err := os.Open(path)
		if err != nil {
			b.Fatal(err)
		}
		n := 0
		var ms runtime.MemStats
		stats, err := Parse(SARIF, f, func(Item) error {
			n++
			if n%8192 == 0 {
				runtime.ReadMemStats(&ms)
				peak = max(peak, ms.HeapAlloc)
			}
			return nil
		})
		f.Close()
		if err != nil {
			b.Fatal(err)
		}
		if stats.Items != results {
			b.Fatalf("parsed %d items, wrote %d", stats.Items, results)
		}
	}
	b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MB")
	b.ReportMetric(float64(results), "results")
}
