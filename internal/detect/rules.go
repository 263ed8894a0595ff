package detect

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/kubu-gov/kubu/internal/audit"
	"github.com/kubu-gov/kubu/internal/authz"
	"github.com/kubu-gov/kubu/internal/id"
	"github.com/kubu-gov/kubu/internal/sigma"
	"github.com/kubu-gov/kubu/internal/store"
	"github.com/kubu-gov/kubu/internal/validate"
)

// MaxRuleYAML bounds one rule upload.
const MaxRuleYAML = 1 << 20

// Rule is one stored rule file or upload. It may hold several Sigma
// documents (a correlation with its base rules); the summary fields come
// from its main document.
type Rule struct {
	ID          string    `json:"id"`
	Title       string    `json:"title"`
	Level       string    `json:"level"`
	Kind        string    `json:"kind"` // detection, correlation or filter
	Tags        []string  `json:"tags"`
	RuleIDs     []string  `json:"rule_ids"` // the Sigma ids of every document
	Origin      string    `json:"origin"`   // "file" (--rules) or "api"
	Path        string    `json:"path,omitempty"`
	Enabled     bool      `json:"enabled"`
	CreatedBy   string    `json:"created_by"`
	CreatedAt   time.Time `json:"created_at"`
	UpdatedAt   time.Time `json:"updated_at"`
	Description string    `json:"description,omitempty"`
	YAML        string    `json:"yaml,omitempty"` // in the detail only
}

// RuleError is a rule that does not parse or compile (answered 400 with
// the message).
type RuleError struct{ Msg string }

func (e *RuleError) Error() string { return e.Msg }

// parsed is a rule file parsed and checked.
type parsed struct {
	rules []*sigma.Rule
	main  *sigma.Rule
	sum   string
}

// parseRule parses one rule file and, when check is set, compiles it on
// its own to catch what would keep it out of the set. Documents without an
// id get one derived from rowID, the same way on every load.
func parseRule(name string, data []byte, rowID string, check bool) (*parsed, error) {
	if len(data) > MaxRuleYAML {
		return nil, &RuleError{fmt.Sprintf("the rule is larger than %d bytes", MaxRuleYAML)}
	}
	rules, errs := sigma.Parse(name, data)
	if len(errs) > 0 {
		msgs := make([]string, len(errs))
		for i, e := range errs {
			msgs[i] = e.Error()
		}
		return nil, &RuleError{strings.Join(msgs, "; ")}
	}
	if len(rules) == 0 {
		return nil, &RuleError{"no Sigma rule in the document"}
	}
	p := &parsed{rules: rules}
	var corr []*sigma.Rule
	for _, r := range rules {
		if r.Kind() == "correlation" {
			corr = append(corr, r)
		}
	}
	switch {
	case len(corr) == 1:
		p.main = corr[0]
	default:
		for _, r := range rules {
			if docKind(r) == KindDetection {
				p.main = r
				break
			}
		}
	}
	if p.main == nil {
		p.main = rules[0]
	}
	if p.main.ID == "" {
		p.main.ID = rowID
	}
	n := 0
	for _, r := range rules {
		if r.ID == "" {
			n++
			r.ID = fmt.Sprintf("%s-%d", p.main.ID, n)
		}
	}
	if check {
		if _, err := sigma.Compile(rules, sigma.Options{EmptyMissingPlaceholders: true}); err != nil {
			return nil, &RuleError{err.Error()}
		}
	}
	h := sha256.Sum256(data)
	p.sum = hex.EncodeToString(h[:])
	return p, nil
}

// summary fills a Rule's summary fields from the parsed documents.
func (p *parsed) summary(r *Rule) {
	m := p.main
	r.ID = m.ID
	r.Title = m.Title
	if r.Title == "" {
		r.Title = m.Name
	}
	if r.Title == "" {
		r.Title = "untitled rule"
	}
	r.Level = m.Level
	if r.Level == "" {
		r.Level = "medium"
	}
	r.Kind = docKind(m)
	r.Description = m.Description
	seen := map[string]bool{}
	r.Tags, r.RuleIDs = []string{}, []string{}
	for _, d := range p.rules {
		r.RuleIDs = append(r.RuleIDs, d.ID)
		for _, t := range d.Tags {
			if !seen[t] {
				seen[t] = true
				r.Tags = append(r.Tags, t)
			}
		}
	}
}

// CreateRule stores a rule uploaded as YAML, enabled, and has every node
// load it within seconds.
func (s *Service) CreateRule(ctx context.Context, a authz.Actor, yaml []byte) (Rule, error) {
	if err := authz.Check(a, authz.RuleManage, authz.Collection()); err != nil {
		return Rule{}, err
	}
	p, err := parseRule("upload.yml", yaml, id.New(), true)
	if err != nil {
		return Rule{}, err
	}
	now := s.now().UTC().Truncate(time.Millisecond)
	r := Rule{Origin: "api", Enabled: true, CreatedBy: a.UserID, CreatedAt: now, UpdatedAt: now}
	p.summary(&r)
	err = s.db.Tx(ctx, func(tx *sql.Tx) error {
		if err := s.checkIDsFree(ctx, tx, r.RuleIDs, ""); err != nil {
			return err
		}
		if err := insertRule(ctx, tx, r, string(yaml), p.sum); err != nil {
			return err
		}
		if err := bumpVersion(ctx, tx); err != nil {
			return err
		}
		_, err := s.audit.Append(ctx, tx, audit.Entry{Code: RuleCreated, Actor: a.AuditActor(), TargetType: "rule", TargetID: r.ID,
			After: map[string]any{"title": r.Title, "level": r.Level, "rule_ids": r.RuleIDs, "yaml_sha256": p.sum}})
		return err
	})
	if err != nil {
		return Rule{}, err
	}
	s.poke()
	r.YAML = string(yaml)
	return r, nil
}

// ReplaceRule replaces a rule's YAML (keeping its id and enabled state).
func (s *Service) ReplaceRule(ctx context.Context, a authz.Actor, ruleID string, yaml []byte) (Rule, error) {
	if err := authz.Check(a, authz.RuleManage, authz.Record()); err != nil {
		return Rule{}, err
	}
	old, err := s.rule(ctx, s.db.R(), ruleID)
	if err != nil {
		return Rule{}, err
	}
	p, err := parseRule("upload.yml", yaml, old.ID, true)
	if err != nil {
		return Rule{}, err
	}
	r := old
	p.summary(&r)
	r.ID = old.ID
	r.UpdatedAt = s.now().UTC().Truncate(time.Millisecond)
	err = s.db.Tx(ctx, func(tx *sql.Tx) error {
		if err := s.checkIDsFree(ctx, tx, r.RuleIDs, r.ID); err != nil {
			return err
		}
		tags, _ := json.Marshal(r.Tags)
		ids, _ := json.Marshal(r.RuleIDs)
		_, err := tx.ExecContext(ctx, `UPDATE detect_rules SET title=$1, level=$2, kind=$3, tags=$4, rule_ids=$5, yaml=$6, sha256=$7, updated_at=$8 WHERE id=$9`,
			r.Title, r.Level, r.Kind, string(tags), string(ids), string(yaml), p.sum, r.UpdatedAt.UnixMilli(), r.ID)
		if err != nil {
			return err
		}
		if err := bumpVersion(ctx, tx); err != nil {
			return err
		}
		_, err = s.audit.Append(ctx, tx, audit.Entry{Code: RuleUpdated, Actor: a.AuditActor(), TargetType: "rule", TargetID: r.ID,
			Before: map[string]any{"title": old.Title, "level": old.Level}, After: map[string]any{"title": r.Title, "level": r.Level, "yaml_sha256": p.sum}})
		return err
	})
	if err != nil {
		return Rule{}, err
	}
	s.poke()
	r.YAML = string(yaml)
	return r, nil
}

// SetRuleEnabled enables or disables a rule on every node.
func (s *Service) SetRuleEnabled(ctx context.Context, a authz.Actor, ruleID string, enabled bool) (Rule, error) {
	if err := authz.Check(a, authz.RuleManage, authz.Record()); err != nil {
		return Rule{}, err
	}
	r, err := s.rule(ctx, s.db.R(), ruleID)
	if err != nil {
		return Rule{}, err
	}
	if r.Enabled == enabled {
		return r, nil
	}
	code := RuleDisabled
	if enabled {
		code = RuleEnabled
	}
	r.Enabled = enabled
	r.UpdatedAt = s.now().UTC().Truncate(time.Millisecond)
	err = s.db.Tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `UPDATE detect_rules SET enabled=$1, updated_at=$2 WHERE id=$3`, boolInt(enabled), r.UpdatedAt.UnixMilli(), r.ID); err != nil {
			return err
		}
		if err := bumpVersion(ctx, tx); err != nil {
			return err
		}
		_, err := s.audit.Append(ctx, tx, audit.Entry{Code: code, Actor: a.AuditActor(), TargetType: "rule", TargetID: r.ID,
			After: map[string]any{"enabled": enabled}})
		return err
	})
	if err != nil {
		return Rule{}, err
	}
	s.poke()
	return r, nil
}

// checkIDsFree refuses Sigma ids that another stored rule already has.
func (s *Service) checkIDsFree(ctx context.Context, tx *sql.Tx, ids []string, self string) error {
	for _, rid := range ids {
		var other string
		err := tx.QueryRowContext(ctx, `SELECT id FROM detect_rules WHERE (id = $1 OR rule_ids LIKE $2 ESCAPE '\') AND id <> $3`,
			rid, `%"`+store.LikeEscape(rid)+`"%`, self).Scan(&other)
		if err == nil {
			return fmt.Errorf("%w: a rule with Sigma id %s exists (%s)", validate.ErrConflict, rid, other)
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return err
		}
	}
	return nil
}

func insertRule(ctx context.Context, tx *sql.Tx, r Rule, yaml, sum string) error {
	tags, _ := json.Marshal(r.Tags)
	ids, _ := json.Marshal(r.RuleIDs)
	_, err := tx.ExecContext(ctx, `INSERT INTO detect_rules (id, title, level, kind, tags, rule_ids, yaml, origin, path, sha256, enabled, created_by, created_at, updated_at)
		VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14)`,
		r.ID, r.Title, r.Level, r.Kind, string(tags), string(ids), yaml, r.Origin, r.Path, sum, boolInt(r.Enabled), r.CreatedBy,
		r.CreatedAt.UnixMilli(), r.UpdatedAt.UnixMilli())
	if store.IsUniqueViolation(err) {
		return fmt.Errorf("%w: a rule with id %s exists", validate.ErrConflict, r.ID)
	}
	return err
}

func bumpVersion(ctx context.Context, tx *sql.Tx) error {
	_, err := tx.ExecContext(ctx, `UPDATE detect_meta SET value = value + 1 WHERE name = 'rules_version'`)
	return err
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

const ruleCols = `id, title, level, kind, tags, rule_ids, origin, path, enabled, created_by, created_at, updated_at`

func scanRule(sc store.Scanner, extra ...any) (Rule, error) {
	var r Rule
	var enabled int
	var created, updated int64
	dst := append([]any{&r.ID, &r.Title, &r.Level, &r.Kind, store.JSON(&r.Tags), store.JSON(&r.RuleIDs), &r.Origin, &r.Path, &enabled,
		&r.CreatedBy, &created, &updated}, extra...)
	if err := sc.Scan(dst...); errors.Is(err, sql.ErrNoRows) {
		return Rule{}, authz.ErrNotFound
	} else if err != nil {
		return Rule{}, fmt.Errorf("rule %s: %w", r.ID, err)
	}
	r.Enabled = enabled != 0
	r.CreatedAt, r.UpdatedAt = time.UnixMilli(created).UTC(), time.UnixMilli(updated).UTC()
	return r, nil
}

func (s *Service) rule(ctx context.Context, q store.Querier, ruleID string) (Rule, error) {
	var yaml string
	r, err := scanRule(q.QueryRowContext(ctx, `SELECT `+ruleCols+`, yaml FROM detect_rules WHERE id = $1`, ruleID), &yaml)
	if err != nil {
		return Rule{}, err
	}
	r.YAML = yaml
	if p, err := parseRule(r.Path, []byte(yaml), r.ID, false); err == nil {
		r.Description = p.main.Description
	}
	return r, nil
}

// RuleByID returns one rule with its YAML. A Sigma id of any document of
// a stored rule finds that rule too.
func (s *Service) RuleByID(ctx context.Context, a authz.Actor, ruleID string) (Rule, error) {
	if err := authz.Check(a, authz.RuleRead, authz.Record()); err != nil {
		return Rule{}, err
	}
	r, err := s.rule(ctx, s.db.R(), ruleID)
	if errors.Is(err, authz.ErrNotFound) && ruleID != "" {
		var row string
		if s.db.R().QueryRowContext(ctx, `SELECT id FROM detect_rules WHERE rule_ids LIKE $1 ESCAPE '\'`, `%"`+store.LikeEscape(ruleID)+`"%`).Scan(&row) == nil {
			return s.rule(ctx, s.db.R(), row)
		}
	}
	return r, err
}

// RuleFilter narrows ListRules.
type RuleFilter struct {
	Query   string // in the title or id
	Enabled *bool
	Level   string
	Cursor  string
	Limit   int
}

// ListRules lists rules by title.
func (s *Service) ListRules(ctx context.Context, a authz.Actor, f RuleFilter) (store.Page[Rule], error) {
	if err := authz.Check(a, authz.RuleRead, authz.Collection()); err != nil {
		return store.Page[Rule]{}, err
	}
	var wh store.Where
	if f.Query != "" {
		p := "%" + store.LikeEscape(f.Query) + "%"
		wh.And(fmt.Sprintf(`(title %s %s ESCAPE '\' OR id = %s)`, s.db.Dialect.ILike, wh.Arg(p), wh.Arg(f.Query)))
	}
	if f.Enabled != nil {
		wh.And("enabled = " + wh.Arg(boolInt(*f.Enabled)))
	}
	if f.Level != "" {
		wh.And("level = " + wh.Arg(f.Level))
	}
	return store.List(ctx, s.db.R(), store.ListQuery[Rule]{
		SQL: `SELECT ` + ruleCols + ` FROM detect_rules`, Where: &wh, Keyset: store.Keyset{Keys: []string{"title", "id"}},
		Cursor: f.Cursor, Limit: f.Limit, Scan: func(sc store.Scanner) (Rule, error) { return scanRule(sc) },
		Key: func(r Rule) []any { return []any{r.Title, r.ID} }})
}

// docKind names a Sigma document's kind as kubu shows it: detection,
// correlation or filter.
func docKind(r *sigma.Rule) string {
	if k := r.Kind(); k != "rule" {
		return k
	}
	return KindDetection
}
