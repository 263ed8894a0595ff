package scanning

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	"github.com/kubu-gov/kubu/internal/authz"
	"github.com/kubu-gov/kubu/internal/scan"
	"github.com/kubu-gov/kubu/internal/scan/grade"
	"github.com/kubu-gov/kubu/internal/store"
)

// Disagreement is one way two standards judge the same part differently,
// with the names (latest results) where they do.
type Disagreement struct {
	Standards [2]string `json:"standards"`
	Part      string    `json:"part"`
	Verdicts  [2]string `json:"verdicts"`
	Why       string    `json:"why"`
	Names     []NameRef `json:"names"`
}

// NameRef points at one name of one system.
type NameRef struct {
	Hostname string `json:"hostname"`
	SystemID string `json:"system_id"`
	System   string `json:"system"`
	Agency   string `json:"agency"`
}

// MaxDisagreementNames bounds how many latest results Disagreements reads.
const MaxDisagreementNames = 2000

// Disagreements lists where two standards disagree and why over the latest
// result of each name the caller may see (agencyID narrows it), the most
// common first. It reads at most MaxDisagreementNames results, newest
// first, and says how many it read.
func (s *Service) Disagreements(ctx context.Context, a authz.Actor, agencyID string) ([]Disagreement, int, error) {
	sc, err := authz.ScopeFor(a, authz.ScanRead)
	if err != nil {
		return nil, 0, err
	}
	var wh store.Where
	sc.Where(&wh, "r.agency_id", "")
	if agencyID != "" {
		wh.And("r.agency_id = " + wh.Arg(agencyID))
	}
	wh.And("r.id IN (SELECT last_result_id FROM scan_targets WHERE last_result_id IS NOT NULL)")
	rows, err := s.db.R().QueryContext(ctx, `SELECT r.hostname, r.system_id, s.name, a.code, r.result`+resultFrom+wh.SQL()+
		` ORDER BY r.scanned_at DESC, r.id DESC LIMIT `+wh.Arg(MaxDisagreementNames), wh.Args()...)
	if err != nil {
		return nil, 0, err
	}
	defer rows.Close()
	by := map[string]*Disagreement{}
	read := 0
	for rows.Next() {
		var ref NameRef
		var raw string
		if err := rows.Scan(&ref.Hostname, &ref.SystemID, &ref.System, &ref.Agency, &raw); err != nil {
			return nil, read, err
		}
		read++
		r := new(scan.Result)
		if err := json.Unmarshal([]byte(raw), r); err != nil {
			return nil, read, fmt.Errorf("result of %s: %w", ref.Hostname, err)
		}
		for _, d := range grade.Disagreements(r) {
			key := strings.Join([]string{d.Standards[0], d.Standards[1], d.Part, d.Verdicts[0], d.Verdicts[1], d.Why}, "\x00")
			g := by[key]
			if g == nil {
				g = &Disagreement{Standards: d.Standards, Part: d.Part, Verdicts: d.Verdicts, Why: d.Why}
				by[key] = g
			}
			g.Names = append(g.Names, ref)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, read, err
	}
	out := make([]Disagreement, 0, len(by))
	for _, g := range by {
		sort.Slice(g.Names, func(i, j int) bool { return g.Names[i].Hostname < g.Names[j].Hostname })
		out = append(out, *g)
	}
	sort.Slice(out, func(i, j int) bool {
		if len(out[i].Names) != len(out[j].Names) {
			return len(out[i].Names) > len(out[j].Names)
		}
		return out[i].Why < out[j].Why
	})
	return out, read, nil
}
