package scanning

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"database/sql"
	"fmt"
	"testing"
	"time"

	"github.com/kubu-gov/kubu/internal/audit"
	"github.com/kubu-gov/kubu/internal/authz"
	"github.com/kubu-gov/kubu/internal/findings"
	"github.com/kubu-gov/kubu/internal/id"
	"github.com/kubu-gov/kubu/internal/keys"
	"github.com/kubu-gov/kubu/internal/registry"
	"github.com/kubu-gov/kubu/internal/scan"
	"github.com/kubu-gov/kubu/internal/scan/farm"
	"github.com/kubu-gov/kubu/internal/store"
	"github.com/kubu-gov/kubu/internal/store/storetest"
)

// BenchmarkRecord measures the server's side of a scan: storing one name's
// result in its transaction (the previous result read and compared, the
// findings opened, reopened or closed, the result row, the target's
// cadence, the audit entry), against the engine scanning one name of the
// same farm in the same run. Results alternate between a weak and a fixed
// site, so every record opens or closes findings.
//
//	go test -run XXX -bench Record -benchtime 400x ./internal/scanning
func BenchmarkRecord(b *testing.B) {
	f, err := farm.New(86)
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	weak := farm.Good("bench-weak")
	weak.HTTPS = &farm.TLSSpec{MinVersion: tls.VersionTLS10}
	weak.Site.Headers = nil
	stWeak, err := f.Add(weak)
	if err != nil {
		b.Fatal(err)
	}
	stGood, err := f.Add(farm.Good("bench-good"))
	if err != nil {
		b.Fatal(err)
	}
	eng, err := scan.New(scan.Options{Resolver: f.DNS.Addr, Roots: f.Roots(), Intermediates: []*x509.Certificate{f.CA.Intermediate},
		TrustAnchors: f.Anchors(), Ports: scan.Ports{HTTP: f.Ports.HTTP, HTTPS: f.Ports.HTTPS, SMTP: f.Ports.SMTP}})
	if err != nil {
		b.Fatal(err)
	}
	defer eng.Close()
	ctx := context.Background()
	var scanTime time.Duration
	results := make([]*scan.Result, 2)
	for i, name := range []string{stWeak.Name, stGood.Name} {
		start := time.Now()
		if results[i], err = eng.Scan(ctx, name); err != nil {
			b.Fatal(err)
		}
		scanTime += time.Since(start)
	}
	perScan := scanTime / 2
	for _, e := range []store.Engine{store.SQLite, store.Postgres} {
		b.Run(string(e), func(b *testing.B) {
			db := storetest.Open(b, e)
			ring, _ := keys.New(bytes.Repeat([]byte{7}, 32))
			log := audit.New(db, ring)
			reg := registry.New(db, log)
			find := findings.New(db, log, reg)
			s := New(db, log, reg, find, Options{NodeID: "bench"})
			admin := authz.Actor{UserID: "u", Email: "admin@example.gov", Role: authz.WogAdmin}
			if _, err := reg.CreateAgency(ctx, admin, registry.NewAgency{Code: "MOH", Name: "Ministry of Health"}); err != nil {
				b.Fatal(err)
			}
			const names = 50
			hosts := make([]string, names)
			for i := range hosts {
				hosts[i] = fmt.Sprintf("n%d.bench.example", i)
			}
			name := "Bench"
			sys, err := reg.CreateSystem(ctx, admin, registry.SystemInput{Agency: "MOH", Name: &name, Hostnames: &hosts})
			if err != nil {
				b.Fatal(err)
			}
			if _, _, _, err := s.Sync(ctx); err != nil {
				b.Fatal(err)
			}
			newJob := func() job {
				j := job{ID: id.New(), SystemID: sys.ID, AgencyID: sys.AgencyID, Kind: "scheduled", Hostnames: hosts}
				err := db.Tx(ctx, func(tx *sql.Tx) error {
					if err := s.insertScan(ctx, tx, j.ID, sys.ID, sys.AgencyID, "scheduled", hosts, scanActor, s.now()); err != nil {
						return err
					}
					_, err := tx.ExecContext(ctx, `UPDATE scans SET status='running', lease_owner='bench', lease_until=$1 WHERE id=$2`,
						s.now().Add(time.Hour).UnixMilli(), j.ID)
					return err
				})
				if err != nil {
					b.Fatal(err)
				}
				return j
			}
			var j job
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if i%names == 0 {
					b.StopTimer()
					j = newJob()
					b.StartTimer()
				}
				r := *results[(i/names)%2] // a whole scan round weak, the next fixed
				r.Name = hosts[i%names]
				if err := s.record(ctx, j, sys, &r); err != nil {
					b.Fatal(err)
				}
			}
			b.StopTimer()
			per := b.Elapsed() / time.Duration(b.N)
			b.ReportMetric(float64(time.Second)/float64(per), "results/s")
			b.ReportMetric(float64(perScan)/float64(per), "×engine")
			b.Logf("%s: record %s per result; the engine scanned one farm name in %s (ratio %.1f×)", e, per, perScan, float64(perScan)/float64(per))
		})
	}
}
