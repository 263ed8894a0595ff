package detect

import (
	"context"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/kubu-gov/kubu/internal/corpus"
	"github.com/kubu-gov/kubu/internal/event"
	"github.com/kubu-gov/kubu/internal/eventlog"
	"github.com/kubu-gov/kubu/internal/evtx"
	"github.com/kubu-gov/kubu/internal/store"
	"github.com/kubu-gov/kubu/internal/store/storetest"
	"github.com/kubu-gov/kubu/internal/testkit"
)

// BenchmarkRetroHunt measures retro-hunts over retained events: the
// corpus EVTX records (flattened as intake stores them, in batches of
// 5,000 like intake's) replayed to KUBU_BENCH_HUNT_EVENTS events (default
// 1,000,000) in the embedded event log, each event dated by its own time
// over the last day. "1 rule" is one hunt with one new rule over them
// all; "4 hunts sharing one pass" is four hunts waiting together, and
// "4 hunts one pass each" the same four run as before passes were shared.
// events/s counts each event once per pass; cpu-µs/event is the
// process's CPU per event (steadier than wall time on a shared machine).
// Storing the events is not timed.
//
//	KUBU_BENCH_HUNT_EVENTS=2000000 go test -run '^$' -bench RetroHunt -benchtime 3x ./internal/detect
func BenchmarkRetroHunt(b *testing.B) {
	n := 1_000_000
	if v := os.Getenv("KUBU_BENCH_HUNT_EVENTS"); v != "" {
		var err error
		if n, err = strconv.Atoi(v); err != nil {
			b.Fatal(err)
		}
	}
	db := storetest.Open(b, store.SQLite)
	w := testkit.New(b, db)
	log, err := eventlog.Open(context.Background(), eventlog.Config{DataDir: b.TempDir(), Logger: quietLog(), MaxBytes: int64(n)*2048 + 256<<20, MaxAge: 48 * time.Hour})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { log.Close() })
	s := New(db, w.Audit, quietLog(), Options{LeaseTTL: time.Hour, NodeID: "bench"})
	ctx := context.Background()
	if held, err := s.acquire(ctx, leaderLease); err != nil || !held {
		b.Fatalf("leader lease: %v %v", held, err)
	}
	now := time.Now().UTC()
	from, to := now.Add(-25*time.Hour), now.Add(time.Hour)
	stored, bytes := publishCorpus(b, log, n, now.Add(-24*time.Hour), now)
	b.Logf("%d events stored (%d MB)", stored, bytes>>20)

	hunt := func(b *testing.B, shared bool, rules ...string) {
		var scanned int64
		cpu0 := processCPU()
		for b.Loop() {
			var ids []string
			for _, r := range rules {
				h, err := s.CreateHunt(ctx, analyst, NewHunt{Rule: r, From: from, To: to})
				if err != nil {
					b.Fatal(err)
				}
				ids = append(ids, h.ID)
			}
			passes := [][]string{ids}
			if !shared { // as before hunts shared passes: one pass each
				passes = nil
				for _, id := range ids {
					passes = append(passes, []string{id})
				}
			}
			for _, p := range passes {
				if err := s.runPass(ctx, log, p); err != nil {
					b.Fatal(err)
				}
			}
			for _, id := range ids {
				h, err := s.HuntByID(ctx, analyst, id)
				if err != nil || h.Status != HuntDone {
					b.Fatalf("hunt %+v %v", h, err)
				}
				if h.EventsScanned != int64(stored) {
					b.Fatalf("hunt scanned %d events, want %d", h.EventsScanned, stored)
				}
				scanned += h.EventsScanned
			}
		}
		per := b.Elapsed().Seconds() / float64(b.N)
		b.ReportMetric(float64(stored)/per, "events/s")
		b.ReportMetric(per*10_000_000/float64(stored), "s/10M-events")
		b.ReportMetric(float64((processCPU()-cpu0).Microseconds())/float64(b.N)/float64(stored), "cpu-µs/event")
	}
	four := []string{ruleEncoded, ruleNewTechnique, ruleEncoded, ruleNewTechnique}
	b.Run("1 rule", func(b *testing.B) { hunt(b, true, ruleEncoded) })
	b.Run("4 hunts sharing one pass", func(b *testing.B) { hunt(b, true, four...) })
	b.Run("4 hunts one pass each", func(b *testing.B) { hunt(b, false, four...) })
}

// publishCorpus stores n events cycled from the corpus EVTX records, their
// own times spread over [from, to), and returns how many and their bytes.
func publishCorpus(b *testing.B, log *eventlog.Log, n int, from, to time.Time) (int, int64) {
	b.Helper()
	dir := corpus.Path(b, "evtx")
	var records [][]byte
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(strings.ToLower(p), ".evtx") {
			return err
		}
		r, err := evtx.Open(p)
		if err != nil {
			return nil
		}
		defer r.Close()
		for rec, err := range r.Records() {
			if err == nil {
				records = append(records, rec.AppendFlatJSON(nil))
			}
		}
		return nil
	})
	if len(records) == 0 {
		b.Fatal("no EVTX records in the corpus")
	}
	subj, err := log.Subject("MOH")
	if err != nil {
		b.Fatal(err)
	}
	const perBatch = 5000
	step := to.Sub(from) / time.Duration(n)
	var total int64
	var batches []eventlog.Batch
	var buf []byte
	flush := func() {
		batches = append(batches, eventlog.Batch{Subject: subj, Data: buf})
		buf = nil
		if len(batches) == 16 {
			if _, err := log.PublishAll(context.Background(), batches); err != nil {
				b.Fatal(err)
			}
			batches = batches[:0]
		}
	}
	for i := range n {
		at := from.Add(time.Duration(i) * step)
		buf = event.AppendLine(buf, records[i%len(records)], &event.Meta{Agency: "MOH", Source: "bench", Protocol: "hec",
			Host: fmt.Sprint("ws", i%500), Received: at, Time: at})
		if (i+1)%perBatch == 0 || len(buf) > log.MaxBatchBytes()-64<<10 {
			total += int64(len(buf))
			flush()
		}
	}
	if len(buf) > 0 {
		total += int64(len(buf))
		flush()
	}
	if len(batches) > 0 {
		if _, err := log.PublishAll(context.Background(), batches); err != nil {
			b.Fatal(err)
		}
	}
	return n, total
}

// processCPU is the CPU time (user and system) the process has used.
func processCPU() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
