package ecs

import (
	"os"
	"testing"
)

// BenchmarkFlatten reports Winlogbeat 8 Sysmon documents flattened per
// second.
func BenchmarkFlatten(b *testing.B) {
	doc, err := os.ReadFile("testdata/winlogbeat8_sysmon.json")
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(doc)))
	b.ReportAllocs()
	var f Flattener
	var dst []byte
	for b.Loop() {
		var ok bool
		if dst, ok = f.Flatten(doc, dst[:0]); !ok {
			b.Fatal("not recognised")
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
}
