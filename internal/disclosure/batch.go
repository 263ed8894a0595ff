package disclosure

import (
	"context"
	"database/sql"
	"sync"

	"github.com/kubu-gov/kubu/internal/audit"
)

// Submissions are committed in groups: while one transaction commits, the
// submissions that arrive queue up, and the next transaction writes them
// all (group commit). A write transaction costs about the same for one
// report as for dozens, and SQLite has a single writer, so under load this
// is what lets the public endpoint take thousands of reports a second.
// Each report still gets its own audit entry, in order, in the same
// transaction as the report. If a group's transaction fails, its reports
// are retried one by one, so one bad report cannot fail the others.

// maxBatch bounds a group.
const maxBatch = 128

type submitJob struct {
	r         *Report
	email     string // sealed reporter email
	files     []preparedFile
	hashes    []string
	anonymous bool
	actor     audit.Actor
	done      chan error
}

type batcher struct {
	mu       sync.Mutex
	pending  []*submitJob
	flushing bool
}

// commit queues j and waits until it is committed (or failed). The first
// caller to find no flush running becomes the flusher; after its own group
// it hands any queued work to a new goroutine and returns.
func (s *Service) commit(ctx context.Context, j *submitJob) error {
	b := &s.batch
	b.mu.Lock()
	b.pending = append(b.pending, j)
	lead := !b.flushing
	if lead {
		b.flushing = true
	}
	b.mu.Unlock()
	if lead {
		s.flushOnce()
		go s.flushRest()
	}
	select {
	case err := <-j.done:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// take removes up to maxBatch queued jobs; when none are queued it ends
// the flush.
func (b *batcher) take() []*submitJob {
	b.mu.Lock()
	defer b.mu.Unlock()
	n := min(len(b.pending), maxBatch)
	if n == 0 {
		b.flushing = false
		return nil
	}
	group := b.pending[:n:n]
	b.pending = append([]*submitJob(nil), b.pending[n:]...)
	return group
}

// flushOnce commits one group, if any; it reports whether there was one.
func (s *Service) flushOnce() bool {
	b := &s.batch
	b.mu.Lock()
	n := min(len(b.pending), maxBatch)
	group := b.pending[:n:n]
	b.pending = append([]*submitJob(nil), b.pending[n:]...)
	b.mu.Unlock()
	if n == 0 {
		return false
	}
	s.commitGroup(group)
	return true
}

// flushRest commits groups until the queue is empty, then ends the flush.
func (s *Service) flushRest() {
	for {
		group := s.batch.take()
		if group == nil {
			return
		}
		s.commitGroup(group)
	}
}

func (s *Service) commitGroup(group []*submitJob) {
	// The group is committed even if a submitter gave up waiting: it was
	// accepted into the queue, and the report is complete.
	ctx := context.Background()
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		for _, j := range group {
			if err := s.insertReport(ctx, tx, j); err != nil {
				return err
			}
		}
		return nil
	})
	if err == nil || len(group) == 1 {
		for _, j := range group {
			j.done <- err
		}
		return
	}
	for _, j := range group {
		j.done <- s.db.Tx(ctx, func(tx *sql.Tx) error { return s.insertReport(ctx, tx, j) })
	}
}
