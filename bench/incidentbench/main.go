// Command incidentbench measures the incident queue the API and UI serve:
// it loads N incidents (default 100,000) across A agencies (default 50),
// one in ten shared by two agencies, with M linked alerts (default
// 1,000,000), into a fresh database, then times incident.Service.List
// filtered by status and agency — as an agency's member and as a central
// analyst choosing the agency — following next_cursor a few pages deep, and
// prints p50/p95/p99 and how far under the 200 ms target the p95 is.
//
//	go run ./bench/incidentbench                                                   # SQLite in a temp dir
//	go run ./bench/incidentbench -database-url postgres://postgres@127.0.0.1:5432/test
package main

import (
	"context"
	"database/sql"
	"flag"
	"fmt"
	"log"
	"math/rand/v2"
	"os"
	"runtime/pprof"
	"slices"
	"strings"
	"time"

	"github.com/kubu-gov/kubu/internal/audit"
	"github.com/kubu-gov/kubu/internal/authz"
	"github.com/kubu-gov/kubu/internal/findings"
	"github.com/kubu-gov/kubu/internal/id"
	"github.com/kubu-gov/kubu/internal/incident"
	"github.com/kubu-gov/kubu/internal/keys"
	"github.com/kubu-gov/kubu/internal/registry"
	"github.com/kubu-gov/kubu/internal/store"
)

func main() {
	n := flag.Int("incidents", 100_000, "incidents to load")
	nAlerts := flag.Int("alerts", 1_000_000, "linked alerts to load")
	nAg := flag.Int("agencies", 50, "agencies")
	queries := flag.Int("queries", 400, "queue requests to time (each follows up to -pages pages)")
	pages := flag.Int("pages", 3, "pages followed per request chain")
	dbURL := flag.String("database-url", "", "PostgreSQL URL (a fresh schema is made in it); empty = SQLite in a temp dir")
	cpuprofile := flag.String("cpuprofile", "", "write a CPU profile of the load and the queries to this file")
	flag.Parse()
	ctx := context.Background()
	if *cpuprofile != "" {
		f, err := os.Create(*cpuprofile)
		if err != nil {
			log.Fatal(err)
		}
		pprof.StartCPUProfile(f)
		defer pprof.StopCPUProfile()
	}

	opts := store.Options{}
	var cleanup func()
	if *dbURL == "" {
		dir, _ := os.MkdirTemp("", "incidentbench")
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
	svc := incident.New(db, al, reg, findings.New(db, al, reg), incident.Options{})
	admin := authz.Actor{UserID: "bench", Role: authz.WogAdmin}

	start := time.Now()
	agencyIDs, err := load(ctx, db, reg, admin, *n, *nAlerts, *nAg)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("engine %s: loaded %d incidents and %d linked alerts across %d agencies in %.1fs\n", db.Engine, *n, *nAlerts, *nAg, time.Since(start).Seconds())

	memberP95 := measure(ctx, svc, db.Engine, agencyIDs, "agency member", *queries, *pages, func(ag string) authz.Actor {
		return authz.Actor{UserID: "m", Role: authz.AgencyMember, AgencyID: ag}
	})
	measure(ctx, svc, db.Engine, agencyIDs, "analyst + agency", *queries, *pages, func(string) authz.Actor {
		return authz.Actor{UserID: "a", Role: authz.Analyst}
	})
	fmt.Printf("engine %s: queue p95 %.2f ms: %.1f× under the 200 ms target\n", db.Engine, ms(memberP95), 200/max(ms(memberP95), 0.001))
}

// measure times the queue for random agencies and statuses.
func measure(ctx context.Context, svc *incident.Service, engine store.Engine, agencyIDs []string, who string, queries, pages int, actor func(ag string) authz.Actor) time.Duration {
	rnd := rand.New(rand.NewPCG(1, 2))
	var lat []time.Duration
	var rows int
	for range queries {
		ag := agencyIDs[rnd.IntN(len(agencyIDs))]
		f := incident.Filter{Statuses: []string{incident.Statuses[rnd.IntN(len(incident.Statuses))]}, AgencyID: ag, Limit: 50}
		for range pages {
			t := time.Now()
			p, err := svc.List(ctx, actor(ag), f)
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
	return report(engine, "queue as "+who, lat, rows, pages)
}

func report(engine store.Engine, what string, lat []time.Duration, rows, pages int) time.Duration {
	slices.Sort(lat)
	pct := func(p float64) time.Duration { return lat[int(p*float64(len(lat)-1))] }
	fmt.Printf("engine %s %-24s: %d requests (status + agency, 50 a page, up to %d pages deep), %d rows: p50 %.2f ms  p95 %.2f ms  p99 %.2f ms  max %.2f ms\n",
		engine, what, len(lat), pages, rows, ms(pct(0.50)), ms(pct(0.95)), ms(pct(0.99)), ms(lat[len(lat)-1]))
	return pct(0.95)
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// statusOf draws a status: most incidents are closed, as in a year of work.
func statusOf(rnd *rand.Rand) string {
	switch x := rnd.IntN(100); {
	case x < 7:
		return incident.StatusNew
	case x < 17:
		return incident.StatusAnalysing
	case x < 25:
		return incident.StatusContained
	case x < 30:
		return incident.StatusEradicated
	case x < 40:
		return incident.StatusRecovered
	}
	return incident.StatusClosed
}

// load creates the agencies through the registry, then bulk-inserts the
// incidents, their agencies, alerts and links with SQL (the columns
// incident.Service.Create and detection write).
func load(ctx context.Context, db *store.DB, reg *registry.Registry, admin authz.Actor, n, nAlerts, nAg int) ([]string, error) {
	var agencyIDs, codes []string
	for i := range nAg {
		ag, err := reg.CreateAgency(ctx, admin, registry.NewAgency{Code: fmt.Sprintf("AG%03d", i), Name: fmt.Sprintf("Agency %d", i)})
		if err != nil {
			return nil, err
		}
		agencyIDs, codes = append(agencyIDs, ag.ID), append(codes, ag.Code)
	}
	rnd := rand.New(rand.NewPCG(3, 4))
	now := time.Now()
	sevs := incident.Severities
	type inc struct {
		id       string
		agencies []int
		status   string
		created  time.Time
	}
	incs := make([]inc, n)
	for i := range incs {
		a := rnd.IntN(nAg)
		x := inc{id: id.New(), agencies: []int{a}, status: statusOf(rnd), created: now.Add(-time.Duration(rnd.IntN(365*24*60)) * time.Minute)}
		if rnd.IntN(10) == 0 {
			x.agencies = append(x.agencies, (a+1+rnd.IntN(nAg-1))%nAg)
		}
		incs[i] = x
	}
	ins := newInserter(ctx, db)
	for _, x := range incs {
		sev := sevs[rnd.IntN(len(sevs))]
		c := x.created.UnixMilli()
		var ack, contain, recover, closed any
		i := slices.Index(incident.Statuses, x.status)
		if i >= 1 {
			ack = c + int64(rnd.IntN(3600_000))
		}
		if i >= 2 {
			contain = c + int64(rnd.IntN(86400_000))
		}
		if i >= 4 {
			recover = c + int64(rnd.IntN(3*86400_000))
		}
		if i == 5 {
			closed = c + int64(4*86400_000)
		}
		ins.add("incidents", []string{"id", "title", "severity", "severity_rank", "category", "status", "started_at", "acknowledged_at", "contained_at",
			"recovered_at", "closed_at", "ack_due_at", "contain_due_at", "recover_due_at", "created_by", "created_at", "updated_at"},
			x.id, "Incident "+x.id[20:], sev, 4-slices.Index(sevs, sev), incident.CategoryCodes()[rnd.IntN(len(incident.Categories))], x.status,
			c, ack, contain, recover, closed, c+3600_000, c+86400_000, c+3*86400_000, "bench", c, c)
		for _, a := range x.agencies {
			ins.add("incident_agencies", []string{"incident_id", "agency_id", "status"}, x.id, agencyIDs[a], x.status)
		}
	}
	for k := range nAlerts {
		x := incs[k%n]
		a := x.agencies[rnd.IntN(len(x.agencies))]
		aid := id.New()
		first := x.created.Add(-time.Duration(rnd.IntN(120)) * time.Minute).UnixMilli()
		ins.add("alerts", []string{"id", "rule_id", "rule_title", "level", "level_rank", "agency_id", "agency", "kind", "group_key", "status",
			"first_seen", "last_seen", "event_count", "created_at", "updated_at"},
			aid, fmt.Sprintf("rule-%d", rnd.IntN(500)), "A Sigma rule", "high", 3, agencyIDs[a], codes[a], "detection", `{"host":"h"}`, "acknowledged",
			first, first+60_000, 1+rnd.IntN(50), first, first)
		ins.add("incident_alerts", []string{"alert_id", "incident_id", "agency_id", "first_seen", "linked_by", "linked_at"},
			aid, x.id, agencyIDs[a], first, "bench", x.created.UnixMilli())
	}
	if err := ins.flush(); err != nil {
		return nil, err
	}
	if ins.err != nil {
		return nil, ins.err
	}
	err := db.Tx(ctx, func(tx *sql.Tx) error { _, err := tx.ExecContext(ctx, "ANALYZE"); return err })
	return agencyIDs, err
}

// inserter writes rows in multi-row INSERTs of up to 400 rows, 20
// statements a transaction.
type inserter struct {
	ctx     context.Context
	db      *store.DB
	pending map[string]*batch
	order   []string
	err     error
}

type batch struct {
	cols []string
	rows [][]any
}

func newInserter(ctx context.Context, db *store.DB) *inserter {
	return &inserter{ctx: ctx, db: db, pending: map[string]*batch{}}
}

func (in *inserter) add(table string, cols []string, vals ...any) {
	if in.err != nil {
		return
	}
	b := in.pending[table]
	if b == nil {
		b = &batch{cols: cols}
		in.pending[table] = b
		in.order = append(in.order, table)
	}
	b.rows = append(b.rows, vals)
	if len(b.rows) >= 400*20 {
		in.err = in.flush()
	}
}

// flush writes everything pending, tables in the order first seen (so
// links follow what they link).
func (in *inserter) flush() error {
	return in.db.Tx(in.ctx, func(tx *sql.Tx) error {
		for _, table := range in.order {
			b := in.pending[table]
			for len(b.rows) > 0 {
				m := min(400, len(b.rows))
				var sb strings.Builder
				sb.WriteString("INSERT INTO " + table + " (" + strings.Join(b.cols, ", ") + ") VALUES ")
				args := make([]any, 0, m*len(b.cols))
				for i, row := range b.rows[:m] {
					if i > 0 {
						sb.WriteByte(',')
					}
					sb.WriteByte('(')
					for j := range row {
						if j > 0 {
							sb.WriteByte(',')
						}
						if in.db.Engine == store.SQLite {
							sb.WriteByte('?') // SQLite looks $N names up one by one: O(n²) for thousands
						} else {
							fmt.Fprintf(&sb, "$%d", len(args)+j+1)
						}
					}
					sb.WriteByte(')')
					args = append(args, row...)
				}
				if _, err := tx.ExecContext(in.ctx, sb.String(), args...); err != nil {
					return fmt.Errorf("insert into %s: %w", table, err)
				}
				b.rows = b.rows[m:]
			}
		}
		return nil
	})
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
