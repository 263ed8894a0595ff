package disclosure

import (
	"context"
	"sort"
	"strings"
	"unicode"

	"github.com/kubu-gov/kubu/internal/authz"
)

// Suggestion is a report that may be the original of another.
type Suggestion struct {
	TrackingID  string   `json:"tracking_id"`
	Title       string   `json:"title"`
	Status      string   `json:"status"`
	SubmittedAt string   `json:"submitted_at"`
	Score       float64  `json:"score"`   // 0–1
	Reasons     []string `json:"reasons"` // what matched
}

// Weights of the duplicate score.
const (
	weightSystem   = 0.25
	weightEndpoint = 0.30
	weightParam    = 0.10
	weightCWE      = 0.10
	weightText     = 0.25
	minSuggestion  = 0.30
)

// Duplicates ranks the earlier reports that may be the original of this
// one (staff): same system, same normalised endpoint and parameter, same
// CWE, similar words in title and description. At most 10, best first.
func (s *Service) Duplicates(ctx context.Context, a authz.Actor, reportID string) ([]Suggestion, error) {
	if err := authz.Check(a, authz.ReportTriage, authz.Collection()); err != nil { // no grant: refused before any lookup
		return nil, err
	}
	r, err := s.load(ctx, s.db.R(), reportID, false)
	if err != nil {
		return nil, err
	}
	if err := authz.Check(a, authz.ReportTriage, reportResource(&r)); err != nil {
		return nil, err
	}
	// Candidates: earlier reports on the same endpoint or system, and the
	// latest reports of the same programme (for text similarity).
	rows, err := s.db.R().QueryContext(ctx, `SELECT `+reportCols+reportFrom+` WHERE r.id <> $1 AND r.submitted_at <= $2 AND r.status <> 'spam'
		AND ((r.endpoint_key <> '' AND r.endpoint_key = $3) OR r.system_id = $4 OR r.programme_id = $5)
		ORDER BY r.submitted_at DESC LIMIT 500`, r.ID, r.SubmittedAt.UnixMilli(), r.EndpointKey, nullable(r.SystemID), r.ProgrammeID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	mine := words(r.Title + " " + r.Description)
	out := []Suggestion{}
	for rows.Next() {
		c, err := s.scanReport(rows)
		if err != nil {
			return nil, err
		}
		sg := Score(r, c, mine)
		if sg.Score >= minSuggestion {
			out = append(out, sg)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Score > out[j].Score })
	if len(out) > 10 {
		out = out[:10]
	}
	return out, nil
}

// Score compares report r with an earlier candidate c. mine is r's word
// set (words(r.Title+" "+r.Description)), passed in to compute it once.
func Score(r, c Report, mine map[string]bool) Suggestion {
	sg := Suggestion{TrackingID: c.ID, Title: c.Title, Status: c.Status, SubmittedAt: c.SubmittedAt.Format("2006-01-02 15:04 UTC"), Reasons: []string{}}
	if r.SystemID != "" && r.SystemID == c.SystemID {
		sg.Score += weightSystem
		sg.Reasons = append(sg.Reasons, "same system")
	}
	if r.EndpointKey != "" && r.EndpointKey == c.EndpointKey {
		sg.Score += weightEndpoint
		sg.Reasons = append(sg.Reasons, "same endpoint "+r.EndpointKey)
		if r.Parameter != "" && strings.EqualFold(r.Parameter, c.Parameter) {
			sg.Score += weightParam
			sg.Reasons = append(sg.Reasons, "same parameter "+r.Parameter)
		}
	}
	if r.CWE != nil && c.CWE != nil && *r.CWE == *c.CWE {
		sg.Score += weightCWE
		sg.Reasons = append(sg.Reasons, "same weakness")
	}
	if sim := jaccard(mine, words(c.Title+" "+c.Description)); sim > 0 {
		sg.Score += weightText * sim
		if sim >= 0.3 {
			sg.Reasons = append(sg.Reasons, "similar text")
		}
	}
	sg.Score = float64(int(sg.Score*100+0.5)) / 100
	return sg
}

// stopwords are too common in reports to tell two apart.
var stopwords = map[string]bool{"the": true, "and": true, "for": true, "with": true, "that": true, "this": true, "are": true,
	"was": true, "can": true, "from": true, "not": true, "but": true, "have": true, "has": true, "you": true, "your": true,
	"will": true, "into": true, "when": true, "then": true, "there": true, "their": true, "which": true, "any": true}

// words is the set of lower-case words of three or more letters, without
// stop words (at most the first 20,000 characters are read).
func words(s string) map[string]bool {
	if len(s) > 20000 {
		s = s[:20000]
	}
	out := map[string]bool{}
	for _, w := range strings.FieldsFunc(strings.ToLower(s), func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) }) {
		if len(w) >= 3 && !stopwords[w] {
			out[w] = true
		}
	}
	return out
}

func jaccard(a, b map[string]bool) float64 {
	if len(a) == 0 || len(b) == 0 {
		return 0
	}
	inter := 0
	for w := range a {
		if b[w] {
			inter++
		}
	}
	return float64(inter) / float64(len(a)+len(b)-inter)
}
