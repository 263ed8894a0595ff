package detect

import (
	"context"
	"errors"
	"time"

	"github.com/kubu-gov/kubu/internal/sigma"
)

// ruleSet is one compiled generation of the enabled rules. It is
// read-only; workers load the current one per batch.
type ruleSet struct {
	version int64
	set     *sigma.Set // every enabled rule
	// corr holds only the correlation rules and the rules they refer to,
	// for the correlation consumer; nil when there are none.
	corr    *sigma.Set
	rules   int   // detection rules compiled
	failed  int   // rules left out (compile errors)
	loadErr error // why rules were left out
}

// parseCache keeps parsed documents per stored rule and content, so a
// reload reparses only what changed. Parsed rules are read-only.
type parseCache map[string][]*sigma.Rule

// loadRuleSet reads every enabled rule and compiles them.
func (s *Service) loadRuleSet(ctx context.Context) (*ruleSet, error) {
	var version int64
	if err := s.db.R().QueryRowContext(ctx, `SELECT value FROM detect_meta WHERE name = 'rules_version'`).Scan(&version); err != nil {
		return nil, err
	}
	rows, err := s.db.R().QueryContext(ctx, `SELECT id, path, yaml, sha256 FROM detect_rules WHERE enabled = 1 ORDER BY id`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	s.parseMu.Lock()
	defer s.parseMu.Unlock()
	next := parseCache{}
	var all []*sigma.Rule
	var errs []error
	for rows.Next() {
		var rowID, path, yaml, sum string
		if err := rows.Scan(&rowID, &path, &yaml, &sum); err != nil {
			return nil, err
		}
		key := rowID + "/" + sum
		docs, ok := s.parsed[key]
		if !ok {
			p, err := parseRule(path, []byte(yaml), rowID, false)
			if err != nil {
				errs = append(errs, err)
				continue
			}
			docs = p.rules
		}
		next[key] = docs
		all = append(all, docs...)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	s.parsed = next
	rs := &ruleSet{version: version}
	set, err := sigma.Compile(all, sigma.Options{Mapping: s.opts.Mapping, Placeholders: s.opts.Placeholders, EmptyMissingPlaceholders: true})
	if err != nil {
		errs = append(errs, err)
	}
	if set == nil {
		return nil, errors.Join(errs...)
	}
	rs.set = set
	rs.rules = len(set.Rules())
	rs.failed = countErrs(err)
	rs.loadErr = errors.Join(errs...)
	if corr := correlationRules(all, set); len(corr) > 0 {
		cs, err := sigma.Compile(corr, sigma.Options{Mapping: s.opts.Mapping, Placeholders: s.opts.Placeholders, EmptyMissingPlaceholders: true})
		if cs != nil && len(cs.Correlations()) > 0 {
			rs.corr = cs
		}
		if err != nil {
			rs.loadErr = errors.Join(rs.loadErr, err)
		}
	}
	return rs, nil
}

// countErrs counts the rules a Compile error names.
func countErrs(err error) int {
	if err == nil {
		return 0
	}
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		return len(j.Unwrap())
	}
	return 1
}

// correlationRules returns the compiled correlation rules of set with
// every rule they refer to (by id or name, through chains), and the meta
// filters, which may narrow those rules.
func correlationRules(all []*sigma.Rule, set *sigma.Set) []*sigma.Rule {
	if len(set.Correlations()) == 0 {
		return nil
	}
	byRef := map[string]*sigma.Rule{}
	for _, r := range all {
		if r.ID != "" {
			byRef[r.ID] = r
		}
		if r.Name != "" {
			byRef[r.Name] = r
		}
	}
	picked := map[*sigma.Rule]bool{}
	var out []*sigma.Rule
	var add func(r *sigma.Rule)
	add = func(r *sigma.Rule) {
		if picked[r] {
			return
		}
		picked[r] = true
		out = append(out, r)
		if r.Correlation != nil {
			for _, ref := range r.Correlation.Rules {
				if d := byRef[ref]; d != nil {
					add(d)
				}
			}
		}
	}
	for _, c := range set.Correlations() {
		add(c)
	}
	for _, r := range all {
		if r.Kind() == "filter" && !picked[r] {
			out = append(out, r)
		}
	}
	return out
}

// current returns the rule set in force (nil before the first load).
func (s *Service) current() *ruleSet { return s.rules.Load() }

// reload compiles the enabled rules when their version changed.
func (s *Service) reload(ctx context.Context) error {
	var version int64
	if err := s.db.R().QueryRowContext(ctx, `SELECT value FROM detect_meta WHERE name = 'rules_version'`).Scan(&version); err != nil {
		return err
	}
	if cur := s.current(); cur != nil && cur.version == version {
		return nil
	}
	start := time.Now()
	rs, err := s.loadRuleSet(ctx)
	if err != nil {
		return err
	}
	s.rules.Store(rs)
	s.log.Info("detection rules loaded", "version", rs.version, "rules", rs.rules, "correlations", len(rs.set.Correlations()),
		"left_out", rs.failed, "seconds", time.Since(start).Seconds())
	if rs.loadErr != nil {
		s.log.Warn("some detection rules were left out", "err", rs.loadErr)
	}
	for name, rules := range rs.set.MissingPlaceholders() {
		s.log.Warn("a Sigma expand placeholder has no values; matched as an empty list", "placeholder", name, "rules", len(rules))
	}
	return nil
}

// WaitRules blocks until rules of at least the database's current version
// are compiled (tests and start-up).
func (s *Service) WaitRules(ctx context.Context) error {
	var version int64
	if err := s.db.R().QueryRowContext(ctx, `SELECT value FROM detect_meta WHERE name = 'rules_version'`).Scan(&version); err != nil {
		return err
	}
	for {
		if cur := s.current(); cur != nil && cur.version >= version {
			return nil
		}
		s.poke()
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// runReload keeps the rule set current: it checks the version every
// RuleRefresh, and at once when this node changed a rule.
func (s *Service) runReload(ctx context.Context) {
	t := time.NewTicker(s.opts.RuleRefresh)
	defer t.Stop()
	for {
		if err := s.reload(ctx); err != nil && ctx.Err() == nil {
			s.log.Error("detection rules reload", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-s.changed:
		}
	}
}

// poke asks the reload loop to look now.
func (s *Service) poke() {
	select {
	case s.changed <- struct{}{}:
	default:
	}
}
