package indicators_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/kubu-gov/kubu/internal/indicators"
	"github.com/kubu-gov/kubu/internal/intel"
	"github.com/kubu-gov/kubu/internal/store"
	"github.com/kubu-gov/kubu/internal/store/storetest"
)

func benchIndicators(n int) []intel.Indicator {
	now := time.Now()
	out := make([]intel.Indicator, n)
	for i := range out {
		out[i] = intel.Indicator{ID: fmt.Sprintf("indicator--%08x-0000-4000-8000-%012x", i, i),
			Observable: intel.Observable{Type: intel.IP, Value: fmt.Sprintf("11.%d.%d.%d", i>>16&255, i>>8&255, i&255)},
			Confidence: 80, ValidFrom: now.Add(-time.Hour), Modified: now}
	}
	return out
}

// BenchmarkImport stores 20,000 indicators in one call (SQLite).
func BenchmarkImport(b *testing.B) {
	inds := benchIndicators(20000)
	for b.Loop() {
		b.StopTimer()
		e := newEnv(b, storetest.Open(b, store.SQLite), indicators.Options{})
		b.StartTimer()
		if _, err := e.s.ImportIndicators(context.Background(), analyst, "bench", inds); err != nil {
			b.Fatal(err)
		}
	}
}
