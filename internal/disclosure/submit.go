package disclosure

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/base32"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/kubu-gov/kubu/internal/audit"
	"github.com/kubu-gov/kubu/internal/authz"
	"github.com/kubu-gov/kubu/internal/id"
	"github.com/kubu-gov/kubu/internal/mail"
	"github.com/kubu-gov/kubu/internal/validate"
)

// NewReport is a submission.
type NewReport struct {
	Programme     string   `json:"programme"` // id or slug; empty means the VDP
	SystemID      string   `json:"system_id"`
	Title         string   `json:"title"`
	Description   string   `json:"description"`
	Steps         string   `json:"steps"`
	Impact        string   `json:"impact"`
	AffectedURL   string   `json:"affected_url"`
	Parameter     string   `json:"parameter"`
	AssetType     string   `json:"asset_type"`
	CWE           *int     `json:"cwe"`
	CVSSVector    string   `json:"cvss_vector"`
	Severity      string   `json:"severity"` // the reporter's estimate when there is no vector
	ReporterEmail string   `json:"reporter_email"`
	Uploads       []Upload `json:"-"`
}

// Limits on a report's text.
const (
	MaxTitle = 300
	MaxBody  = 100_000
)

func (in *NewReport) validate(anonymous bool) (CVSS, error) {
	var v validate.Errors
	in.Title = strings.TrimSpace(in.Title)
	in.ReporterEmail = strings.TrimSpace(in.ReporterEmail)
	in.AffectedURL = strings.TrimSpace(in.AffectedURL)
	in.Parameter = strings.TrimSpace(in.Parameter)
	v.Required("title", in.Title, MaxTitle)
	v.Required("description", in.Description, MaxBody)
	v.MaxLen("steps", in.Steps, MaxBody)
	v.MaxLen("impact", in.Impact, MaxBody)
	v.MaxLen("affected_url", in.AffectedURL, 2000)
	v.MaxLen("parameter", in.Parameter, 200)
	if in.AssetType != "" {
		v.OneOf("asset_type", in.AssetType, AssetTypes)
	}
	if in.CWE != nil && (*in.CWE < 1 || *in.CWE > 100000) {
		v.Add("cwe", "must be a CWE number")
	}
	v.MaxLen("system_id", in.SystemID, 64)
	if in.ReporterEmail != "" {
		if !anonymous {
			v.Add("reporter_email", "researchers are reached through their account")
		} else {
			v.Email("reporter_email", in.ReporterEmail)
			v.MaxLen("reporter_email", in.ReporterEmail, 254)
		}
	}
	var c CVSS
	if in.CVSSVector != "" {
		var err error
		if c, err = ParseCVSS(in.CVSSVector); err != nil {
			v.Add("cvss_vector", "%v", err)
		}
	} else if in.Severity != "" {
		v.OneOf("severity", in.Severity, severities)
	}
	if err := checkUploads(in.Uploads, 0); err != nil {
		var fe validate.Errors
		if errors.As(err, &fe) {
			v = append(v, fe...)
		}
	}
	return c, v.Err()
}

// contentHash commits to what the reporter sent: a SHA-256 over the
// canonical JSON of the text fields and the attachments' hashes.
func contentHash(in *NewReport, attachmentHashes []string) string {
	b, _ := json.Marshal([]any{in.Title, in.Description, in.Steps, in.Impact, in.AffectedURL, in.Parameter, in.CWE,
		in.CVSSVector, attachmentHashes})
	return sha256Hex(b)
}

// newToken returns a follow-up token: 160 random bits.
func newToken() string {
	b := make([]byte, 20)
	rand.Read(b)
	return "vdp_" + strings.ToLower(base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(b))
}

// Receipt is what a submission returns.
type Receipt struct {
	TrackingID string `json:"tracking_id"`
	Token      string `json:"token,omitempty"` // anonymous reporters only; shown once
	Report     Report `json:"-"`
}

// Submit records a report. Anyone may submit to a public programme (the
// VDP) and gets a follow-up token; registered, verified researchers may
// submit to the programmes they may see while they are open. The content
// hash and submission time are committed to the audit log in the same
// transaction, and the programme's current reward table is frozen on the
// report.
func (s *Service) Submit(ctx context.Context, a authz.Actor, in NewReport) (Receipt, error) {
	anonymous := !a.Authenticated()
	if !anonymous {
		if err := authz.Check(a, authz.ReportSubmit, authz.Collection()); err != nil {
			return Receipt{}, err
		}
	}
	key := in.Programme
	if key == "" {
		key = VDPSlug
	}
	p, err := s.Programme(ctx, a, key)
	if errors.Is(err, authz.ErrNotFound) {
		return Receipt{}, validate.Errors{{Field: "programme", Message: "no such programme"}}
	}
	if err != nil {
		return Receipt{}, err
	}
	if anonymous && p.Access != "public" {
		return Receipt{}, authz.ErrUnauthenticated
	}
	now := s.stamp()
	if !p.Open(now) {
		return Receipt{}, validate.Errors{{Field: "programme", Message: "this programme is not taking reports now"}}
	}
	if !anonymous {
		if ok, err := s.verified(ctx, a.UserID); err != nil {
			return Receipt{}, err
		} else if !ok {
			return Receipt{}, validate.Errors{{Field: "researcher", Message: "verify your email address before submitting"}}
		}
	}
	c, err := in.validate(anonymous)
	if err != nil {
		return Receipt{}, err
	}
	ep := NormaliseURL(in.AffectedURL)
	r := Report{ID: id.Random(), ProgrammeID: p.ID, Programme: p.Name, ProgrammeKind: p.Kind, Title: in.Title,
		Description: in.Description, Steps: in.Steps, Impact: in.Impact, AffectedURL: in.AffectedURL, EndpointKey: ep.Key,
		Parameter: in.Parameter, AssetType: in.AssetType, CWE: in.CWE, Severity: in.Severity, Status: "new",
		SubmittedAt: now, UpdatedAt: now, targets: p.Targets, RewardVersion: p.RewardVersion, RewardTable: p.RewardTable}
	if r.Parameter == "" && len(ep.Params) == 1 {
		r.Parameter = ep.Params[0]
	}
	if in.CVSSVector != "" {
		r.CVSSVector, r.CVSSScore, r.Severity = c.Vector, &c.Score, c.Severity
	}
	// A system the reporter names is taken when it is in the programme's
	// scope. A made-up or out-of-scope one is ignored — the report is
	// placed by its URL, or by triage — and the answer is the same as for a
	// real one, so that the public form tells no one which ids exist.
	if in.SystemID != "" {
		sys, err := s.registry.LookupSystem(ctx, in.SystemID)
		switch {
		case err == nil && p.inScope(sys):
			r.SystemID, r.AgencyID = sys.ID, sys.AgencyID
			if r.AssetType == "" {
				r.AssetType = sys.AssetType
			}
		case err != nil && !errors.Is(err, authz.ErrNotFound):
			return Receipt{}, err
		}
	}
	if r.SystemID == "" && ep.Host != "" {
		if hs, ok := s.hosts.lookup(ctx, ep.Host); ok && (len(p.SystemIDs) == 0 || slices.Contains(p.SystemIDs, hs.SystemID)) {
			r.SystemID, r.AgencyID = hs.SystemID, hs.AgencyID
			if r.AssetType == "" && slices.Contains(AssetTypes, hs.AssetType) {
				r.AssetType = hs.AssetType
			}
		}
	}
	if !anonymous {
		r.ResearcherID = a.UserID
	}
	files, err := prepareUploads(in.Uploads, s.files, r.ID, "", a)
	if err != nil {
		return Receipt{}, err
	}
	hashes := make([]string, len(files))
	for i, f := range files {
		hashes[i] = f.SHA256
	}
	r.ContentHash = contentHash(&in, hashes)
	var token, email string
	if anonymous {
		token = newToken()
		r.tokenHash = hashToken(token)
		if in.ReporterEmail != "" {
			email = s.pii.SealString(in.ReporterEmail, r.ID)
		}
	}
	job := &submitJob{r: &r, email: email, files: files, hashes: hashes, anonymous: anonymous, actor: a.AuditActor(), done: make(chan error, 1)}
	if err := s.commit(ctx, job); err != nil {
		return Receipt{}, err
	}
	if in.ReporterEmail != "" {
		s.sendMail(mail.Message{To: []string{in.ReporterEmail}, Subject: "Report " + r.ID + " received",
			Body: "Thank you for your report \"" + oneLine(r.Title) + "\".\n\nTracking id: " + r.ID +
				"\nFollow it at " + s.link("/vdp/track") + " with the token you were shown when you submitted it.\n\n" +
				"We aim to respond within " + describeTarget(p.Targets.FirstResponseDays, p.Targets.BusinessDays) + ".\n"})
	}
	r.Attachments = attachmentsOf(files)
	return Receipt{TrackingID: r.ID, Token: token, Report: r}, nil
}

// insertReport writes a submission and its audit entry inside tx.
func (s *Service) insertReport(ctx context.Context, tx *sql.Tx, j *submitJob) error {
	r := j.r
	table := ""
	if r.RewardTable != nil {
		table = jsonText(r.RewardTable)
	}
	_, err := tx.ExecContext(ctx, `INSERT INTO reports (id, programme_id, system_id, agency_id, researcher_id, reporter_email,
		token_hash, title, description, steps, impact, affected_url, endpoint_key, parameter, asset_type, cwe, cvss_vector,
		cvss_score, severity, status, content_hash, reward_version, reward_table, submitted_at, updated_at)
		VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15,$16,$17,$18,$19,$20,$21,$22,$23,$24,$24)`,
		r.ID, r.ProgrammeID, nullable(r.SystemID), r.AgencyID, r.ResearcherID, j.email, r.tokenHash, r.Title, r.Description,
		r.Steps, r.Impact, r.AffectedURL, r.EndpointKey, r.Parameter, r.AssetType, r.CWE, r.CVSSVector, r.CVSSScore,
		r.Severity, r.Status, r.ContentHash, r.RewardVersion, table, r.SubmittedAt.UnixMilli())
	if err != nil {
		return fmt.Errorf("insert report: %w", err)
	}
	for _, f := range j.files {
		if err := insertAttachment(ctx, tx, f); err != nil {
			return err
		}
	}
	_, err = s.audit.Append(ctx, tx, audit.Entry{Code: ReportSubmitted, Actor: j.actor, AgencyID: r.AgencyID,
		TargetType: "report", TargetID: r.ID, After: map[string]any{
			"programme_id": r.ProgrammeID, "system_id": r.SystemID, "content_hash": r.ContentHash,
			"submitted_at": r.SubmittedAt, "severity": r.Severity, "cvss_vector": r.CVSSVector, "cwe": r.CWE,
			"reward_version": r.RewardVersion, "attachments": j.hashes, "anonymous": j.anonymous,
		}})
	return err
}

func nullable(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func oneLine(s string) string {
	s = strings.Map(func(r rune) rune {
		if r == '\r' || r == '\n' {
			return ' '
		}
		return r
	}, s)
	if len([]rune(s)) > 80 {
		s = string([]rune(s)[:80]) + "…"
	}
	return s
}

func describeTarget(days int, business bool) string {
	if days <= 0 {
		return "a reasonable time"
	}
	unit := "day"
	if business {
		unit = "business day"
	}
	if days != 1 {
		unit += "s"
	}
	return fmt.Sprintf("%d %s", days, unit)
}

func (s *Service) link(path string) string {
	if s.publicURL == "" {
		return path
	}
	return s.publicURL + path
}
