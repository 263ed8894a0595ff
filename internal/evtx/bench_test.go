package evtx

import (
	"bytes"
	"os"
	"testing"

	"github.com/kubu-gov/kubu/internal/corpus"
)

// loadCorpus reads every .evtx file of the attack-sample corpus into memory.
func loadCorpus(b *testing.B) [][]byte {
	b.Helper()
	var files [][]byte
	for _, path := range evtxFiles(b, corpus.Path(b, "evtx")) {
		data, err := os.ReadFile(path)
		if err != nil {
			b.Fatal(err)
		}
		files = append(files, data)
	}
	return files
}

// BenchmarkCorpus parses every record of the corpus (from memory) and
// renders its flat JSON, reporting records per second of wall-clock time
// and, where available, per second of CPU time (steadier on a shared
// machine).
func BenchmarkCorpus(b *testing.B) {
	files := loadCorpus(b)
	var out []byte
	records := 0
	b.ReportAllocs()
	cpu0, cpuOK := processCPUTime()
	b.ResetTimer()
	for b.Loop() {
		for _, data := range files {
			r, err := NewReader(bytes.NewReader(data), int64(len(data)), "bench")
			if err != nil {
				b.Fatal(err)
			}
			for rec, err := range r.Records() {
				if err != nil {
					b.Fatal(err)
				}
				out = rec.AppendFlatJSON(out[:0])
				records++
			}
			r.Close()
		}
	}
	b.ReportMetric(float64(records)/b.Elapsed().Seconds(), "records/s")
	b.ReportMetric(float64(records)/float64(b.N), "records/op")
	if cpu1, ok := processCPUTime(); ok && cpuOK && cpu1 > cpu0 {
		b.ReportMetric(float64(records)/(cpu1-cpu0).Seconds(), "records/cpu-s")
	}
}

// BenchmarkCorpusNested is BenchmarkCorpus with the nested form only.
func BenchmarkCorpusNested(b *testing.B) {
	files := loadCorpus(b)
	var out []byte
	records := 0
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		for _, data := range files {
			r, err := NewReader(bytes.NewReader(data), int64(len(data)), "bench")
			if err != nil {
				b.Fatal(err)
			}
			for rec, err := range r.Records() {
				if err != nil {
					b.Fatal(err)
				}
				out = rec.AppendJSON(out[:0])
				records++
			}
			r.Close()
		}
	}
	b.ReportMetric(float64(records)/b.Elapsed().Seconds(), "records/s")
}
