package disclosure

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/kubu-gov/kubu/internal/audit"
	"github.com/kubu-gov/kubu/internal/authz"
	"github.com/kubu-gov/kubu/internal/id"
	"github.com/kubu-gov/kubu/internal/registry"
	"github.com/kubu-gov/kubu/internal/store"
	"github.com/kubu-gov/kubu/internal/validate"
)

// Programme kinds and access levels.
var (
	Kinds      = []string{"vdp", "bounty", "vrp"}
	Accesses   = []string{"public", "open", "invite"}
	AssetTypes = []string{"web", "mobile", "api", "iot", "host"}
)

// Programme is a VDP, a bounty edition or the VRP.
type Programme struct {
	ID            string       `json:"id"`
	Slug          string       `json:"slug"`
	Kind          string       `json:"kind"`
	Name          string       `json:"name"`
	Rules         string       `json:"rules"`
	Access        string       `json:"access"` // public: anyone, even without an account; open: registered researchers; invite: invited ones
	StartsAt      *time.Time   `json:"starts_at,omitempty"`
	EndsAt        *time.Time   `json:"ends_at,omitempty"`
	AssetTypes    []string     `json:"asset_types"`
	InScope       []string     `json:"in_scope"`
	OutOfScope    []string     `json:"out_of_scope"`
	SystemIDs     []string     `json:"system_ids"`
	Targets       Targets      `json:"targets"`
	Triagers      []string     `json:"triagers"` // user ids notified on escalation (empty: every triager)
	RewardVersion int          `json:"reward_version"`
	RewardTable   *RewardTable `json:"reward_table,omitempty"`
	CreatedAt     time.Time    `json:"created_at"`
	UpdatedAt     time.Time    `json:"updated_at"`
}

// Targets are a programme's promised response times in days (0: none).
type Targets struct {
	FirstResponseDays int  `json:"first_response_days"`
	TriageDays        int  `json:"triage_days"`
	RewardDays        int  `json:"reward_days"`
	ResolutionDays    int  `json:"resolution_days"`
	BusinessDays      bool `json:"business_days"`
}

// DefaultTargets are the VDP's: first response and triage within one
// business day, resolution within 90 days.
var DefaultTargets = Targets{FirstResponseDays: 1, TriageDays: 1, ResolutionDays: 90, BusinessDays: true}

// ProgrammeInput creates or changes a programme; nil leaves a field alone.
type ProgrammeInput struct {
	Slug        *string      `json:"slug"`
	Kind        *string      `json:"kind"`
	Name        *string      `json:"name"`
	Rules       *string      `json:"rules"`
	Access      *string      `json:"access"`
	StartsAt    *time.Time   `json:"starts_at"`
	EndsAt      *time.Time   `json:"ends_at"`
	AssetTypes  *[]string    `json:"asset_types"`
	InScope     *[]string    `json:"in_scope"`
	OutOfScope  *[]string    `json:"out_of_scope"`
	SystemIDs   *[]string    `json:"system_ids"`
	Targets     *Targets     `json:"targets"`
	Triagers    *[]string    `json:"triagers"`
	RewardTable *RewardTable `json:"reward_table"` // create only; later versions through SetRewardTable
}

func (in ProgrammeInput) apply(p *Programme) {
	set := func(dst *string, src *string) {
		if src != nil {
			*dst = strings.TrimSpace(*src)
		}
	}
	set(&p.Slug, in.Slug)
	set(&p.Kind, in.Kind)
	set(&p.Name, in.Name)
	set(&p.Access, in.Access)
	if in.Rules != nil {
		p.Rules = *in.Rules
	}
	if in.StartsAt != nil {
		t := in.StartsAt.UTC().Truncate(time.Millisecond)
		p.StartsAt = &t
	}
	if in.EndsAt != nil {
		t := in.EndsAt.UTC().Truncate(time.Millisecond)
		p.EndsAt = &t
	}
	list := func(dst *[]string, src *[]string) {
		if src != nil {
			*dst = cleanList(*src)
		}
	}
	list(&p.AssetTypes, in.AssetTypes)
	list(&p.InScope, in.InScope)
	list(&p.OutOfScope, in.OutOfScope)
	list(&p.SystemIDs, in.SystemIDs)
	list(&p.Triagers, in.Triagers)
	if in.Targets != nil {
		p.Targets = *in.Targets
	}
}

func cleanList(in []string) []string {
	out := []string{}
	for _, s := range in {
		if s = strings.TrimSpace(s); s != "" && !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	return out
}

var slugRe = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,62}$`)

func (s *Service) validateProgramme(ctx context.Context, a authz.Actor, p *Programme) error {
	var v validate.Errors
	if !slugRe.MatchString(p.Slug) {
		v.Add("slug", "must be 1–63 lower-case letters, digits and hyphens")
	}
	v.OneOf("kind", p.Kind, Kinds)
	v.Required("name", p.Name, 200)
	v.MaxLen("rules", p.Rules, 50_000)
	v.OneOf("access", p.Access, Accesses)
	if p.Kind == "bounty" && (p.StartsAt == nil || p.EndsAt == nil) {
		v.Add("ends_at", "a bounty edition needs a start and an end")
	}
	if p.StartsAt != nil && p.EndsAt != nil && !p.EndsAt.After(*p.StartsAt) {
		v.Add("ends_at", "must be after the start")
	}
	for _, at := range p.AssetTypes {
		v.OneOf("asset_types", at, AssetTypes)
	}
	for _, f := range []struct {
		name string
		list []string
	}{{"in_scope", p.InScope}, {"out_of_scope", p.OutOfScope}} {
		if len(f.list) > 200 {
			v.Add(f.name, "at most 200 entries")
		}
		for _, e := range f.list {
			v.MaxLen(f.name, e, 500)
		}
	}
	if len(p.SystemIDs) > 500 {
		v.Add("system_ids", "at most 500 systems")
	}
	for _, sid := range p.SystemIDs {
		if _, err := s.registry.System(ctx, a, sid); err != nil {
			v.Add("system_ids", "no such system %q", sid)
		}
	}
	t := p.Targets
	for _, n := range []int{t.FirstResponseDays, t.TriageDays, t.RewardDays, t.ResolutionDays} {
		if n < 0 || n > 3650 {
			v.Add("targets", "days must be between 0 and 3650")
			break
		}
	}
	if len(p.Triagers) > 50 {
		v.Add("triagers", "at most 50 triagers")
	}
	return v.Err()
}

// CreateProgramme makes a programme (wog-admin), with its first reward
// table when given.
func (s *Service) CreateProgramme(ctx context.Context, a authz.Actor, in ProgrammeInput) (Programme, error) {
	if err := authz.Check(a, authz.ProgrammeManage, authz.Collection()); err != nil {
		return Programme{}, err
	}
	now := s.stamp()
	p := Programme{ID: id.New(), Access: "open", Targets: DefaultTargets, AssetTypes: []string{}, InScope: []string{},
		OutOfScope: []string{}, SystemIDs: []string{}, Triagers: []string{}, CreatedAt: now, UpdatedAt: now}
	in.apply(&p)
	if p.Kind == "vdp" && in.Access == nil {
		p.Access = "public"
	}
	var v validate.Errors
	if in.RewardTable != nil {
		in.RewardTable.validate(&v)
	}
	if err := s.validateProgramme(ctx, a, &p); err != nil {
		v = append(v, err.(validate.Errors)...)
	}
	if err := v.Err(); err != nil {
		return Programme{}, err
	}
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		if err := s.insertProgramme(ctx, tx, p); err != nil {
			return err
		}
		if _, err := s.audit.Append(ctx, tx, audit.Entry{Code: ProgrammeCreated, Actor: a.AuditActor(), TargetType: "programme",
			TargetID: p.ID, After: programmeAudit(p)}); err != nil {
			return err
		}
		if in.RewardTable != nil {
			n, err := s.setRewardTable(ctx, tx, a, p.ID, *in.RewardTable)
			p.RewardVersion, p.RewardTable = n, in.RewardTable
			return err
		}
		return nil
	})
	if err != nil {
		return Programme{}, err
	}
	return p, nil
}

func (s *Service) insertProgramme(ctx context.Context, tx *sql.Tx, p Programme) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO programmes (id, slug, kind, name, rules, access, starts_at, ends_at, asset_types,
		in_scope, out_of_scope, targets, triagers, reward_version, created_at, updated_at)
		VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,0,$14,$14)`,
		p.ID, p.Slug, p.Kind, p.Name, p.Rules, p.Access, millisPtr(p.StartsAt), millisPtr(p.EndsAt), jsonText(p.AssetTypes),
		jsonText(p.InScope), jsonText(p.OutOfScope), jsonText(p.Targets), jsonText(p.Triagers), p.CreatedAt.UnixMilli())
	if store.IsUniqueViolation(err) {
		return fmt.Errorf("%w: a programme with slug %q exists", validate.ErrConflict, p.Slug)
	}
	if err != nil {
		return err
	}
	return s.writeSystems(ctx, tx, p)
}

func (s *Service) writeSystems(ctx context.Context, tx *sql.Tx, p Programme) error {
	if _, err := tx.ExecContext(ctx, `DELETE FROM programme_systems WHERE programme_id = $1`, p.ID); err != nil {
		return err
	}
	for _, sid := range p.SystemIDs {
		if _, err := tx.ExecContext(ctx, `INSERT INTO programme_systems (programme_id, system_id) VALUES ($1,$2)`, p.ID, sid); err != nil {
			return err
		}
	}
	return nil
}

func programmeAudit(p Programme) map[string]any {
	return map[string]any{"slug": p.Slug, "kind": p.Kind, "name": p.Name, "access": p.Access, "starts_at": p.StartsAt,
		"ends_at": p.EndsAt, "asset_types": p.AssetTypes, "in_scope": p.InScope, "out_of_scope": p.OutOfScope,
		"system_ids": p.SystemIDs, "targets": p.Targets, "triagers": p.Triagers, "rules_sha256": sha256Hex([]byte(p.Rules))}
}

// UpdateProgramme changes the given fields (wog-admin). The reward table
// changes only through SetRewardTable, which makes a new version.
func (s *Service) UpdateProgramme(ctx context.Context, a authz.Actor, programmeID string, in ProgrammeInput) (Programme, error) {
	if err := authz.Check(a, authz.ProgrammeManage, authz.Record()); err != nil {
		return Programme{}, err
	}
	before, err := s.programme(ctx, s.db.R(), programmeID)
	if err != nil {
		return Programme{}, err
	}
	if in.RewardTable != nil {
		return Programme{}, validate.Errors{{Field: "reward_table", Message: "set a new reward table version through its own route"}}
	}
	if in.Kind != nil && *in.Kind != before.Kind {
		return Programme{}, validate.Errors{{Field: "kind", Message: "a programme's kind cannot change"}}
	}
	after := before
	after.AssetTypes, after.InScope, after.OutOfScope = slices.Clone(before.AssetTypes), slices.Clone(before.InScope), slices.Clone(before.OutOfScope)
	after.SystemIDs, after.Triagers = slices.Clone(before.SystemIDs), slices.Clone(before.Triagers)
	in.apply(&after)
	if err := s.validateProgramme(ctx, a, &after); err != nil {
		return Programme{}, err
	}
	after.UpdatedAt = s.stamp()
	err = s.db.Tx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `UPDATE programmes SET slug=$1, name=$2, rules=$3, access=$4, starts_at=$5, ends_at=$6,
			asset_types=$7, in_scope=$8, out_of_scope=$9, targets=$10, triagers=$11, updated_at=$12 WHERE id=$13`,
			after.Slug, after.Name, after.Rules, after.Access, millisPtr(after.StartsAt), millisPtr(after.EndsAt),
			jsonText(after.AssetTypes), jsonText(after.InScope), jsonText(after.OutOfScope), jsonText(after.Targets),
			jsonText(after.Triagers), after.UpdatedAt.UnixMilli(), after.ID)
		if store.IsUniqueViolation(err) {
			return fmt.Errorf("%w: a programme with slug %q exists", validate.ErrConflict, after.Slug)
		}
		if err != nil {
			return err
		}
		if err := s.writeSystems(ctx, tx, after); err != nil {
			return err
		}
		_, err = s.audit.Append(ctx, tx, audit.Entry{Code: ProgrammeUpdated, Actor: a.AuditActor(), TargetType: "programme",
			TargetID: after.ID, Before: programmeAudit(before), After: programmeAudit(after)})
		return err
	})
	if err != nil {
		return Programme{}, err
	}
	return after, nil
}

const programmeCols = `p.id, p.slug, p.kind, p.name, p.rules, p.access, p.starts_at, p.ends_at, p.asset_types, p.in_scope,
	p.out_of_scope, p.targets, p.triagers, p.reward_version, p.created_at, p.updated_at,
	COALESCE((SELECT body FROM reward_tables t WHERE t.programme_id = p.id AND t.version = p.reward_version), '')`

func scanProgramme(sc store.Scanner) (Programme, error) {
	var p Programme
	var starts, ends sql.NullInt64
	var created, updated int64
	err := sc.Scan(&p.ID, &p.Slug, &p.Kind, &p.Name, &p.Rules, &p.Access, &starts, &ends, store.JSON(&p.AssetTypes), store.JSON(&p.InScope),
		store.JSON(&p.OutOfScope), store.JSON(&p.Targets), store.JSON(&p.Triagers), &p.RewardVersion, &created, &updated, store.JSON(&p.RewardTable))
	if errors.Is(err, sql.ErrNoRows) {
		return Programme{}, authz.ErrNotFound
	}
	if err != nil {
		return Programme{}, fmt.Errorf("programme %s: %w", p.ID, err)
	}
	p.StartsAt, p.EndsAt = timePtr(starts), timePtr(ends)
	p.CreatedAt, p.UpdatedAt = time.UnixMilli(created).UTC(), time.UnixMilli(updated).UTC()
	return p, nil
}

func (s *Service) programme(ctx context.Context, q store.Querier, key string) (Programme, error) {
	p, err := scanProgramme(q.QueryRowContext(ctx, `SELECT `+programmeCols+` FROM programmes p WHERE p.id = $1 OR p.slug = $1`, key))
	if err != nil {
		return p, err
	}
	rows, err := q.QueryContext(ctx, `SELECT system_id FROM programme_systems WHERE programme_id = $1 ORDER BY system_id`, p.ID)
	if err != nil {
		return p, err
	}
	defer rows.Close()
	p.SystemIDs = []string{}
	for rows.Next() {
		var sid string
		if err := rows.Scan(&sid); err != nil {
			return p, err
		}
		p.SystemIDs = append(p.SystemIDs, sid)
	}
	return p, rows.Err()
}

// Programme returns a programme the caller may see: staff see all,
// researchers public and open ones and those they are invited to,
// anonymous callers only public ones.
func (s *Service) Programme(ctx context.Context, a authz.Actor, key string) (Programme, error) {
	p, err := s.programme(ctx, s.db.R(), key)
	if err != nil {
		return Programme{}, err
	}
	if ok, err := s.canSee(ctx, a, p); err != nil || !ok {
		if err == nil {
			err = authz.ErrNotFound
		}
		return Programme{}, err
	}
	return p, nil
}

// canSee: public programmes are seen by anyone; with programme.read, those
// who hold it on every record see all, those who hold it on their own
// records (researchers) open programmes and those they are invited to.
func (s *Service) canSee(ctx context.Context, a authz.Actor, p Programme) (bool, error) {
	sc := authz.ScopeOf(a, authz.ProgrammeRead)
	switch {
	case p.Access == "public":
		return true, nil
	case sc.All:
		return true, nil
	case sc.OwnerID == "":
		return false, nil
	case p.Access == "open":
		return true, nil
	}
	return s.invited(ctx, s.db.R(), p.ID, a.UserID)
}

func (s *Service) invited(ctx context.Context, q store.Querier, programmeID, userID string) (bool, error) {
	var n int
	err := q.QueryRowContext(ctx, `SELECT COUNT(*) FROM programme_invitations WHERE programme_id = $1 AND user_id = $2`, programmeID, userID).Scan(&n)
	return n > 0, err
}

// ListProgrammes lists the programmes the caller may see, by name.
func (s *Service) ListProgrammes(ctx context.Context, a authz.Actor) ([]Programme, error) {
	rows, err := s.db.R().QueryContext(ctx, `SELECT `+programmeCols+` FROM programmes p ORDER BY p.name, p.id LIMIT 1000`)
	if err != nil {
		return nil, err
	}
	var all []Programme
	for rows.Next() {
		p, err := scanProgramme(rows)
		if err != nil {
			rows.Close()
			return nil, err
		}
		all = append(all, p)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	out := []Programme{}
	for _, p := range all {
		if ok, err := s.canSee(ctx, a, p); err != nil {
			return nil, err
		} else if ok {
			out = append(out, p)
		}
	}
	return out, nil
}

// VDPSlug is the slug of the programme public submissions go to.
const VDPSlug = "vdp"

// EnsureVDP creates the Vulnerability Disclosure Programme on first start:
// open to anyone, every government system in scope, first response and
// triage within one business day, no rewards.
func (s *Service) EnsureVDP(ctx context.Context) (Programme, error) {
	p, err := s.programme(ctx, s.db.R(), VDPSlug)
	if err == nil || !errors.Is(err, authz.ErrNotFound) {
		return p, err
	}
	now := s.stamp()
	p = Programme{ID: id.New(), Slug: VDPSlug, Kind: "vdp", Name: "Vulnerability Disclosure Programme", Access: "public",
		Rules: defaultVDPRules, AssetTypes: slices.Clone(AssetTypes), InScope: []string{"Any system owned by a government agency"},
		OutOfScope: []string{"Denial of service", "Social engineering of staff", "Physical attacks", "Findings from automated scanners without a demonstrated impact"},
		SystemIDs:  []string{}, Triagers: []string{}, Targets: DefaultTargets, CreatedAt: now, UpdatedAt: now}
	err = s.db.Tx(ctx, func(tx *sql.Tx) error {
		if err := s.insertProgramme(ctx, tx, p); err != nil {
			return err
		}
		_, err := s.audit.Append(ctx, tx, audit.Entry{Code: ProgrammeCreated, Actor: audit.System, TargetType: "programme",
			TargetID: p.ID, After: programmeAudit(p)})
		return err
	})
	if errors.Is(err, validate.ErrConflict) { // another node made it first
		return s.programme(ctx, s.db.R(), VDPSlug)
	}
	return p, err
}

const defaultVDPRules = `Report vulnerabilities in any government system. Test only what you need to show the problem,
do not access, change or keep personal data beyond what shows the issue, do not disrupt services, and give us
reasonable time to fix it before telling anyone else.`

// inScope reports whether system sys is in the programme's scope.
func (p Programme) inScope(sys registry.System) bool {
	return len(p.SystemIDs) == 0 || slices.Contains(p.SystemIDs, sys.ID)
}

// Open reports whether the programme takes reports at t.
func (p Programme) Open(t time.Time) bool {
	if p.StartsAt != nil && t.Before(*p.StartsAt) {
		return false
	}
	return p.EndsAt == nil || t.Before(*p.EndsAt)
}

func jsonText(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

func timePtr(n sql.NullInt64) *time.Time {
	if !n.Valid {
		return nil
	}
	t := time.UnixMilli(n.Int64).UTC()
	return &t
}

func millisPtr(t *time.Time) any {
	if t == nil {
		return nil
	}
	return t.UnixMilli()
}
