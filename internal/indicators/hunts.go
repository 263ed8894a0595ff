package indicators

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"runtime"
	"sync"
	"time"

	"github.com/kubu-gov/kubu/internal/audit"
	"github.com/kubu-gov/kubu/internal/authz"
	"github.com/kubu-gov/kubu/internal/detect"
	"github.com/kubu-gov/kubu/internal/eventlog"
	"github.com/kubu-gov/kubu/internal/id"
	"github.com/kubu-gov/kubu/internal/intel"
	"github.com/kubu-gov/kubu/internal/intel/match"
	"github.com/kubu-gov/kubu/internal/validate"
)

// Hunt statuses (as detection's).
const (
	HuntRunning = detect.HuntRunning
	HuntDone    = detect.HuntDone
	HuntFailed  = detect.HuntFailed
)

// Hunt is a retro-hunt by one indicator or observable over a time range
// of the retained events. Its matches are alerts of kind ioc marked with
// its id (hunt_id).
type Hunt struct {
	ID            string     `json:"id"`
	Status        string     `json:"status"`
	Type          string     `json:"type"`
	Value         string     `json:"value"`
	RuleID        string     `json:"rule_id"` // the indicator's STIX id, or observable:TYPE:VALUE
	Title         string     `json:"title"`
	AgencyID      string     `json:"agency_id,omitempty"` // "" = every agency
	From          time.Time  `json:"from"`
	To            time.Time  `json:"to"`
	EventsScanned int64      `json:"events_scanned"`
	Matches       int64      `json:"matches"`
	Error         string     `json:"error,omitempty"`
	CreatedBy     string     `json:"created_by"`
	CreatedAt     time.Time  `json:"created_at"`
	FinishedAt    *time.Time `json:"finished_at,omitempty"`
}

// NewHunt is the input of CreateHunt: a stored indicator, or an
// observable (type and value), and the range of stored time ([From, To);
// a zero To means now).
type NewHunt struct {
	IndicatorID string    `json:"indicator_id"`
	Type        string    `json:"type"`
	Value       string    `json:"value"`
	From        time.Time `json:"from"`
	To          time.Time `json:"to"`
}

// huntClaim is how long a node holds a hunt unrenewed.
const huntClaim = 30 * time.Second

// CreateHunt starts a retro-hunt. Agency roles hunt their own agency's
// events only.
func (s *Service) CreateHunt(ctx context.Context, a authz.Actor, in NewHunt) (Hunt, error) {
	if err := authz.Check(a, authz.HuntCreate, authz.Collection()); err != nil {
		return Hunt{}, err
	}
	var v validate.Errors
	now := s.stamp()
	if in.To.IsZero() {
		in.To = now
	}
	if in.From.IsZero() {
		v.Add("from", "is required (RFC 3339)")
	} else if !in.From.Before(in.To) {
		v.Add("to", "must be after from")
	}
	h := Hunt{ID: id.New(), Status: HuntRunning, From: in.From.UTC().Truncate(time.Millisecond), To: in.To.UTC().Truncate(time.Millisecond),
		CreatedBy: a.UserID, CreatedAt: now}
	switch {
	case in.IndicatorID != "" && (in.Type != "" || in.Value != ""):
		v.Add("indicator_id", "give an indicator_id or a type and value, not both")
	case in.IndicatorID != "":
		ind, err := s.Indicator(ctx, a, in.IndicatorID)
		if errors.Is(err, authz.ErrNotFound) || errors.Is(err, authz.ErrForbidden) {
			v.Add("indicator_id", "no such indicator")
		} else if err != nil {
			return Hunt{}, err
		} else {
			h.Type, h.Value, h.RuleID = ind.Type, ind.Value, ind.STIXID
			h.Title = "Indicator " + ind.Type + " " + ind.Value
			if ind.Name != "" {
				h.Title = ind.Name + " (" + ind.Type + " " + ind.Value + ")"
			}
		}
	default:
		if !intel.Type(in.Type).Valid() {
			v.Add("type", "must be one of ip, domain, url, email, md5, sha1, sha256, sha512")
		} else if o, err := intel.NewObservable(intel.Type(in.Type), in.Value); err != nil {
			v.Add("value", "%s", err.Error())
		} else {
			h.Type, h.Value = string(o.Type), o.Value
			h.RuleID = "observable:" + h.Type + ":" + h.Value
			h.Title = "Observable " + h.Type + " " + h.Value
		}
	}
	if err := v.Err(); err != nil {
		return Hunt{}, err
	}
	if sc := authz.ScopeOf(a, authz.HuntRead); !sc.All {
		h.AgencyID = sc.AgencyID
	}
	h.Title = clip(h.Title, 500)
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO intel_hunts (id, agency_id, type, value, stix_id, title, from_at, to_at, status, created_by, created_at)
			VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11)`, h.ID, h.AgencyID, h.Type, h.Value, h.RuleID, h.Title, h.From.UnixMilli(), h.To.UnixMilli(),
			h.Status, h.CreatedBy, h.CreatedAt.UnixMilli())
		if err != nil {
			return err
		}
		_, err = s.audit.Append(ctx, tx, audit.Entry{Code: HuntStarted, Actor: a.AuditActor(), AgencyID: h.AgencyID, TargetType: "intel_hunt",
			TargetID: h.ID, After: map[string]any{"type": h.Type, "value": h.Value, "rule_id": h.RuleID, "from": h.From, "to": h.To}})
		return err
	})
	if err != nil {
		return Hunt{}, err
	}
	select {
	case s.huntWake <- struct{}{}:
	default:
	}
	return h, nil
}

const huntCols = `id, status, type, value, stix_id, title, agency_id, from_at, to_at, events_scanned, matches, error, created_by, created_at, finished_at`

func scanHunt(sc interface{ Scan(...any) error }, extra ...any) (Hunt, error) {
	var h Hunt
	var from, to, created int64
	var finished sql.NullInt64
	err := sc.Scan(append([]any{&h.ID, &h.Status, &h.Type, &h.Value, &h.RuleID, &h.Title, &h.AgencyID, &from, &to, &h.EventsScanned, &h.Matches,
		&h.Error, &h.CreatedBy, &created, &finished}, extra...)...)
	if errors.Is(err, sql.ErrNoRows) {
		return Hunt{}, authz.ErrNotFound
	}
	if err != nil {
		return Hunt{}, err
	}
	h.From, h.To, h.CreatedAt = time.UnixMilli(from).UTC(), time.UnixMilli(to).UTC(), time.UnixMilli(created).UTC()
	h.FinishedAt = nullMS(finished)
	return h, nil
}

// Hunt returns one retro-hunt the caller may see.
func (s *Service) Hunt(ctx context.Context, a authz.Actor, huntID string) (Hunt, error) {
	if err := authz.Check(a, authz.HuntRead, authz.Collection()); err != nil {
		return Hunt{}, err
	}
	h, err := scanHunt(s.db.R().QueryRowContext(ctx, `SELECT `+huntCols+` FROM intel_hunts WHERE id = $1`, huntID))
	if err != nil {
		return Hunt{}, err
	}
	if err := authz.Check(a, authz.HuntRead, authz.Record(h.AgencyID)); err != nil {
		return Hunt{}, err
	}
	return h, nil
}

// Hunts lists the latest retro-hunts the caller may see, newest first.
func (s *Service) Hunts(ctx context.Context, a authz.Actor, limit int) ([]Hunt, error) {
	sc, err := authz.ScopeFor(a, authz.HuntRead)
	if err != nil {
		return nil, err
	}
	q, args := `SELECT `+huntCols+` FROM intel_hunts`, []any{}
	if !sc.All {
		q += ` WHERE agency_id = $1`
		args = append(args, sc.AgencyID)
	}
	if limit <= 0 || limit > 200 {
		limit = 50
	}
	rows, err := s.db.R().QueryContext(ctx, q+fmt.Sprintf(` ORDER BY id DESC LIMIT %d`, limit), args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []Hunt{}
	for rows.Next() {
		h, err := scanHunt(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, h)
	}
	return out, rows.Err()
}

// runHunts runs the running hunts that no live node holds, oldest first,
// until ctx ends; an interrupted hunt resumes from its saved progress.
func (s *Service) runHunts(ctx context.Context, log *eventlog.Log) {
	for ctx.Err() == nil {
		var huntID string
		now := s.now().UnixMilli()
		err := s.db.R().QueryRowContext(ctx, `SELECT id FROM intel_hunts WHERE status = $1 AND (runner_until IS NULL OR runner_until < $2 OR runner = $3)
			ORDER BY id LIMIT 1`, HuntRunning, now, s.opts.NodeID).Scan(&huntID)
		if err == nil {
			if ok, cerr := s.claimHunt(ctx, huntID); cerr == nil && ok {
				if err := s.runHunt(ctx, log, huntID); err != nil && ctx.Err() == nil {
					s.log.Error("indicator retro-hunt failed", "hunt", huntID, "err", err)
					s.failHunt(ctx, huntID, err)
				}
				continue
			}
		} else if !errors.Is(err, sql.ErrNoRows) && ctx.Err() == nil {
			s.log.Warn("indicator retro-hunt queue", "err", err)
		}
		select {
		case <-ctx.Done():
		case <-s.huntWake:
		case <-time.After(2 * time.Second):
		}
	}
}

// claimHunt takes a hunt for this node for huntClaim.
func (s *Service) claimHunt(ctx context.Context, huntID string) (bool, error) {
	var ok bool
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		now := s.now()
		res, err := tx.ExecContext(ctx, `UPDATE intel_hunts SET runner = $1, runner_until = $2 WHERE id = $3 AND status = $4
			AND (runner_until IS NULL OR runner_until < $5 OR runner = $1)`, s.opts.NodeID, now.Add(huntClaim).UnixMilli(), huntID, HuntRunning, now.UnixMilli())
		if err != nil {
			return err
		}
		n, _ := res.RowsAffected()
		ok = n == 1
		return nil
	})
	return ok, err
}

// errLostHunt is a hunt another node took over.
var errLostHunt = errors.New("indicators: the hunt is held by another node")

// holdHunt checks inside tx that this node still holds the hunt, and
// renews its claim.
func (s *Service) holdHunt(ctx context.Context, tx *sql.Tx, huntID string) error {
	var runner string
	if err := tx.QueryRowContext(ctx, `SELECT runner FROM intel_hunts WHERE id = $1`+s.db.Dialect.ForUpdate, huntID).Scan(&runner); err != nil {
		return err
	}
	if runner != s.opts.NodeID {
		return errLostHunt
	}
	_, err := tx.ExecContext(ctx, `UPDATE intel_hunts SET runner_until = $1 WHERE id = $2`, s.now().Add(huntClaim).UnixMilli(), huntID)
	return err
}

func (s *Service) failHunt(ctx context.Context, huntID string, cause error) {
	if errors.Is(cause, errLostHunt) {
		return
	}
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `UPDATE intel_hunts SET status = $1, error = $2, finished_at = $3 WHERE id = $4`,
			HuntFailed, cause.Error(), s.now().UnixMilli(), huntID); err != nil {
			return err
		}
		_, err := s.audit.Append(ctx, tx, audit.Entry{Code: HuntAborted, Actor: audit.System, TargetType: "intel_hunt", TargetID: huntID,
			After: map[string]any{"error": cause.Error()}})
		return err
	})
	if err != nil {
		s.log.Error("indicator retro-hunt: record failure", "hunt", huntID, "err", err)
	}
}

// huntChunkMsgs is how many batches are matched and recorded together.
const huntChunkMsgs = 256

// runHunt reads the hunt's range of the log in stream order and writes
// each chunk's matches with the progress in one transaction.
func (s *Service) runHunt(ctx context.Context, log *eventlog.Log, huntID string) error {
	var last int64
	h, err := scanHunt(s.db.R().QueryRowContext(ctx, `SELECT `+huntCols+`, last_seq FROM intel_hunts WHERE id = $1`, huntID), &last)
	if err != nil {
		return err
	}
	var conf int = -1
	var name string
	s.db.R().QueryRowContext(ctx, `SELECT confidence, name FROM intel_indicators WHERE stix_id = $1 AND type = $2 AND value = $3`,
		h.RuleID, h.Type, h.Value).Scan(&conf, &name)
	ind := intel.Indicator{ID: h.RuleID, Observable: intel.Observable{Type: intel.Type(h.Type), Value: h.Value}, Name: name, Confidence: conf}
	set := match.Build([]intel.Indicator{ind}, match.Options{Now: time.Now(), SkipFields: []string{"@kubu"}})
	if set.Len() != 1 {
		return fmt.Errorf("the observable %s %s cannot be matched", h.Type, h.Value)
	}
	var opts []eventlog.RangeOption
	if h.AgencyID != "" {
		var code string
		if err := s.db.R().QueryRowContext(ctx, `SELECT code FROM agencies WHERE id = $1`, h.AgencyID).Scan(&code); err != nil {
			return fmt.Errorf("hunt agency: %w", err)
		}
		subj, err := log.Subject(code)
		if err != nil {
			return err
		}
		opts = append(opts, eventlog.RangeFilter(subj))
	}
	var chunk []eventlog.Msg
	flush := func() error {
		if len(chunk) == 0 {
			return nil
		}
		err := s.huntChunk(ctx, h.ID, set, chunk)
		chunk = chunk[:0]
		return err
	}
	err = log.Range(ctx, h.From, h.To, func(m eventlog.Msg) error {
		if m.Seq <= uint64(last) {
			return nil // done before an interruption
		}
		chunk = append(chunk, m)
		if len(chunk) >= huntChunkMsgs {
			return flush()
		}
		return nil
	}, opts...)
	if err == nil {
		err = flush()
	}
	if err != nil {
		return err
	}
	return s.db.Tx(ctx, func(tx *sql.Tx) error {
		if err := s.holdHunt(ctx, tx, h.ID); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE intel_hunts SET status = $1, finished_at = $2, runner = '', runner_until = NULL WHERE id = $3`,
			HuntDone, s.now().UnixMilli(), h.ID); err != nil {
			return err
		}
		var scanned, matches int64
		tx.QueryRowContext(ctx, `SELECT events_scanned, matches FROM intel_hunts WHERE id = $1`, h.ID).Scan(&scanned, &matches)
		_, err := s.audit.Append(ctx, tx, audit.Entry{Code: HuntFinished, Actor: audit.System, AgencyID: h.AgencyID, TargetType: "intel_hunt",
			TargetID: h.ID, After: map[string]any{"events_scanned": scanned, "matches": matches}})
		return err
	})
}

// huntChunk matches a chunk on every core and records it.
func (s *Service) huntChunk(ctx context.Context, huntID string, set *match.Set, chunk []eventlog.Msg) error {
	workers := runtime.GOMAXPROCS(0)
	type result struct {
		matches []detect.Match
		events  int64
	}
	results := make([]result, workers)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			res := &results[w]
			for i := w; i < len(chunk); i += workers {
				detect.EachEvent(chunk[i], func(ev detect.Event) {
					res.events++
					for _, hit := range set.Match(ev.Line) {
						res.matches = append(res.matches, matchOf(hit, ev))
					}
				})
			}
		}()
	}
	wg.Wait()
	var matches []detect.Match
	var events int64
	for _, r := range results {
		matches = append(matches, r.matches...)
		events += r.events
	}
	lastSeq := chunk[len(chunk)-1].Seq
	return s.db.Tx(ctx, func(tx *sql.Tx) error {
		if err := s.holdHunt(ctx, tx, huntID); err != nil {
			return err
		}
		n := int64(0)
		if len(matches) > 0 {
			counts, err := s.detect.WriteMatches(ctx, tx, matches, huntID)
			if err != nil {
				return err
			}
			for _, c := range counts {
				n += int64(c)
			}
		}
		_, err := tx.ExecContext(ctx, `UPDATE intel_hunts SET events_scanned = events_scanned + $1, matches = matches + $2, last_seq = $3 WHERE id = $4`,
			events, n, int64(lastSeq), huntID)
		return err
	})
}
