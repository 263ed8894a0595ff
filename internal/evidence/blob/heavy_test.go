package blob

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"runtime"
	"sync"
	"testing"
	"time"
)

// genReader yields n pseudo-random bytes without holding them.
type genReader struct {
	left int64
	rng  *rand.ChaCha8
}

func newGen(n int64) *genReader { return &genReader{left: n, rng: rand.NewChaCha8([32]byte{1})} }

func (g *genReader) Read(p []byte) (int, error) {
	if g.left <= 0 {
		return 0, io.EOF
	}
	if int64(len(p)) > g.left {
		p = p[:g.left]
	}
	g.rng.Read(p)
	g.left -= int64(len(p))
	return len(p), nil
}

// heapWatch samples the live heap until stopped and returns its peak.
func heapWatch() (stop func() uint64) {
	var peak uint64
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		t := time.NewTicker(10 * time.Millisecond)
		defer t.Stop()
		var ms runtime.MemStats
		for {
			runtime.ReadMemStats(&ms)
			peak = max(peak, ms.HeapInuse)
			select {
			case <-done:
				return
			case <-t.C:
			}
		}
	}()
	return func() uint64 { close(done); wg.Wait(); return peak }
}

// TestTwoGiBUploadKeepsHeapSmall is the memory acceptance of issue 11:
// a generated 2 GiB stream goes in and is read back with the heap staying
// under 100 MB. It writes 2 GiB to the temp dir, so it runs only with
// KUBU_TEST_HEAVY=1 (numbers in docs/benchmarks.md).
func TestTwoGiBUploadKeepsHeapSmall(t *testing.T) {
	if os.Getenv("KUBU_TEST_HEAVY") == "" {
		t.Skip("writes 2 GiB: set KUBU_TEST_HEAVY=1")
	}
	const size = 2 << 30
	const limit = 100 << 20
	l, err := NewLocal(t.TempDir(), master)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	runtime.GC()
	stop := heapWatch()
	start := time.Now()
	obj, err := l.Put(ctx, "big", newGen(size), PutOptions{})
	put := time.Since(start)
	peakPut := stop()
	if err != nil || obj.Size != size {
		t.Fatalf("Put: %+v %v", obj, err)
	}
	runtime.GC()
	stop = heapWatch()
	start = time.Now()
	err = Check(ctx, l, "big", obj.Digest())
	read := time.Since(start)
	peakRead := stop()
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("2 GiB: put %.1fs (%.0f MB/s), peak heap in use %.1f MB; read+verify %.1fs (%.0f MB/s), peak heap %.1f MB",
		put.Seconds(), size/put.Seconds()/1e6, float64(peakPut)/1e6, read.Seconds(), size/read.Seconds()/1e6, float64(peakRead)/1e6)
	if peakPut > limit || peakRead > limit {
		t.Fatalf("peak heap %d / %d bytes, limit %d", peakPut, peakRead, limit)
	}
}

func BenchmarkPut64MiB(b *testing.B) {
	l, err := NewLocal(b.TempDir(), master)
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	const size = 64 << 20
	b.SetBytes(size)
	var peak uint64
	for i := range b.N {
		stop := heapWatch()
		if _, err := l.Put(ctx, fmt.Sprint("b", i), newGen(size), PutOptions{}); err != nil {
			b.Fatal(err)
		}
		peak = max(peak, stop())
	}
	b.ReportMetric(float64(peak)/1e6, "peak-heap-MB")
}
