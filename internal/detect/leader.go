package detect

import (
	"context"
	"database/sql"
	"errors"
	"sync"
	"time"

	"github.com/kubu-gov/kubu/internal/eventlog"
)

// leaderLease is the lease whose holder runs correlation, the silence
// check and retro-hunts.
const leaderLease = "leader"

// errLostLease aborts a leader transaction after another node took over.
var errLostLease = errors.New("detect: leader lease lost")

// acquire takes or renews a lease for LeaseTTL and reports whether this
// node holds it.
func (s *Service) acquire(ctx context.Context, name string) (bool, error) {
	now := s.now().UnixMilli()
	held := false
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `INSERT INTO detect_leases (name, holder, expires_at) VALUES ($1,$2,$3)
			ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at
			WHERE detect_leases.holder = excluded.holder OR detect_leases.expires_at < $4`,
			name, s.opts.NodeID, now+s.opts.LeaseTTL.Milliseconds(), now)
		if err != nil {
			return err
		}
		n, _ := res.RowsAffected()
		held = n > 0
		return nil
	})
	return held, err
}

// release gives a lease up at once (clean shutdown), so another node
// need not wait for it to expire.
func (s *Service) release(ctx context.Context, name string) error {
	return s.db.Tx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `DELETE FROM detect_leases WHERE name = $1 AND holder = $2`, name, s.opts.NodeID)
		return err
	})
}

// checkLease fails a leader transaction unless this node still holds the
// lease (and, on PostgreSQL, locks it until the transaction ends).
func (s *Service) checkLease(ctx context.Context, tx *sql.Tx, name string) error {
	var holder string
	var expires int64
	err := tx.QueryRowContext(ctx, `SELECT holder, expires_at FROM detect_leases WHERE name = $1`+s.db.Dialect.ForUpdate, name).Scan(&holder, &expires)
	if errors.Is(err, sql.ErrNoRows) || err == nil && (holder != s.opts.NodeID || expires < s.now().UnixMilli()) {
		return errLostLease
	}
	return err
}

// runLeader competes for the leader lease and runs the leader's jobs
// while it holds it.
func (s *Service) runLeader(ctx context.Context, log *eventlog.Log) {
	var lead *leadership
	defer func() {
		lead.stop()
		rctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		s.release(rctx, leaderLease)
		cancel()
	}()
	t := time.NewTicker(s.opts.LeaseTTL / 3)
	defer t.Stop()
	for {
		held, err := s.acquire(ctx, leaderLease)
		if err != nil && ctx.Err() == nil {
			s.log.Warn("leader lease", "err", err)
		}
		switch {
		case held && lead == nil:
			s.log.Info("this node leads correlation, silence checks and hunts", "node", s.opts.NodeID)
			lead = s.lead(ctx, log)
		case !held && lead != nil && err == nil:
			s.log.Warn("leader lease lost", "node", s.opts.NodeID)
			lead.stop()
			lead = nil
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// leadership is the leader's running jobs.
type leadership struct {
	cancel context.CancelFunc
	wg     sync.WaitGroup
}

func (l *leadership) stop() {
	if l != nil {
		l.cancel()
		l.wg.Wait()
	}
}

// lead starts the leader's jobs.
func (s *Service) lead(parent context.Context, log *eventlog.Log) *leadership {
	ctx, cancel := context.WithCancel(parent)
	l := &leadership{cancel: cancel}
	run := func(fn func(context.Context)) {
		l.wg.Add(1)
		go func() { defer l.wg.Done(); fn(ctx) }()
	}
	run(func(ctx context.Context) { s.runCorrelation(ctx, log) })
	run(s.runSilence)
	run(func(ctx context.Context) { s.runHunts(ctx, log) })
	return l
}

// runSilence checks for silent sources every quarter of SilenceAfter
// (between 200 ms and a minute).
func (s *Service) runSilence(ctx context.Context) {
	if s.opts.SilenceAfter < 0 {
		return
	}
	every := min(max(s.opts.SilenceAfter/4, 200*time.Millisecond), time.Minute)
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if n, err := s.checkSilence(ctx); err != nil && ctx.Err() == nil {
			s.log.Warn("silence check", "err", err)
		} else if n > 0 {
			s.log.Info("silent sources alerted", "count", n)
		}
		s.silenceChecks.Add(1)
	}
}
