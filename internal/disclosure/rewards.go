package disclosure

import (
	"context"
	"database/sql"
	"errors"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/kubu-gov/kubu/internal/audit"
	"github.com/kubu-gov/kubu/internal/authz"
	"github.com/kubu-gov/kubu/internal/csvsafe"
	"github.com/kubu-gov/kubu/internal/id"
	"github.com/kubu-gov/kubu/internal/store"
	"github.com/kubu-gov/kubu/internal/validate"
)

// Reward is a proposed, approved or rejected payment for a report.
type Reward struct {
	ID           string     `json:"id"`
	ReportID     string     `json:"report_id"`
	ProgrammeID  string     `json:"programme_id"`
	Programme    string     `json:"programme"`
	ResearcherID string     `json:"researcher_id"`
	Researcher   string     `json:"researcher"`
	Currency     string     `json:"currency"`
	BaseAmount   int        `json:"base_amount"`
	BonusAmount  int        `json:"bonus_amount"`
	Amount       int        `json:"amount"`
	Exceptional  bool       `json:"exceptional"`
	TableVersion int        `json:"table_version"`
	Reason       string     `json:"reason"`
	Status       string     `json:"status"` // proposed, approved, rejected
	ProposedBy   string     `json:"proposed_by"`
	DecidedBy    string     `json:"decided_by,omitempty"`
	ProposedAt   time.Time  `json:"proposed_at"`
	DecidedAt    *time.Time `json:"decided_at,omitempty"`
}

// RewardProposal asks for a reward. Normally the amount comes from the
// table frozen on the report; an exceptional-impact reward names its
// amount, up to the table's cap, and needs a reason.
type RewardProposal struct {
	Exceptional bool   `json:"exceptional"`
	Amount      int    `json:"amount"` // exceptional only
	Reason      string `json:"reason"`
}

// Errors of the two-person rule and the second factor.
var (
	ErrSamePerson = errors.New("the person who proposed a reward cannot approve it")
	ErrNoTOTP     = errors.New("the researcher must turn on two-factor sign-in before a reward is paid")
)

// ProposeReward proposes a reward for a valid report of a researcher,
// computed from the reward table frozen on the report when it was
// submitted plus the bonuses for its asset type.
func (s *Service) ProposeReward(ctx context.Context, a authz.Actor, reportID string, in RewardProposal) (Reward, error) {
	if err := authz.Check(a, authz.RewardPropose, authz.Collection()); err != nil { // no grant: refused before any lookup
		return Reward{}, err
	}
	r, err := s.load(ctx, s.db.R(), reportID, false)
	if err != nil {
		return Reward{}, err
	}
	if err := authz.Check(a, authz.RewardPropose, reportResource(&r)); err != nil {
		return Reward{}, err
	}
	var v validate.Errors
	in.Reason = strings.TrimSpace(in.Reason)
	v.MaxLen("reason", in.Reason, 5000)
	switch {
	case r.ResearcherID == "":
		v.Add("report", "anonymous reports are not rewarded")
	case !slices.Contains(ValidStatuses, r.Status):
		v.Add("report", "only valid reports (accepted, resolved, retest, closed) are rewarded")
	case r.RewardTable == nil || len(r.RewardTable.Amounts) == 0:
		v.Add("report", "the programme had no reward table when this report was submitted")
	}
	if err := v.Err(); err != nil {
		return Reward{}, err
	}
	base, bonus := r.RewardTable.Reward(r.Severity, r.AssetType)
	rw := Reward{ID: id.New(), ReportID: r.ID, ProgrammeID: r.ProgrammeID, Programme: r.Programme, ResearcherID: r.ResearcherID,
		Researcher: r.Researcher, Currency: r.RewardTable.Currency, BaseAmount: base, BonusAmount: bonus, Amount: base + bonus,
		TableVersion: r.RewardVersion, Reason: in.Reason, Status: "proposed", ProposedBy: a.UserID, ProposedAt: s.stamp()}
	if in.Exceptional {
		switch {
		case r.RewardTable.ExceptionalCap == 0:
			v.Add("exceptional", "this report's reward table has no exceptional tier")
		case in.Amount <= 0 || in.Amount > r.RewardTable.ExceptionalCap:
			v.Add("amount", "must be between 1 and the exceptional cap of %d %s", r.RewardTable.ExceptionalCap, r.RewardTable.Currency)
		case in.Reason == "":
			v.Add("reason", "is required for an exceptional reward")
		}
		rw.Exceptional, rw.Amount, rw.BonusAmount = true, in.Amount, in.Amount-base
	} else if in.Amount != 0 && in.Amount != rw.Amount {
		v.Add("amount", "comes from the reward table (%d %s); propose an exceptional reward to pay another amount", rw.Amount, rw.Currency)
	}
	if err := v.Err(); err != nil {
		return Reward{}, err
	}
	err = s.db.Tx(ctx, func(tx *sql.Tx) error {
		var open int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM rewards WHERE report_id = $1 AND status <> 'rejected'`, r.ID).Scan(&open); err != nil {
			return err
		}
		if open > 0 {
			return validate.Errors{{Field: "report", Message: "this report already has a reward proposed or approved"}}
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO rewards (id, report_id, programme_id, researcher_id, currency, base_amount, bonus_amount,
			amount, exceptional, table_version, reason, status, proposed_by, proposed_at) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14)`,
			rw.ID, rw.ReportID, rw.ProgrammeID, rw.ResearcherID, rw.Currency, rw.BaseAmount, rw.BonusAmount, rw.Amount, boolInt(rw.Exceptional),
			rw.TableVersion, rw.Reason, rw.Status, rw.ProposedBy, rw.ProposedAt.UnixMilli())
		if err != nil {
			return err
		}
		_, err = s.audit.Append(ctx, tx, audit.Entry{Code: RewardProposed, Actor: a.AuditActor(), AgencyID: r.AgencyID,
			TargetType: "reward", TargetID: rw.ID, After: rewardAudit(rw)})
		return err
	})
	if err != nil {
		return Reward{}, err
	}
	return rw, nil
}

func rewardAudit(rw Reward) map[string]any {
	return map[string]any{"report_id": rw.ReportID, "researcher_id": rw.ResearcherID, "currency": rw.Currency,
		"base": rw.BaseAmount, "bonus": rw.BonusAmount, "amount": rw.Amount, "exceptional": rw.Exceptional,
		"table_version": rw.TableVersion, "status": rw.Status, "reason": rw.Reason}
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// DecideReward approves or rejects a proposed reward. Only a wog-admin
// other than the proposer may decide, and a reward is approved only for a
// researcher who has turned on two-factor sign-in.
func (s *Service) DecideReward(ctx context.Context, a authz.Actor, rewardID string, approve bool, reason string) (Reward, error) {
	if err := authz.Check(a, authz.RewardApprove, authz.Record()); err != nil {
		return Reward{}, err
	}
	var rw Reward
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		var err error
		rw, err = scanReward(tx.QueryRowContext(ctx, `SELECT `+rewardCols+rewardFrom+` WHERE w.id = $1`+s.forUpdateOf("w"), rewardID))
		if err != nil {
			return err
		}
		if rw.Status != "proposed" {
			return validate.Errors{{Field: "status", Message: "this reward was already " + rw.Status}}
		}
		if rw.ProposedBy == a.UserID {
			return ErrSamePerson
		}
		if approve {
			var totp bool
			if err := tx.QueryRowContext(ctx, `SELECT totp_enabled FROM users WHERE id = $1`, rw.ResearcherID).Scan(&totp); err != nil {
				return err
			}
			if !totp {
				return ErrNoTOTP
			}
		}
		now := s.stamp()
		rw.Status, rw.DecidedBy, rw.DecidedAt = "rejected", a.UserID, &now
		code := RewardRejected
		if approve {
			rw.Status, code = "approved", RewardApproved
		}
		if _, err := tx.ExecContext(ctx, `UPDATE rewards SET status = $1, decided_by = $2, decided_at = $3 WHERE id = $4`,
			rw.Status, rw.DecidedBy, now.UnixMilli(), rw.ID); err != nil {
			return err
		}
		if approve {
			if _, err := tx.ExecContext(ctx, `UPDATE reports SET rewarded_at = COALESCE(rewarded_at, $1), updated_at = $1 WHERE id = $2`,
				now.UnixMilli(), rw.ReportID); err != nil {
				return err
			}
		}
		after := rewardAudit(rw)
		after["decision_reason"] = strings.TrimSpace(reason)
		_, err = s.audit.Append(ctx, tx, audit.Entry{Code: code, Actor: a.AuditActor(), TargetType: "reward", TargetID: rw.ID,
			Before: map[string]any{"status": "proposed"}, After: after})
		return err
	})
	if err != nil {
		return Reward{}, err
	}
	if approve {
		s.notify(ctx, []string{rw.ResearcherID}, rw.ReportID, "A reward of "+strconv.Itoa(rw.Amount)+" "+rw.Currency+" was approved for report "+rw.ReportID+".")
	}
	return rw, nil
}

func (s *Service) forUpdateOf(alias string) string {
	if s.db.Dialect.ForUpdate == "" {
		return ""
	}
	return " FOR UPDATE OF " + alias
}

const rewardCols = `w.id, w.report_id, w.programme_id, p.name, w.researcher_id, COALESCE(x.handle, ''), w.currency, w.base_amount,
	w.bonus_amount, w.amount, w.exceptional, w.table_version, w.reason, w.status, w.proposed_by, w.decided_by, w.proposed_at, w.decided_at`

const rewardFrom = ` FROM rewards w JOIN programmes p ON p.id = w.programme_id LEFT JOIN researchers x ON x.user_id = w.researcher_id`

func scanReward(sc store.Scanner) (Reward, error) {
	var rw Reward
	var exc int
	var proposed int64
	var decided sql.NullInt64
	err := sc.Scan(&rw.ID, &rw.ReportID, &rw.ProgrammeID, &rw.Programme, &rw.ResearcherID, &rw.Researcher, &rw.Currency, &rw.BaseAmount,
		&rw.BonusAmount, &rw.Amount, &exc, &rw.TableVersion, &rw.Reason, &rw.Status, &rw.ProposedBy, &rw.DecidedBy, &proposed, &decided)
	if errors.Is(err, sql.ErrNoRows) {
		return Reward{}, authz.ErrNotFound
	}
	rw.Exceptional = exc != 0
	rw.ProposedAt, rw.DecidedAt = time.UnixMilli(proposed).UTC(), timePtr(decided)
	return rw, err
}

// RewardFilter selects rewards for the ledger.
type RewardFilter struct {
	ProgrammeID  string
	ResearcherID string
	Status       string
	Cursor       string
	Limit        int
}

// Ledger lists rewards newest first: staff see all, a researcher their own.
func (s *Service) Ledger(ctx context.Context, a authz.Actor, f RewardFilter) (store.Page[Reward], error) {
	page := store.Page[Reward]{Items: []Reward{}}
	sc, err := authz.ScopeFor(a, authz.RewardRead)
	if err != nil {
		return page, err
	}
	var wh store.Where
	sc.Where(&wh, "", "w.researcher_id")
	if f.ProgrammeID != "" {
		wh.And("w.programme_id = " + wh.Arg(f.ProgrammeID))
	}
	if f.ResearcherID != "" {
		wh.And("w.researcher_id = " + wh.Arg(f.ResearcherID))
	}
	if f.Status != "" {
		wh.And("w.status = " + wh.Arg(f.Status))
	}
	return store.List(ctx, s.db.R(), store.ListQuery[Reward]{
		SQL: `SELECT ` + rewardCols + rewardFrom, Where: &wh, Keyset: store.Keyset{Keys: []string{"w.id"}, Desc: true},
		Cursor: f.Cursor, Limit: f.Limit, Scan: scanReward, Key: func(rw Reward) []any { return []any{rw.ID} }})
}

// ExportCSV writes the approved rewards (of one programme, or all) for
// finance: one row per payment, oldest first. Cells that a spreadsheet
// would run as a formula are prefixed with an apostrophe.
func (s *Service) ExportCSV(ctx context.Context, a authz.Actor, programmeID string, w io.Writer) error {
	if err := authz.Check(a, authz.RewardExport, authz.Collection()); err != nil {
		return err
	}
	var wh store.Where
	wh.And("w.status = 'approved'")
	if programmeID != "" {
		wh.And("w.programme_id = " + wh.Arg(programmeID))
	}
	q := `SELECT ` + rewardCols + `, COALESCE(u.email, '')` + rewardFrom + ` LEFT JOIN users u ON u.id = w.researcher_id`
	rows, err := s.db.R().QueryContext(ctx, q+wh.SQL()+` ORDER BY w.decided_at, w.id`, wh.Args()...)
	if err != nil {
		return err
	}
	defer rows.Close()
	cw := csvsafe.NewWriter(w)
	cw.Write([]string{"reward_id", "approved_at", "programme", "report_tracking_id", "researcher_handle", "researcher_email",
		"currency", "base_amount", "bonus_amount", "amount", "exceptional", "table_version", "proposed_by", "approved_by"})
	count := 0
	for rows.Next() {
		var email string
		rw, err := scanReward(scanPlus{rows, &email})
		if err != nil {
			return err
		}
		approved := ""
		if rw.DecidedAt != nil {
			approved = rw.DecidedAt.Format(time.RFC3339)
		}
		cells := []string{rw.ID, approved, rw.Programme, rw.ReportID, rw.Researcher, email, rw.Currency, strconv.Itoa(rw.BaseAmount),
			strconv.Itoa(rw.BonusAmount), strconv.Itoa(rw.Amount), strconv.FormatBool(rw.Exceptional), strconv.Itoa(rw.TableVersion),
			rw.ProposedBy, rw.DecidedBy}
		cw.Write(cells)
		count++
	}
	if err := rows.Err(); err != nil {
		return err
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return err
	}
	return s.db.Tx(ctx, func(tx *sql.Tx) error {
		_, err := s.audit.Append(ctx, tx, audit.Entry{Code: RewardExported, Actor: a.AuditActor(), TargetType: "reward",
			TargetID: "ledger", After: map[string]any{"programme_id": programmeID, "rows": count}})
		return err
	})
}
