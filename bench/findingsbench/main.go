// Command findingsbench measures the findings list the API and UI serve:
// it loads N findings across A agencies (default 1,000,000 across 50) into
// a fresh database, then times Findings.List filtered by agency and status,
// following next_cursor for several pages, and prints p50/p95/p99.
//
//	go run ./bench/findingsbench                       # SQLite in a temp dir
//	go run ./bench/findingsbench -database-url postgres://postgres@127.0.0.1:5432/test
package main

import (
	"context"
	"database/sql"
	"flag"
	"fmt"
	"log"
	"math/rand/v2"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/kubu-gov/kubu/internal/audit"
	"github.com/kubu-gov/kubu/internal/authz"
	"github.com/kubu-gov/kubu/internal/findings"
	"github.com/kubu-gov/kubu/internal/id"
	"github.com/kubu-gov/kubu/internal/keys"
	"github.com/kubu-gov/kubu/internal/registry"
	"github.com/kubu-gov/kubu/internal/severity"
	"github.com/kubu-gov/kubu/internal/store"
)

func main() {
	n := flag.Int("findings", 1_000_000, "findings to load")
	nAg := flag.Int("agencies", 50, "agencies")
	queries := flag.Int("queries", 400, "list requests to time")
	pages := flag.Int("pages", 5, "pages followed per request chain")
	dbURL := flag.String("database-url", "", "PostgreSQL URL (a fresh schema is made in it); empty = SQLite in a temp dir")
	flag.Parse()
	ctx := context.Background()

	opts := store.Options{}
	var cleanup func()
	if *dbURL == "" {
		dir, _ := os.MkdirTemp("", "findingsbench")
		opts.DataDir = dir
		cleanup = func() { os.RemoveAll(dir) }
	} else {
		u, drop := freshSchema(*dbURL)
		opts.URL = u
		cleanup = drop
	}
	defer cleanup()
	db, err := store.Open(ctx, opts)
	if err != nil {
		log.Fatal(err)
	}
	defer db.Close()
	ring, _ := keys.New([]byte(strings.Repeat("k", 32)))
	al := audit.New(db, ring)
	reg := registry.New(db, al)
	svc := findings.New(db, al, reg)
	admin := authz.Actor{UserID: "bench", Role: authz.WogAdmin}

	start := time.Now()
	agencyIDs, err := load(ctx, db, reg, admin, *n, *nAg)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("engine %s: loaded %d findings across %d agencies in %.1fs\n", db.Engine, *n, *nAg, time.Since(start).Seconds())

	for _, sort := range findings.Sorts {
		measure(ctx, svc, db.Engine, agencyIDs, sort, *queries, *pages)
	}
}

// measure times List for random agencies and statuses with one sort order.
func measure(ctx context.Context, svc *findings.Service, engine store.Engine, agencyIDs []string, sort string, queries, pages int) {
	rnd := rand.New(rand.NewPCG(1, 2))
	statuses := findings.Statuses
	var lat []time.Duration
	var rows int
	for range queries {
		ag := agencyIDs[rnd.IntN(len(agencyIDs))]
		member := authz.Actor{UserID: "m", Role: authz.AgencyMember, AgencyID: ag}
		f := findings.Filter{Statuses: []string{statuses[rnd.IntN(len(statuses))]}, Sort: sort, Limit: 50}
		for range pages {
			t := time.Now()
			p, err := svc.List(ctx, member, f)
			if err != nil {
				log.Fatal(err)
			}
			lat = append(lat, time.Since(t))
			rows += len(p.Items)
			if p.NextCursor == "" {
				break
			}
			f.Cursor = p.NextCursor
		}
	}
	slices.Sort(lat)
	pct := func(p float64) time.Duration { return lat[int(p*float64(len(lat)-1))] }
	fmt.Printf("engine %s sort %-9s: %d requests (agency + status filter, 50 per page, up to %d pages deep), %d rows: p50 %.2f ms  p95 %.2f ms  p99 %.2f ms  max %.2f ms\n",
		engine, sort, len(lat), pages, rows, ms(pct(0.50)), ms(pct(0.95)), ms(pct(0.99)), ms(lat[len(lat)-1]))
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// load creates the agencies and a few systems each through the services,
// then bulk-inserts findings with SQL (the same columns Create writes).
func load(ctx context.Context, db *store.DB, reg *registry.Registry, admin authz.Actor, n, nAg int) ([]string, error) {
	type sys struct{ id, agency string }
	var systems []sys
	var agencyIDs []string
	for i := range nAg {
		ag, err := reg.CreateAgency(ctx, admin, registry.NewAgency{Code: fmt.Sprintf("AG%03d", i), Name: fmt.Sprintf("Agency %d", i)})
		if err != nil {
			return nil, err
		}
		agencyIDs = append(agencyIDs, ag.ID)
		for j := range 5 {
			name := fmt.Sprintf("System %d", j)
			s, err := reg.CreateSystem(ctx, admin, registry.SystemInput{Agency: ag.Code, Name: &name})
			if err != nil {
				return nil, err
			}
			systems = append(systems, sys{s.ID, ag.ID})
		}
	}
	rnd := rand.New(rand.NewPCG(3, 4))
	now := time.Now()
	const batch = 500
	for done := 0; done < n; {
		err := db.Tx(ctx, func(tx *sql.Tx) error {
			for k := 0; k < 40 && done < n; k++ {
				m := min(batch, n-done)
				var sb strings.Builder
				sb.WriteString(`INSERT INTO findings (id, system_id, agency_id, source, title, severity, severity_rank, status, due_at, created_at, updated_at) VALUES `)
				args := make([]any, 0, m*11)
				for i := range m {
					if i > 0 {
						sb.WriteByte(',')
					}
					b := len(args)
					fmt.Fprintf(&sb, "($%d,$%d,$%d,$%d,$%d,$%d,$%d,$%d,$%d,$%d,$%d)", b+1, b+2, b+3, b+4, b+5, b+6, b+7, b+8, b+9, b+10, b+11)
					s := systems[rnd.IntN(len(systems))]
					sev := severity.Severities[rnd.IntN(5)]
					created := now.Add(-time.Duration(rnd.IntN(365*24)) * time.Hour)
					args = append(args, id.New(), s.id, s.agency, findings.Sources[rnd.IntN(6)], "Finding title", sev,
						severity.Rank(sev), findings.Statuses[rnd.IntN(6)], created.Add(30*24*time.Hour).UnixMilli(), created.UnixMilli(), created.UnixMilli())
				}
				if _, err := tx.ExecContext(ctx, sb.String(), args...); err != nil {
					return err
				}
				done += m
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	if db.Engine == store.Postgres {
		db.Tx(ctx, func(tx *sql.Tx) error { _, err := tx.ExecContext(ctx, "ANALYZE findings"); return err })
	} else {
		db.Tx(ctx, func(tx *sql.Tx) error { _, err := tx.ExecContext(ctx, "ANALYZE"); return err })
	}
	return agencyIDs, nil
}

func freshSchema(base string) (string, func()) {
	admin, err := sql.Open("pgx", base)
	if err != nil {
		log.Fatal(err)
	}
	schema := fmt.Sprintf("bench_%d", time.Now().UnixNano())
	if _, err := admin.Exec("CREATE SCHEMA " + schema); err != nil {
		log.Fatal(err)
	}
	sep := "?"
	if strings.Contains(base, "?") {
		sep = "&"
	}
	return base + sep + "search_path=" + schema, func() {
		admin.Exec("DROP SCHEMA " + schema + " CASCADE")
		admin.Close()
	}
}
