package audit_test

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/kubu-gov/kubu/internal/audit"
	"github.com/kubu-gov/kubu/internal/audit/audittest"
	"github.com/kubu-gov/kubu/internal/audit/tlog"
	"github.com/kubu-gov/kubu/internal/keys"
	"github.com/kubu-gov/kubu/internal/store"
	"github.com/kubu-gov/kubu/internal/store/storetest"
)

// Every entry's inclusion proof, computed from the stored leaves, verifies
// offline against the signed checkpoint with nothing but tlog.
func TestInclusionProofs(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		l := audit.New(db, ring(t))
		appendN(t, db, l, 11)
		cp, note, err := l.SignCheckpoint(ctx)
		if err != nil {
			t.Fatal(err)
		}
		appendN(t, db, l, 3) // entries after the checkpoint are not in it
		signed, err := tlog.OpenCheckpoint(note, l.VerifierKey())
		if err != nil || signed.Size != 11 {
			t.Fatalf("signed checkpoint %+v: %v", signed, err)
		}
		seqs := []int64{1, 2, 5, 8, 11}
		proofs, err := l.InclusionProofs(ctx, cp, seqs)
		if err != nil {
			t.Fatal(err)
		}
		recs, err := l.Entries(ctx, 11, audit.Target{Type: "thing", IDs: []string{"t0", "t1", "t4", "t7", "t10"}})
		if err != nil || len(recs) != 5 {
			t.Fatalf("Entries: %d records, %v", len(recs), err)
		}
		for _, r := range recs {
			p := proofs[r.Seq]
			if err := p.Verify(r.Entry().LeafHash(), signed.Root); err != nil {
				t.Fatalf("entry %d: %v", r.Seq, err)
			}
			// The same proof does not prove another entry.
			other := r.Entry()
			other.After += " "
			if err := p.Verify(other.LeafHash(), signed.Root); err == nil {
				t.Fatalf("entry %d: proof accepted altered content", r.Seq)
			}
		}
		if _, err := l.InclusionProofs(ctx, cp, []int64{12}); err == nil {
			t.Fatal("a proof for an entry after the checkpoint was made")
		}
		// A stored leaf changed under the checkpoint: no proof is handed out.
		exec(t, db, `UPDATE audit_log SET leaf_hash = '`+strings.Repeat("0", 64)+`' WHERE seq = 3`)
		var p *audit.Problem
		if _, err := l.InclusionProofs(ctx, cp, []int64{5}); !errors.As(err, &p) || p.Seq != 11 {
			t.Fatalf("proofs over a rewritten leaf: %v", err)
		}
	})
}

func TestConsistencyProof(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		l := audit.New(db, ring(t))
		appendN(t, db, l, 6)
		first, _, err := l.SignCheckpoint(ctx)
		if err != nil {
			t.Fatal(err)
		}
		appendN(t, db, l, 9)
		proof, root, err := l.ConsistencyProof(ctx, 6, 15)
		if err != nil {
			t.Fatal(err)
		}
		s, err := l.Verify(ctx)
		if err != nil || hex.EncodeToString(root) != s.RootHash {
			t.Fatalf("root %x, verify %+v %v", root, s, err)
		}
		if err := tlog.VerifyConsistency(6, 15, proof, first.Tlog().Root, root); err != nil {
			t.Fatal(err)
		}
	})
}

// The acceptance test of issue 11 (rollback): an attacker snapshots the
// audit tables, more entries are made, a checkpoint is taken and kept
// elsewhere, then the old snapshot is put back. Verify alone passes (the
// restored tables are self-consistent); VerifyCheckpoint with the checkpoint
// kept elsewhere fails naming its tree size.
func TestVerifyCheckpointCatchesRollback(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		l := audit.New(db, ring(t))
		appendN(t, db, l, 5)
		if _, _, err := l.Checkpoint(ctx); err != nil { // the server signs one every minute
			t.Fatal(err)
		}
		old := audittest.Take(t, db.R())
		appendN(t, db, l, 4)
		_, kept, err := l.SignCheckpoint(ctx)
		if err != nil {
			t.Fatal(err)
		}
		appendN(t, db, l, 2)
		if _, _, err := l.VerifyCheckpoint(ctx, kept); err != nil {
			t.Fatalf("an intact log that grew fails against its checkpoint: %v", err)
		}
		restore(t, db, old)
		if s, err := l.Verify(ctx); err != nil || s.Entries != 5 {
			t.Fatalf("plain Verify of the restored snapshot: %+v %v (it is expected to pass)", s, err)
		}
		_, _, err = l.VerifyCheckpoint(ctx, kept)
		var cpp *audit.CheckpointProblem
		if !errors.As(err, &cpp) || cpp.TreeSize != 9 || cpp.Entries != 5 || !strings.Contains(err.Error(), "tree size 9") {
			t.Fatalf("VerifyCheckpoint after rollback = %v, want a CheckpointProblem naming tree size 9", err)
		}
		// The attacker then makes the log longer than the checkpoint again:
		// the entries under it are not the signed ones.
		appendN(t, db, l, 7)
		_, _, err = l.VerifyCheckpoint(ctx, kept)
		if !errors.As(err, &cpp) || cpp.TreeSize != 9 || !strings.Contains(err.Error(), "rewritten") {
			t.Fatalf("VerifyCheckpoint after rollback and regrowth = %v, want rewritten below tree size 9", err)
		}
	})
}

func TestVerifyCheckpointRefusesForeignOrAlteredCheckpoints(t *testing.T) {
	db := storetest.Open(t, store.SQLite)
	ctx := context.Background()
	l := audit.New(db, ring(t))
	appendN(t, db, l, 3)
	_, note, err := l.SignCheckpoint(ctx)
	if err != nil {
		t.Fatal(err)
	}
	other, _ := keys.New(bytes.Repeat([]byte{2}, 32))
	var se *tlog.SignatureError
	if _, _, err := audit.New(db, other).VerifyCheckpoint(ctx, note); !errors.As(err, &se) {
		t.Fatalf("checkpoint of another key: %v", err)
	}
	altered := bytes.Replace(note, []byte("\n3\n"), []byte("\n2\n"), 1)
	if _, _, err := l.VerifyCheckpoint(ctx, altered); !errors.As(err, &se) {
		t.Fatalf("altered checkpoint: %v", err)
	}
	if _, _, err := l.VerifyCheckpoint(ctx, []byte("not a note")); err == nil || !errors.Is(err, tlog.ErrMalformed) {
		t.Fatalf("garbage checkpoint: %v", err)
	}
	// SignNote never signs a tree head.
	if _, err := l.SignNote(tlog.Origin + "\n100\n" + strings.Repeat("A", 43) + "=\n"); err == nil {
		t.Fatal("SignNote signed a checkpoint body")
	}
}

// A stored checkpoint altered in the database is not re-signed.
func TestSignedNoteUsesStoredSignature(t *testing.T) {
	db := storetest.Open(t, store.SQLite)
	ctx := context.Background()
	l := audit.New(db, ring(t))
	appendN(t, db, l, 3)
	cp, _, err := l.Checkpoint(ctx)
	if err != nil {
		t.Fatal(err)
	}
	cp.RootHash = strings.Repeat("00", 32)
	if _, err := l.SignedNote(cp); err == nil {
		t.Fatal("SignedNote produced a note for an altered checkpoint")
	}
}

func restore(t *testing.T, db *store.DB, s *audittest.Snapshot) {
	t.Helper()
	if err := db.Tx(context.Background(), func(tx *sql.Tx) error { s.Restore(t, tx); return nil }); err != nil {
		t.Fatal(err)
	}
}

// Entries asks long id lists in pieces and still answers oldest first,
// once each.
func TestEntriesManyTargets(t *testing.T) {
	db := storetest.Open(t, store.SQLite)
	l := audit.New(db, ring(t))
	appendN(t, db, l, 4)
	ids := []string{"t3"}
	for i := range 1200 {
		ids = append(ids, fmt.Sprint("t", 1199-i))
	}
	recs, err := l.Entries(context.Background(), 0, audit.Target{Type: "thing", IDs: ids}, audit.Target{Type: "thing", IDs: []string{"t0"}})
	if err != nil || len(recs) != 4 {
		t.Fatalf("Entries: %d records, %v", len(recs), err)
	}
	for i, r := range recs {
		if r.Seq != int64(i+1) {
			t.Fatalf("record %d has seq %d", i, r.Seq)
		}
	}
}
