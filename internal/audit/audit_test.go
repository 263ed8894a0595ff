package audit_test

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/kubu-gov/kubu/internal/audit"
	"github.com/kubu-gov/kubu/internal/keys"
	"github.com/kubu-gov/kubu/internal/store"
	"github.com/kubu-gov/kubu/internal/store/storetest"
)

var testCode = audit.Define("Z9000I", "test.thing_changed")

func ring(t *testing.T) *keys.Ring {
	r, err := keys.New(bytes.Repeat([]byte{1}, 32))
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func appendN(t *testing.T, db *store.DB, l *audit.Log, n int) {
	t.Helper()
	ctx := context.Background()
	for i := range n {
		err := db.Tx(ctx, func(tx *sql.Tx) error {
			_, err := l.Append(ctx, tx, audit.Entry{
				Code: testCode, Actor: audit.Actor{ID: "u1", Label: "a@example.gov"}, AgencyID: "ag1",
				TargetType: "thing", TargetID: fmt.Sprint("t", i),
				Before: map[string]any{"n": i}, After: map[string]any{"n": i + 1},
			})
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
	}
}

func TestAppendVerify(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		l := audit.New(db, ring(t))
		if s, err := l.Verify(ctx); err != nil || s.Entries != 0 {
			t.Fatalf("empty log: %+v %v", s, err)
		}
		appendN(t, db, l, 5)
		cp, ok, err := l.Checkpoint(ctx)
		if err != nil || !ok || cp.TreeSize != 5 {
			t.Fatalf("checkpoint: %+v %v %v", cp, ok, err)
		}
		if !cp.VerifySignature(l.PublicKey()) {
			t.Fatal("checkpoint signature does not verify")
		}
		appendN(t, db, l, 4)
		s, err := l.Verify(ctx)
		if err != nil {
			t.Fatalf("intact log failed verification: %v", err)
		}
		if s.Entries != 9 || s.Checkpoints != 1 || s.RootHash == "" {
			t.Fatalf("summary %+v", s)
		}
		// A rolled-back change leaves no audit entry behind.
		boom := errors.New("boom")
		err = db.Tx(ctx, func(tx *sql.Tx) error {
			if _, err := l.Append(ctx, tx, audit.Entry{Code: testCode, Actor: audit.System, TargetType: "thing"}); err != nil {
				return err
			}
			return boom
		})
		if !errors.Is(err, boom) {
			t.Fatal(err)
		}
		if s, err := l.Verify(ctx); err != nil || s.Entries != 9 {
			t.Fatalf("after rollback: %+v %v", s, err)
		}
		recs, err := l.List(ctx, audit.Filter{AgencyID: "ag1", Limit: 3})
		if err != nil || len(recs) != 3 || recs[0].Seq != 9 || recs[0].Name != "test.thing_changed" {
			t.Fatalf("List: %+v %v", recs, err)
		}
		if recs, _ := l.List(ctx, audit.Filter{AgencyID: "other"}); len(recs) != 0 {
			t.Fatalf("another agency's filter saw %d records", len(recs))
		}
	})
}

// Every column of every stored entry is covered: changing any byte is caught
// and the entry is named.
func TestTamperingIsNamed(t *testing.T) {
	columns := []string{"at", "code", "actor_id", "actor_label", "agency_id", "target_type", "target_id", "before_json", "after_json", "leaf_hash", "mac"}
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		for _, col := range columns {
			t.Run(col, func(t *testing.T) {
				db := storetest.Open(t, db.Engine)
				l := audit.New(db, ring(t))
				appendN(t, db, l, 6)
				expr := col + " || 'x'"
				if col == "at" {
					expr = "at + 1"
				}
				exec(t, db, `UPDATE audit_log SET `+col+` = `+expr+` WHERE seq = 4`)
				wantProblem(t, l, 4)
			})
		}
		t.Run("delete-middle", func(t *testing.T) {
			db := storetest.Open(t, db.Engine)
			l := audit.New(db, ring(t))
			appendN(t, db, l, 6)
			exec(t, db, `DELETE FROM audit_log WHERE seq = 3`)
			wantProblem(t, l, 3)
		})
		t.Run("delete-last", func(t *testing.T) {
			db := storetest.Open(t, db.Engine)
			l := audit.New(db, ring(t))
			appendN(t, db, l, 6)
			exec(t, db, `DELETE FROM audit_log WHERE seq = 6`)
			wantProblem(t, l, 6)
		})
		t.Run("delete-last-and-rewind-head", func(t *testing.T) {
			db := storetest.Open(t, db.Engine)
			l := audit.New(db, ring(t))
			appendN(t, db, l, 6)
			exec(t, db, `DELETE FROM audit_log WHERE seq = 6`)
			exec(t, db, `UPDATE audit_head SET size = 5`)
			wantProblem(t, l, 5)
		})
		t.Run("rehashed-without-key", func(t *testing.T) {
			// Entries written under another key (an attacker re-writing the
			// log without kubu's secret) fail the MAC check at the first one.
			db := storetest.Open(t, db.Engine)
			l := audit.New(db, ring(t))
			appendN(t, db, l, 2)
			other, _ := keys.New(bytes.Repeat([]byte{2}, 32))
			appendN(t, db, audit.New(db, other), 1)
			wantProblem(t, l, 3)
		})
		t.Run("checkpoint-beyond-log", func(t *testing.T) {
			db := storetest.Open(t, db.Engine)
			l := audit.New(db, ring(t))
			appendN(t, db, l, 4)
			if _, _, err := l.Checkpoint(ctx); err != nil {
				t.Fatal(err)
			}
			exec(t, db, `DELETE FROM audit_log WHERE seq = 4`)
			exec(t, db, `UPDATE audit_head SET size = 3`)
			wantProblem(t, l, 4)
		})
	})
}

func TestConcurrentAppends(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		l := audit.New(db, ring(t))
		var wg sync.WaitGroup
		for g := range 4 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := range 10 {
					err := db.Tx(ctx, func(tx *sql.Tx) error {
						_, err := l.Append(ctx, tx, audit.Entry{Code: testCode, Actor: audit.System, TargetType: "thing", TargetID: fmt.Sprint(g, "-", i)})
						return err
					})
					if err != nil {
						t.Error(err)
						return
					}
				}
			}()
		}
		wg.Wait()
		s, err := l.Verify(ctx)
		if err != nil || s.Entries != 40 {
			t.Fatalf("after concurrent appends: %+v %v", s, err)
		}
	})
}

func exec(t *testing.T, db *store.DB, q string) {
	t.Helper()
	if err := db.Tx(context.Background(), func(tx *sql.Tx) error {
		_, err := tx.Exec(q)
		return err
	}); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
}

func wantProblem(t *testing.T, l *audit.Log, seq int64) {
	t.Helper()
	_, err := l.Verify(context.Background())
	var p *audit.Problem
	if !errors.As(err, &p) {
		t.Fatalf("Verify = %v, want a Problem naming entry %d", err, seq)
	}
	if p.Seq != seq {
		t.Fatalf("Verify named entry %d (%s), want %d", p.Seq, p.Reason, seq)
	}
}

// TestVerifyWhileAppending: `kubu audit verify` runs beside a serving kubu,
// so it must judge one consistent moment of the log, never entries from one
// moment and the head from a later one ("the head counts N+1 but only N
// are stored" was reported against an intact, growing log).
func TestVerifyWhileAppending(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		l := audit.New(db, ring(t))
		appendN(t, db, l, 5)
		stop := make(chan struct{})
		done := make(chan error, 1)
		go func() {
			for i := range 150 {
				select {
				case <-stop:
					done <- nil
					return
				default:
				}
				err := db.Tx(ctx, func(tx *sql.Tx) error {
					_, err := l.Append(ctx, tx, audit.Entry{Code: testCode, Actor: audit.System, TargetType: "thing", TargetID: fmt.Sprint("w", i)})
					return err
				})
				if err != nil {
					done <- err
					return
				}
			}
			done <- nil
		}()
		verified := 0
		for {
			select {
			case err := <-done:
				if err != nil {
					t.Fatal(err)
				}
				if verified == 0 {
					t.Fatal("no verification ran while appending")
				}
				if s, err := l.Verify(ctx); err != nil || s.Entries != 155 {
					t.Fatalf("after appending: %+v %v", s, err)
				}
				return
			default:
			}
			if _, err := l.Verify(ctx); err != nil {
				close(stop)
				<-done
				t.Fatalf("verify while appending (after %d good runs): %v", verified, err)
			}
			verified++
		}
	})
}
