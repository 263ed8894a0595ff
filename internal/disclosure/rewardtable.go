package disclosure

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"regexp"
	"slices"

	"github.com/kubu-gov/kubu/internal/audit"
	"github.com/kubu-gov/kubu/internal/authz"
	"github.com/kubu-gov/kubu/internal/severity"
	"github.com/kubu-gov/kubu/internal/validate"
)

// RewardTable is one version of a programme's rewards.
type RewardTable struct {
	Currency string `json:"currency"`
	// Amounts by severity (critical, high, medium, low, info).
	Amounts map[string]int `json:"amounts"`
	// Bonuses by asset type: a fixed amount added, or a multiplier of the
	// base amount (or both).
	Bonuses []Bonus `json:"bonuses,omitempty"`
	// ExceptionalCap is the most an exceptional-impact reward may be (0:
	// no exceptional tier).
	ExceptionalCap int `json:"exceptional_cap,omitempty"`
}

// Bonus is extra reward for reports on one asset type.
type Bonus struct {
	AssetType  string  `json:"asset_type"`
	Amount     int     `json:"amount,omitempty"`
	Multiplier float64 `json:"multiplier,omitempty"`
}

var currencyRe = regexp.MustCompile(`^[A-Z]{3}$`)

func (t *RewardTable) validate(v *validate.Errors) {
	if !currencyRe.MatchString(t.Currency) {
		v.Add("reward_table.currency", "must be an ISO 4217 code such as USD or SGD")
	}
	if len(t.Amounts) == 0 {
		v.Add("reward_table.amounts", "give an amount for at least one severity")
	}
	for sev, n := range t.Amounts {
		if !severity.Valid(sev) {
			v.Add("reward_table.amounts", "%q is not a severity", sev)
		}
		if n < 0 || n > 10_000_000 {
			v.Add("reward_table.amounts", "amounts must be between 0 and 10,000,000")
		}
	}
	for _, b := range t.Bonuses {
		if !slices.Contains(AssetTypes, b.AssetType) {
			v.Add("reward_table.bonuses", "%q is not an asset type", b.AssetType)
		}
		if b.Amount < 0 || b.Amount > 1_000_000 || b.Multiplier < 0 || b.Multiplier > 10 {
			v.Add("reward_table.bonuses", "a bonus is an amount up to 1,000,000 or a multiplier up to 10")
		}
	}
	if t.ExceptionalCap < 0 || t.ExceptionalCap > 10_000_000 {
		v.Add("reward_table.exceptional_cap", "must be between 0 and 10,000,000")
	}
}

// Reward computes the reward for a severity and asset type under the
// table: the base amount plus the asset type's bonuses.
func (t *RewardTable) Reward(severity, assetType string) (base, bonus int) {
	if t == nil {
		return 0, 0
	}
	base = t.Amounts[severity]
	for _, b := range t.Bonuses {
		if b.AssetType != assetType {
			continue
		}
		bonus += b.Amount
		if b.Multiplier > 0 {
			bonus += int(float64(base)*b.Multiplier) - base
		}
	}
	return base, bonus
}

// SetRewardTable makes t the programme's new reward table version. Reports
// already submitted keep the version frozen on them.
func (s *Service) SetRewardTable(ctx context.Context, a authz.Actor, programmeID string, t RewardTable) (Programme, error) {
	if err := authz.Check(a, authz.ProgrammeManage, authz.Record()); err != nil {
		return Programme{}, err
	}
	var v validate.Errors
	t.validate(&v)
	if err := v.Err(); err != nil {
		return Programme{}, err
	}
	if _, err := s.programme(ctx, s.db.R(), programmeID); err != nil {
		return Programme{}, err
	}
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		_, err := s.setRewardTable(ctx, tx, a, programmeID, t)
		return err
	})
	if err != nil {
		return Programme{}, err
	}
	return s.programme(ctx, s.db.R(), programmeID)
}

func (s *Service) setRewardTable(ctx context.Context, tx *sql.Tx, a authz.Actor, programmeID string, t RewardTable) (int, error) {
	var n int
	if err := tx.QueryRowContext(ctx, `SELECT reward_version FROM programmes WHERE id = $1`+s.db.Dialect.ForUpdate, programmeID).Scan(&n); err != nil {
		return 0, err
	}
	n++
	body := jsonText(t)
	if _, err := tx.ExecContext(ctx, `INSERT INTO reward_tables (programme_id, version, body, created_by, created_at) VALUES ($1,$2,$3,$4,$5)`,
		programmeID, n, body, a.UserID, s.stamp().UnixMilli()); err != nil {
		return 0, err
	}
	if _, err := tx.ExecContext(ctx, `UPDATE programmes SET reward_version = $1, updated_at = $2 WHERE id = $3`, n, s.stamp().UnixMilli(), programmeID); err != nil {
		return 0, err
	}
	_, err := s.audit.Append(ctx, tx, audit.Entry{Code: ProgrammeRewardTable, Actor: a.AuditActor(), TargetType: "programme",
		TargetID: programmeID, After: map[string]any{"version": n, "table": t}})
	return n, err
}

// RewardTableVersion returns one version of a programme's reward table.
func (s *Service) RewardTableVersion(ctx context.Context, a authz.Actor, programmeID string, version int) (RewardTable, error) {
	if _, err := s.Programme(ctx, a, programmeID); err != nil {
		return RewardTable{}, err
	}
	var body string
	err := s.db.R().QueryRowContext(ctx, `SELECT body FROM reward_tables WHERE programme_id = $1 AND version = $2`, programmeID, version).Scan(&body)
	if errors.Is(err, sql.ErrNoRows) {
		return RewardTable{}, authz.ErrNotFound
	}
	var t RewardTable
	if err == nil {
		err = json.Unmarshal([]byte(body), &t)
	}
	return t, err
}
