package scanning_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/kubu-gov/kubu/internal/audit"
	"github.com/kubu-gov/kubu/internal/findings"
	"github.com/kubu-gov/kubu/internal/keys"
	"github.com/kubu-gov/kubu/internal/registry"
	"github.com/kubu-gov/kubu/internal/scan/farm"
	"github.com/kubu-gov/kubu/internal/scanning"
	"github.com/kubu-gov/kubu/internal/store"
	"github.com/kubu-gov/kubu/internal/store/storetest"
)

// TestTwoNodesScanEachDueTargetOnce: two nodes with their own connections
// to one database, both scheduling and scanning; every due target is
// scanned exactly once, in exactly one scan.
func TestTwoNodesScanEachDueTargetOnce(t *testing.T) {
	engines(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		e := setup(t, db)
		// A second node: its own pool on the same database.
		db2 := reopen(t, db)
		e2 := &env{db: db2, log: audit.New(db2, ringFor()), farm: e.farm}
		e2.reg = registry.New(db2, e2.log)
		e2.find = findings.New(db2, e2.log, e2.reg)

		var names []string
		for s := 0; s < 4; s++ {
			var hosts []string
			for n := 0; n < 3; n++ {
				st, err := e.farm.Add(farm.Good(fmt.Sprintf("n%d-%d-%s", s, n, db.Engine)))
				if err != nil {
					t.Fatal(err)
				}
				hosts = append(hosts, st.Name)
				names = append(names, st.Name)
			}
			e.system(t, e.aAdmin, "MOH", fmt.Sprintf("System %d", s), hosts...)
		}
		// Small batches and little concurrency so the two nodes interleave.
		mod := func(o *scanning.Options) { o.Batch, o.Concurrency = 2, 2 }
		run(t, e.service(t, "node-a", mod))
		run(t, e2.service(t, "node-b", mod))

		deadline := time.Now().Add(2 * time.Minute)
		for {
			var n int
			if err := db.R().QueryRowContext(ctx, `SELECT COUNT(*) FROM scan_targets WHERE last_result_id IS NOT NULL`).Scan(&n); err != nil {
				t.Fatal(err)
			}
			if n == len(names) {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("%d of %d targets scanned after 2 minutes", n, len(names))
			}
			time.Sleep(20 * time.Millisecond)
		}
		// Let both nodes take one more turn: nothing more is due.
		time.Sleep(300 * time.Millisecond)
		rows, err := db.R().QueryContext(ctx, `SELECT hostname, COUNT(*) FROM scan_results GROUP BY hostname`)
		if err != nil {
			t.Fatal(err)
		}
		seen := map[string]int{}
		for rows.Next() {
			var h string
			var c int
			rows.Scan(&h, &c)
			seen[h] = c
		}
		rows.Close()
		for _, h := range names {
			if seen[h] != 1 {
				t.Errorf("%s scanned %d times, want once", h, seen[h])
			}
		}
		// Each name joined exactly one scan.
		rows, err = db.R().QueryContext(ctx, `SELECT hostnames FROM scans`)
		if err != nil {
			t.Fatal(err)
		}
		inScans := map[string]int{}
		for rows.Next() {
			var hj string
			rows.Scan(&hj)
			for _, h := range splitJSON(hj) {
				inScans[h]++
			}
		}
		rows.Close()
		for _, h := range names {
			if inScans[h] != 1 {
				t.Errorf("%s is in %d scans, want 1", h, inScans[h])
			}
		}
		var open int
		db.R().QueryRowContext(ctx, `SELECT COUNT(*) FROM scans WHERE status <> 'done'`).Scan(&open)
		if open != 0 {
			t.Errorf("%d scans not done", open)
		}
	})
}

// reopen opens a second handle on the database db was opened on, as
// another node would.
func reopen(t *testing.T, db *store.DB) *store.DB {
	t.Helper()
	o, ok := dbOptions[db]
	if !ok {
		t.Fatal("database not opened by openDB")
	}
	db2, err := store.Open(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db2.Close() })
	return db2
}

func splitJSON(s string) []string {
	var out []string
	json.Unmarshal([]byte(s), &out)
	return out
}

var dbOptions = map[*store.DB]store.Options{}

// engines is storetest.Engines, remembering how each database was opened
// so that a test can open a second handle on it.
func engines(t *testing.T, fn func(t *testing.T, db *store.DB)) {
	t.Helper()
	for _, eng := range []store.Engine{store.SQLite, store.Postgres} {
		t.Run(string(eng), func(t *testing.T) {
			o := storetest.Options(t, eng)
			db, err := store.Open(context.Background(), o)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { db.Close(); delete(dbOptions, db) })
			dbOptions[db] = o
			fn(t, db)
		})
	}
}

func ringFor() *keys.Ring {
	r, _ := keys.New(bytes.Repeat([]byte{7}, 32))
	return r
}
