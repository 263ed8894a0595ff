// Command posturebench measures posture at whole-of-government scale: it
// loads A agencies (default 50), S systems (5,000) with mixed criticality,
// N findings (1,000,000) in every status and severity with deadlines, and
// one external scan name per system (half with a latest result) into a
// fresh database, then times the league table (every agency), the whole
// of government and one agency's posture, and prints min, median and max.
//
//	go run ./bench/posturebench                       # SQLite in a temp dir
//	go run ./bench/posturebench -database-url postgres://postgres@127.0.0.1:5432/test
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
	"github.com/kubu-gov/kubu/internal/posture"
	"github.com/kubu-gov/kubu/internal/registry"
	"github.com/kubu-gov/kubu/internal/severity"
	"github.com/kubu-gov/kubu/internal/store"
)

func main() {
	n := flag.Int("findings", 1_000_000, "findings to load")
	nAg := flag.Int("agencies", 50, "agencies")
	nSys := flag.Int("systems", 5000, "systems")
	runs := flag.Int("runs", 7, "timed runs of each question")
	dbURL := flag.String("database-url", "", "PostgreSQL URL (a fresh schema is made in it); empty = SQLite in a temp dir")
	flag.Parse()
	ctx := context.Background()

	opts := store.Options{}
	var cleanup func()
	if *dbURL == "" {
		dir, _ := os.MkdirTemp("", "posturebench")
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
	admin := authz.Actor{UserID: "bench", Role: authz.WogAdmin}

	start := time.Now()
	codes, err := load(ctx, db, opts.URL, reg, admin, *n, *nAg, *nSys)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("engine %s: loaded %d agencies, %d systems, %d findings, %d scan names in %.1fs\n", db.Engine, *nAg, *nSys, *n, *nSys, time.Since(start).Seconds())

	svc := posture.New(db, al, reg, nil)
	time1 := func(what string, fn func() (string, error)) {
		var lat []time.Duration
		var note string
		for range *runs {
			t := time.Now()
			s, err := fn()
			if err != nil {
				log.Fatal(err)
			}
			lat = append(lat, time.Since(t))
			note = s
		}
		slices.Sort(lat)
		fmt.Printf("engine %s %-22s: min %6.0f ms  median %6.0f ms  max %6.0f ms  (%s)\n", db.Engine, what,
			ms(lat[0]), ms(lat[len(lat)/2]), ms(lat[len(lat)-1]), note)
	}
	time1("league (all agencies)", func() (string, error) {
		rows, err := svc.League(ctx, admin)
		if err != nil {
			return "", err
		}
		return fmt.Sprintf("%d rows, best %s %.1f", len(rows), rows[0].Agency, *rows[0].Score), nil
	})
	time1("whole of government", func() (string, error) {
		p, err := svc.Get(ctx, admin, "")
		if err != nil {
			return "", err
		}
		return fmt.Sprintf("score %.1f, %d open, %d overdue", *p.Score, p.Findings.Open, p.Findings.Overdue), nil
	})
	time1("one agency", func() (string, error) {
		p, err := svc.Get(ctx, admin, codes[len(codes)/2])
		if err != nil {
			return "", err
		}
		return fmt.Sprintf("%s score %.1f, %d open", p.Agency, *p.Score, p.Findings.Open), nil
	})
	time1("daily snapshot", func() (string, error) {
		db.Tx(ctx, func(tx *sql.Tx) error { _, err := tx.ExecContext(ctx, `DELETE FROM posture_snapshots`); return err })
		k, err := svc.Snapshot(ctx)
		return fmt.Sprintf("%d rows", k), err
	})
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// insert runs a multi-row INSERT of rows of cols values each.
func insert(ctx context.Context, tx *sql.Tx, db *store.DB, head string, cols int, rows [][]any) error {
	var sb strings.Builder
	sb.WriteString(head + " VALUES ")
	args := make([]any, 0, len(rows)*cols)
	for i, r := range rows {
		if i > 0 {
			sb.WriteByte(',')
		}
		sb.WriteByte('(')
		for k := range cols {
			if k > 0 {
				sb.WriteByte(',')
			}
			sb.WriteString(db.Param(len(args) + k + 1))
		}
		sb.WriteByte(')')
		args = append(args, r...)
	}
	_, err := tx.ExecContext(ctx, sb.String(), args...)
	return err
}

// load creates the agencies through the registry, then bulk-inserts
// systems, findings and scan names with SQL (the columns the services
// write).
func load(ctx context.Context, db *store.DB, pgURL string, reg *registry.Registry, admin authz.Actor, n, nAg, nSys int) ([]string, error) {
	type sys struct{ id, agency string }
	var systems []sys
	var agencyIDs, codes []string
	for i := range nAg {
		ag, err := reg.CreateAgency(ctx, admin, registry.NewAgency{Code: fmt.Sprintf("AG%03d", i), Name: fmt.Sprintf("Agency %d", i)})
		if err != nil {
			return nil, err
		}
		agencyIDs = append(agencyIDs, ag.ID)
		codes = append(codes, ag.Code)
	}
	rnd := rand.New(rand.NewPCG(3, 4))
	now := time.Now()
	crit := []string{"low", "medium", "high", "critical"}
	err := db.Tx(ctx, func(tx *sql.Tx) error {
		var rows [][]any
		for i := range nSys {
			s := sys{id.New(), agencyIDs[i%nAg]}
			systems = append(systems, s)
			rows = append(rows, []any{s.id, s.agency, fmt.Sprintf("System %d", i), "web-application", crit[rnd.IntN(4)], "official-closed", now.UnixMilli(), now.UnixMilli()})
			if len(rows) == 400 || i == nSys-1 {
				if err := insert(ctx, tx, db, `INSERT INTO systems (id, agency_id, name, asset_type, criticality, data_classification, created_at, updated_at)`, 8, rows); err != nil {
					return err
				}
				rows = rows[:0]
			}
		}
		for i, ag := range agencyIDs {
			if _, err := tx.ExecContext(ctx, `INSERT INTO scans (id, system_id, agency_id, kind, status, hostnames, requested_by, requested_label, created_at)
				VALUES ($1,$2,$3,'scheduled','done','[]','bench','bench',$4)`, fmt.Sprint("scan", i), systems[i].id, ag, now.UnixMilli()); err != nil {
				return err
			}
		}
		verdict := []string{"pass", "fail", ""}
		for i, s := range systems {
			host := fmt.Sprintf("s%d.gov.example", i)
			var last any
			if i%2 == 0 {
				rid := id.New()
				last = rid
				if _, err := tx.ExecContext(ctx, `INSERT INTO scan_results (id, scan_id, system_id, agency_id, hostname, scanned_at, bod_web, bod_mail,
					internetnl_web, internetnl_mail, observatory_score, observatory_grade, ssllabs, failed_checks, worst, errors, changes, result)
					VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,'B',$12,0,'',0,'[]','{}')`, rid, fmt.Sprint("scan", i%nAg), s.id, s.agency, host, now.UnixMilli(),
					verdict[rnd.IntN(3)], verdict[rnd.IntN(3)], verdict[rnd.IntN(3)], verdict[rnd.IntN(3)], rnd.IntN(101), []string{"A+", "A", "B", "F"}[rnd.IntN(4)]); err != nil {
					return err
				}
			}
			if _, err := tx.ExecContext(ctx, `INSERT INTO scan_targets (hostname, system_id, agency_id, added_at, next_due_at, last_result_id)
				VALUES ($1,$2,$3,$4,$4,$5)`, host, s.id, s.agency, now.UnixMilli(), last); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	const batch = 400
	for done := 0; done < n; {
		err := db.Tx(ctx, func(tx *sql.Tx) error {
			for k := 0; k < 50 && done < n; k++ {
				m := min(batch, n-done)
				rows := make([][]any, 0, m)
				for range m {
					s := systems[rnd.IntN(len(systems))]
					sev := severity.Severities[rnd.IntN(5)]
					created := now.Add(-time.Duration(rnd.IntN(365*24)) * time.Hour)
					rows = append(rows, []any{id.New(), s.id, s.agency, findings.Sources[rnd.IntN(6)], "Finding title", sev,
						severity.Rank(sev), findings.Statuses[rnd.IntN(6)], created.Add(30 * 24 * time.Hour).UnixMilli(), created.UnixMilli(), created.UnixMilli()})
				}
				if err := insert(ctx, tx, db, `INSERT INTO findings (id, system_id, agency_id, source, title, severity, severity_rank, status, due_at, created_at, updated_at)`, 11, rows); err != nil {
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
	if db.Engine == store.Postgres && pgURL != "" {
		// A database in use has been vacuumed by autovacuum: the visibility
		// map lets the posture query read the findings_posture index alone.
		// VACUUM cannot run in a transaction, so on its own connection.
		c, err := sql.Open("pgx", pgURL)
		if err != nil {
			return nil, err
		}
		defer c.Close()
		if _, err := c.ExecContext(ctx, "VACUUM ANALYZE"); err != nil {
			return nil, err
		}
		return codes, nil
	}
	db.Tx(ctx, func(tx *sql.Tx) error { _, err := tx.ExecContext(ctx, "ANALYZE"); return err })
	return codes, nil
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
