package detect

import (
	"context"
	"testing"
	"time"

	"github.com/kubu-gov/kubu/internal/node"
	"github.com/kubu-gov/kubu/internal/store"
	"github.com/kubu-gov/kubu/internal/store/storetest"
	"github.com/kubu-gov/kubu/internal/testkit"
)

// TestSameHostAndDataPathNeverBothLead: two nodes started with the same
// hostname and data path (once their id was host + data dir, so both
// "held" the lease and one's shutdown deleted the other's) get ids of
// their own from internal/node: one leads, the other does not, and the
// other's release leaves the leader's lease in place (issue 15 item 5).
func TestSameHostAndDataPathNeverBothLead(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		w := testkit.New(t, db)
		dir := t.TempDir()
		var svcs []*Service
		for range 2 {
			id, err := node.Identify(dir)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(id.Close)
			svcs = append(svcs, New(db, w.Audit, quietLog(), Options{NodeID: id.ID, LeaseTTL: time.Minute}))
		}
		a, b := svcs[0], svcs[1]
		if a.opts.NodeID == b.opts.NodeID {
			t.Fatalf("two processes on one data dir share the node id %q", a.opts.NodeID)
		}
		if held, err := a.acquire(ctx, leaderLease); err != nil || !held {
			t.Fatalf("first node: held=%v err=%v", held, err)
		}
		if held, err := b.acquire(ctx, leaderLease); err != nil || held {
			t.Fatalf("second node with the same host and data path also leads: held=%v err=%v", held, err)
		}
		if err := b.release(ctx, leaderLease); err != nil {
			t.Fatal(err)
		}
		var holder string
		if err := db.R().QueryRowContext(ctx, `SELECT holder FROM detect_leases WHERE name = $1`, leaderLease).Scan(&holder); err != nil {
			t.Fatalf("the leader's lease is gone after the other node stopped: %v", err)
		}
		if holder != a.opts.NodeID {
			t.Fatalf("lease held by %q, want %q", holder, a.opts.NodeID)
		}
	})
}
