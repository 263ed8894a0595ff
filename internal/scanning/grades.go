package scanning

import (
	"context"
	"database/sql"
	"math"
	"sort"
	"time"

	"github.com/kubu-gov/kubu/internal/authz"
	"github.com/kubu-gov/kubu/internal/store"
)

// Posture is the scan grades of an agency's names, or of the whole of
// government's, from each name's latest result: for the posture pages.
type Posture struct {
	Agency         string         `json:"agency,omitempty"` // the agency's code; empty for the whole of government
	AgencyID       string         `json:"agency_id,omitempty"`
	Names          int            `json:"names"`   // registered names that are scan targets
	Scanned        int            `json:"scanned"` // names with a result
	LastScannedAt  *time.Time     `json:"last_scanned_at"`
	BODWeb         PassFail       `json:"bod_web"`
	BODMail        PassFail       `json:"bod_mail"`
	InternetNLWeb  PassFail       `json:"internetnl_web"`
	InternetNLMail PassFail       `json:"internetnl_mail"`
	SSLLabs        map[string]int `json:"ssllabs"`     // grade → names
	Observatory    map[string]int `json:"observatory"` // grade → names
	// ObservatoryMean is the mean Observatory score of the names with a
	// live site (null when none).
	ObservatoryMean *float64 `json:"observatory_mean"`
	// OpenFindings counts the open scan findings by severity.
	OpenFindings map[string]int `json:"open_findings"`
	// Score is the share, 0–100, of the applicable verdicts that pass over
	// the latest results: BOD 18-01 and internet.nl web and mail, SSL Labs
	// A or A+, Observatory B or better (70+). Null before any verdict.
	Score *int `json:"score"`
}

// PassFail counts names passing and failing one verdict (names where it
// does not apply are in neither).
type PassFail struct {
	Pass int `json:"pass"`
	Fail int `json:"fail"`
}

func (p *PassFail) add(v string, pass, total *int) {
	switch v {
	case "pass":
		p.Pass++
		*pass++
		*total++
	case "fail":
		p.Fail++
		*total++
	}
}

// PostureReport is the whole of government (for callers who see it) and
// one row per agency the caller may see.
type PostureReport struct {
	WholeOfGovernment *Posture  `json:"whole_of_government"`
	Agencies          []Posture `json:"agencies"`
}

// Grades returns the scan posture of the agencies the caller may see
// (agencyID narrows it to one), and of the whole of government when the
// caller sees every agency.
func (s *Service) Grades(ctx context.Context, a authz.Actor, agencyID string) (PostureReport, error) {
	rep := PostureReport{Agencies: []Posture{}}
	sc, err := authz.ScopeFor(a, authz.ScanRead)
	if err != nil {
		return rep, err
	}
	if agencyID != "" {
		if err := authz.Check(a, authz.ScanRead, authz.Record(agencyID)); err != nil {
			return rep, err
		}
	}
	var wh store.Where
	sc.Where(&wh, "a.id", "")
	if agencyID != "" {
		wh.And("a.id = " + wh.Arg(agencyID))
	}
	rows, err := s.db.R().QueryContext(ctx, `SELECT a.id, a.code, t.hostname, r.scanned_at, r.bod_web, r.bod_mail, r.internetnl_web,
		r.internetnl_mail, r.observatory_score, r.observatory_grade, r.ssllabs
		FROM agencies a JOIN scan_targets t ON t.agency_id = a.id LEFT JOIN scan_results r ON r.id = t.last_result_id`+wh.SQL()+
		` ORDER BY a.code`, wh.Args()...)
	if err != nil {
		return rep, err
	}
	defer rows.Close()
	by := map[string]*tally{}
	var order []string
	all := newTally("", "")
	for rows.Next() {
		var agID, code, host string
		var at, obs sql.NullInt64
		var g Grades
		if err := rows.Scan(&agID, &code, &host, &at, &g.BODWeb, &g.BODMail, &g.InternetNLWeb, &g.InternetNLMail, &obs, &g.ObservatoryGrade, &g.SSLLabs); err != nil {
			return rep, err
		}
		t := by[agID]
		if t == nil {
			t = newTally(agID, code)
			by[agID] = t
			order = append(order, agID)
		}
		scanned := at.Valid
		if obs.Valid {
			n := int(obs.Int64)
			g.ObservatoryScore = &n
		}
		t.add(scanned, at.Int64, g)
		all.add(scanned, at.Int64, g)
	}
	if err := rows.Err(); err != nil {
		return rep, err
	}
	rows.Close()
	// Open scan findings by agency and severity.
	var fw store.Where
	sc.Where(&fw, "f.agency_id", "")
	fw.And("f.source = 'scan'")
	fw.And("f.status IN ('open', 'in-progress')")
	if agencyID != "" {
		fw.And("f.agency_id = " + fw.Arg(agencyID))
	}
	frows, err := s.db.R().QueryContext(ctx, `SELECT f.agency_id, f.severity, COUNT(*) FROM findings f`+fw.SQL()+` GROUP BY f.agency_id, f.severity`, fw.Args()...)
	if err != nil {
		return rep, err
	}
	defer frows.Close()
	for frows.Next() {
		var agID, sev string
		var n int
		if err := frows.Scan(&agID, &sev, &n); err != nil {
			return rep, err
		}
		if t := by[agID]; t != nil {
			t.p.OpenFindings[sev] += n
		}
		all.p.OpenFindings[sev] += n
	}
	if err := frows.Err(); err != nil {
		return rep, err
	}
	sort.SliceStable(order, func(i, j int) bool { return by[order[i]].p.Agency < by[order[j]].p.Agency })
	for _, id := range order {
		rep.Agencies = append(rep.Agencies, by[id].done())
	}
	if sc.All && agencyID == "" {
		p := all.done()
		rep.WholeOfGovernment = &p
	}
	return rep, nil
}

type tally struct {
	p           Posture
	pass, total int
	obsSum      int
	obsN        int
	last        int64
}

func newTally(id, code string) *tally {
	return &tally{p: Posture{AgencyID: id, Agency: code, SSLLabs: map[string]int{}, Observatory: map[string]int{}, OpenFindings: map[string]int{}}}
}

func (t *tally) add(scanned bool, at int64, g Grades) {
	t.p.Names++
	if !scanned {
		return
	}
	t.p.Scanned++
	if at > t.last {
		t.last = at
	}
	t.p.BODWeb.add(g.BODWeb, &t.pass, &t.total)
	t.p.BODMail.add(g.BODMail, &t.pass, &t.total)
	t.p.InternetNLWeb.add(g.InternetNLWeb, &t.pass, &t.total)
	t.p.InternetNLMail.add(g.InternetNLMail, &t.pass, &t.total)
	if g.SSLLabs != "" {
		t.p.SSLLabs[g.SSLLabs]++
		t.total++
		if g.SSLLabs == "A" || g.SSLLabs == "A+" {
			t.pass++
		}
	}
	if g.ObservatoryScore != nil {
		t.p.Observatory[g.ObservatoryGrade]++
		t.obsSum += *g.ObservatoryScore
		t.obsN++
		t.total++
		if *g.ObservatoryScore >= 70 {
			t.pass++
		}
	}
}

func (t *tally) done() Posture {
	p := t.p
	if t.last > 0 {
		at := time.UnixMilli(t.last).UTC()
		p.LastScannedAt = &at
	}
	if t.obsN > 0 {
		m := math.Round(float64(t.obsSum)/float64(t.obsN)*10) / 10
		p.ObservatoryMean = &m
	}
	if t.total > 0 {
		n := int(math.Round(100 * float64(t.pass) / float64(t.total)))
		p.Score = &n
	}
	return p
}
