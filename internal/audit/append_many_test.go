package audit_test

import (
	"context"
	"database/sql"
	"fmt"
	"testing"

	"github.com/kubu-gov/kubu/internal/audit"
	"github.com/kubu-gov/kubu/internal/store"
	"github.com/kubu-gov/kubu/internal/store/storetest"
)

// TestAppendMany: a batch larger than one INSERT, between single appends,
// leaves a log that verifies entry by entry (leaf hashes, MACs, head) and
// lists every record in sequence.
func TestAppendMany(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		l := audit.New(db, ring(t))
		appendN(t, db, l, 2)
		var entries []audit.Entry
		for i := range 905 {
			entries = append(entries, audit.Entry{Code: testCode, Actor: audit.Actor{ID: "u1", Label: "a@example.gov"}, AgencyID: "ag1",
				TargetType: "thing", TargetID: fmt.Sprint("m", i), After: map[string]any{"n": i}})
		}
		if err := db.Tx(ctx, func(tx *sql.Tx) error { return l.AppendMany(ctx, tx, entries) }); err != nil {
			t.Fatal(err)
		}
		appendN(t, db, l, 1)
		s, err := l.Verify(ctx)
		if err != nil || s.Entries != 908 {
			t.Fatalf("verify after AppendMany: %+v %v", s, err)
		}
		recs, err := l.List(ctx, audit.Filter{TargetType: "thing", TargetID: "m904", AllAgencies: true})
		if err != nil || len(recs) != 1 || recs[0].Seq != 907 || string(recs[0].After) != `{"n":904}` {
			t.Fatalf("the last batched record: %+v %v", recs, err)
		}
		if err := db.Tx(ctx, func(tx *sql.Tx) error { return l.AppendMany(ctx, tx, []audit.Entry{{Actor: audit.System}}) }); err == nil {
			t.Error("an entry without a code was accepted")
		}
	})
}
