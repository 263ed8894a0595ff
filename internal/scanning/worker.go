package scanning

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/kubu-gov/kubu/internal/audit"
	"github.com/kubu-gov/kubu/internal/id"
)

// job is a scan this node holds the lease of.
type job struct {
	ID, SystemID, AgencyID, Kind string
	Hostnames                    []string
	Attempts                     int
}

// errLost means another node holds the scan now.
var errLost = errors.New("scanning: the scan's lease was lost")

// Run is this node's scanning loop until ctx ends: it re-reads the
// targets from the registry, turns due targets into scans, and runs queued
// scans (its own requests at once), at most Options.Concurrency names at a
// time. On return every scan it was running is handed back to the queue.
func (s *Service) Run(ctx context.Context) error {
	if _, err := s.scanner(); err != nil {
		return err
	}
	t := time.NewTicker(s.o.Tick)
	defer t.Stop()
	var wg sync.WaitGroup
	defer s.windDown(&wg)
	var lastSync time.Time
	for {
		if time.Since(lastSync) >= s.o.SyncEvery || s.resync.Swap(false) {
			if a, m, r, err := s.Sync(ctx); err != nil {
				if ctx.Err() == nil {
					s.log.Error("scan targets sync", "err", err)
				}
			} else {
				lastSync = time.Now()
				if a+m+r > 0 {
					s.log.Info("scan targets", "added", a, "moved", m, "removed", r)
				}
			}
		}
		if n, err := s.schedule(ctx); err != nil && ctx.Err() == nil {
			s.log.Error("scan scheduling", "err", err)
		} else if n > 0 {
			s.log.Info("scans scheduled", "scans", n)
		}
		if free := s.o.Concurrency - s.running(); free > 0 {
			jobs, err := s.claim(ctx, free)
			if err != nil && ctx.Err() == nil {
				s.log.Error("scan claim", "err", err)
			}
			for _, j := range jobs {
				wg.Add(1)
				go func(j job) {
					defer wg.Done()
					s.runJob(ctx, j)
				}(j)
			}
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		case <-s.kick:
		}
	}
}

// StopGrace bounds how long Run waits, once told to stop, for the scans it
// runs to end; scans still running then are handed back to the queue.
const StopGrace = 3 * time.Second

func (s *Service) windDown(wg *sync.WaitGroup) {
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
		return
	case <-time.After(StopGrace):
	}
	s.mu.Lock()
	ids := make([]string, 0, len(s.mine))
	for id := range s.mine {
		ids = append(ids, id)
	}
	s.mu.Unlock()
	for _, id := range ids {
		s.release(id)
	}
	s.log.Warn("scanning stopped with scans still winding down; they were handed back", "scans", len(ids))
}

func (s *Service) running() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.mine)
}

// schedule turns due targets into scheduled scans, one per system, in one
// transaction: a target is claimed by setting its queued scan, so however
// many nodes schedule at once, each due target joins one scan.
func (s *Service) schedule(ctx context.Context) (int, error) {
	now := s.now()
	created := 0
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		created = 0
		rows, err := tx.QueryContext(ctx, `SELECT hostname, system_id, agency_id FROM scan_targets
			WHERE next_due_at <= $1 AND queued_scan_id IS NULL ORDER BY next_due_at, hostname LIMIT $2`+s.db.Dialect.ForUpdate,
			now.UnixMilli(), s.o.Batch)
		if err != nil {
			return err
		}
		type group struct {
			agencyID string
			hosts    []string
		}
		groups := map[string]*group{}
		var order []string
		for rows.Next() {
			var h, sys, ag string
			if err := rows.Scan(&h, &sys, &ag); err != nil {
				rows.Close()
				return err
			}
			g := groups[sys]
			if g == nil {
				g = &group{agencyID: ag}
				groups[sys] = g
				order = append(order, sys)
			}
			g.hosts = append(g.hosts, h)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		for _, sys := range order {
			g := groups[sys]
			scanID := id.New()
			var claimed []string
			for _, h := range g.hosts {
				res, err := tx.ExecContext(ctx, `UPDATE scan_targets SET queued_scan_id=$1 WHERE hostname=$2 AND queued_scan_id IS NULL AND system_id=$3`,
					scanID, h, sys)
				if err != nil {
					return err
				}
				if n, _ := res.RowsAffected(); n == 1 {
					claimed = append(claimed, h)
				}
			}
			if len(claimed) == 0 {
				continue
			}
			if err := s.insertScan(ctx, tx, scanID, sys, g.agencyID, "scheduled", claimed, scanActor, now); err != nil {
				return err
			}
			if _, err := s.audit.Append(ctx, tx, audit.Entry{Code: ScanScheduled, Actor: scanActor, AgencyID: g.agencyID,
				TargetType: "scan", TargetID: scanID, After: map[string]any{"system_id": sys, "hostnames": claimed, "kind": "scheduled"}}); err != nil {
				return err
			}
			created++
		}
		return nil
	})
	return created, err
}

func (s *Service) insertScan(ctx context.Context, tx *sql.Tx, scanID, systemID, agencyID, kind string, hosts []string, by audit.Actor, now time.Time) error {
	hj, _ := json.Marshal(hosts)
	_, err := tx.ExecContext(ctx, `INSERT INTO scans (id, system_id, agency_id, kind, status, hostnames, requested_by, requested_label, created_at)
		VALUES ($1,$2,$3,$4,'queued',$5,$6,$7,$8)`, scanID, systemID, agencyID, kind, string(hj), by.ID, by.Label, now.UnixMilli())
	return err
}

// claim takes up to n queued scans (or running ones whose holder's lease
// lapsed) for this node. A scan started MaxAttempts times already fails.
func (s *Service) claim(ctx context.Context, n int) ([]job, error) {
	now := s.now().UnixMilli()
	rows, err := s.db.R().QueryContext(ctx, `SELECT id FROM scans WHERE status = 'queued' OR (status = 'running' AND lease_until < $1)
		ORDER BY created_at, id LIMIT $2`, now, n)
	if err != nil {
		return nil, err
	}
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return nil, err
		}
		ids = append(ids, id)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	var out []job
	for _, scanID := range ids {
		var j job
		var took bool
		err := s.db.Tx(ctx, func(tx *sql.Tx) error {
			took = false
			res, err := tx.ExecContext(ctx, `UPDATE scans SET status='running', lease_owner=$1, lease_until=$2, attempts=attempts+1,
				started_at=COALESCE(started_at, $3) WHERE id=$4 AND (status='queued' OR (status='running' AND lease_until < $3))`,
				s.o.NodeID, now+s.o.LeaseTTL.Milliseconds(), now, scanID)
			if err != nil {
				return err
			}
			if n, _ := res.RowsAffected(); n != 1 {
				return nil // another node was quicker
			}
			var hosts string
			if err := tx.QueryRowContext(ctx, `SELECT system_id, agency_id, kind, hostnames, attempts FROM scans WHERE id=$1`, scanID).
				Scan(&j.SystemID, &j.AgencyID, &j.Kind, &hosts, &j.Attempts); err != nil {
				return err
			}
			j.ID = scanID
			if err := json.Unmarshal([]byte(hosts), &j.Hostnames); err != nil {
				return fmt.Errorf("scan %s hostnames: %w", scanID, err)
			}
			if j.Attempts > s.o.MaxAttempts {
				return s.failTx(ctx, tx, j, fmt.Sprintf("started %d times without finishing", j.Attempts-1))
			}
			took = true
			return nil
		})
		if err != nil {
			return out, err
		}
		if took {
			s.mu.Lock()
			s.mine[j.ID] = true
			s.mu.Unlock()
			out = append(out, j)
		}
	}
	return out, nil
}

// runJob scans a claimed scan's names, recording each result as it comes,
// while renewing the lease; then finishes the scan (or, when this node
// stops or loses the lease, leaves it to be taken up again).
func (s *Service) runJob(parent context.Context, j job) {
	defer func() {
		s.mu.Lock()
		delete(s.mine, j.ID)
		s.mu.Unlock()
		s.wake() // room for the next scan
	}()
	ctx, cancel := context.WithCancelCause(parent)
	defer cancel(nil)
	go s.keepLease(ctx, cancel, j.ID)

	engine, err := s.scanner()
	if err != nil {
		s.fail(parent, j, err.Error())
		return
	}
	sys, err := s.reg.System(ctx, reader, j.SystemID)
	if err != nil {
		s.log.Error("scan: read the system", "scan", j.ID, "err", err)
		s.release(j.ID)
		return
	}
	done, err := s.recordedNames(ctx, j.ID)
	if err != nil {
		s.release(j.ID)
		return
	}
	var wg sync.WaitGroup
	var failures atomic.Int64
	var skipped atomic.Int64
	for _, h := range j.Hostnames {
		if done[h] {
			continue
		}
		select {
		case s.names <- struct{}{}:
		case <-ctx.Done():
		}
		if ctx.Err() != nil {
			break
		}
		wg.Add(1)
		go func(h string) {
			defer wg.Done()
			defer func() { <-s.names }()
			// Only registered names are scanned: ask again now.
			o, ok, err := s.ownerOf(ctx, h)
			if err != nil {
				failures.Add(1)
				s.log.Error("scan: who owns the name", "scan", j.ID, "hostname", h, "err", err)
				return
			}
			if !ok || o.SystemID != j.SystemID {
				skipped.Add(1)
				s.resync.Store(true)
				s.log.Info("scan: name no longer registered to the system; not scanned", "scan", j.ID, "hostname", h)
				return
			}
			res, err := engine.Scan(ctx, h)
			if ctx.Err() != nil {
				return
			}
			if res == nil {
				failures.Add(1)
				s.log.Error("scan", "scan", j.ID, "hostname", h, "err", err)
				return
			}
			switch err := s.record(ctx, j, sys, res); {
			case errors.Is(err, errSkip):
				skipped.Add(1)
				s.resync.Store(true)
			case err != nil:
				if ctx.Err() == nil {
					failures.Add(1)
					s.log.Error("scan: record the result", "scan", j.ID, "hostname", h, "err", err)
				}
			}
		}(h)
	}
	wg.Wait()
	if ctx.Err() != nil {
		if !errors.Is(context.Cause(ctx), errLost) {
			s.release(j.ID)
		}
		return
	}
	if failures.Load() > 0 {
		s.release(j.ID) // taken up again; recorded names are not scanned twice
		return
	}
	if err := s.finish(parent, j, int(skipped.Load())); err != nil && parent.Err() == nil {
		s.log.Error("scan: finish", "scan", j.ID, "err", err)
	}
}

// keepLease renews the scan's lease until ctx ends; a lease another node
// took cancels ctx with errLost.
func (s *Service) keepLease(ctx context.Context, cancel context.CancelCauseFunc, scanID string) {
	t := time.NewTicker(s.o.LeaseTTL / 3)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		var held bool
		err := s.db.Tx(ctx, func(tx *sql.Tx) error {
			res, err := tx.ExecContext(ctx, `UPDATE scans SET lease_until=$1 WHERE id=$2 AND lease_owner=$3 AND status='running'`,
				s.now().UnixMilli()+s.o.LeaseTTL.Milliseconds(), scanID, s.o.NodeID)
			if err != nil {
				return err
			}
			n, _ := res.RowsAffected()
			held = n == 1
			return nil
		})
		if err == nil && !held {
			cancel(errLost)
			return
		}
	}
}

func (s *Service) recordedNames(ctx context.Context, scanID string) (map[string]bool, error) {
	rows, err := s.db.R().QueryContext(ctx, `SELECT hostname FROM scan_results WHERE scan_id=$1`, scanID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]bool{}
	for rows.Next() {
		var h string
		if err := rows.Scan(&h); err != nil {
			return nil, err
		}
		out[h] = true
	}
	return out, rows.Err()
}

// release hands a scan this node holds back to the queue at once.
func (s *Service) release(scanID string) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `UPDATE scans SET status='queued', lease_owner='', lease_until=0
			WHERE id=$1 AND lease_owner=$2 AND status='running'`, scanID, s.o.NodeID)
		return err
	})
	if err != nil {
		s.log.Warn("scan: hand back", "scan", scanID, "err", err)
	}
}

// finish marks a scan done; names it skipped are free to be scheduled.
func (s *Service) finish(ctx context.Context, j job, skipped int) error {
	now := s.now()
	return s.db.Tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE scans SET status='done', finished_at=$1, lease_owner='', lease_until=0
			WHERE id=$2 AND lease_owner=$3 AND status='running'`, now.UnixMilli(), j.ID, s.o.NodeID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return nil // another node finished it
		}
		if _, err := tx.ExecContext(ctx, `UPDATE scan_targets SET queued_scan_id=NULL WHERE queued_scan_id=$1`, j.ID); err != nil {
			return err
		}
		var recorded int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM scan_results WHERE scan_id=$1`, j.ID).Scan(&recorded); err != nil {
			return err
		}
		_, err = s.audit.Append(ctx, tx, audit.Entry{Code: ScanFinished, Actor: scanActor, AgencyID: j.AgencyID, TargetType: "scan",
			TargetID: j.ID, After: map[string]any{"system_id": j.SystemID, "names": len(j.Hostnames), "recorded": recorded, "skipped": skipped}})
		return err
	})
}

// fail marks a scan failed.
func (s *Service) fail(ctx context.Context, j job, reason string) {
	err := s.db.Tx(context.WithoutCancel(ctx), func(tx *sql.Tx) error { return s.failTx(ctx, tx, j, reason) })
	if err != nil {
		s.log.Error("scan: mark failed", "scan", j.ID, "err", err)
	}
}

func (s *Service) failTx(ctx context.Context, tx *sql.Tx, j job, reason string) error {
	now := s.now()
	if _, err := tx.ExecContext(ctx, `UPDATE scans SET status='failed', error=$1, finished_at=$2, lease_owner='', lease_until=0 WHERE id=$3`,
		clip(reason, 1000), now.UnixMilli(), j.ID); err != nil {
		return err
	}
	// Its names are due again after the retry interval, not at once.
	if _, err := tx.ExecContext(ctx, `UPDATE scan_targets SET queued_scan_id=NULL, next_due_at=$1 WHERE queued_scan_id=$2`,
		now.Add(retryAfter).UnixMilli(), j.ID); err != nil {
		return err
	}
	_, err := s.audit.Append(ctx, tx, audit.Entry{Code: ScanFailed, Actor: scanActor, AgencyID: j.AgencyID, TargetType: "scan",
		TargetID: j.ID, After: map[string]any{"system_id": j.SystemID, "error": reason}})
	return err
}
