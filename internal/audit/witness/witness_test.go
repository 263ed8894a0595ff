package witness_test

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"database/sql"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kubu-gov/kubu/internal/audit"
	"github.com/kubu-gov/kubu/internal/audit/audittest"
	"github.com/kubu-gov/kubu/internal/audit/tlog"
	"github.com/kubu-gov/kubu/internal/audit/witness"
	"github.com/kubu-gov/kubu/internal/keys"
	"github.com/kubu-gov/kubu/internal/store"
	"github.com/kubu-gov/kubu/internal/store/storetest"
)

var code = audit.Define("Z9100I", "test.witnessed")

func grow(t *testing.T, db *store.DB, l *audit.Log, n int, tag string) {
	t.Helper()
	for i := range n {
		err := db.Tx(context.Background(), func(tx *sql.Tx) error {
			_, err := l.Append(context.Background(), tx, audit.Entry{Code: code, Actor: audit.System, TargetType: "thing", TargetID: fmt.Sprint(tag, i)})
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
	}
}

func cosigner(t *testing.T, name string, seed byte) *witness.Cosigner {
	c, err := witness.NewCosigner(name, ed25519.NewKeyFromSeed(bytes.Repeat([]byte{seed}, 32)))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// Another agency's kubu witnesses this one's audit log over HTTP: it
// cosigns checkpoints that extend what it saw, and refuses the log once it
// was rolled back and regrown (the rollback of issue 11, caught outside the
// attacked installation).
func TestWitnessCosignsAndRefusesRollback(t *testing.T) {
	db := storetest.Open(t, store.SQLite)
	ctx := context.Background()
	ring, _ := keys.New(bytes.Repeat([]byte{1}, 32))
	l := audit.New(db, ring)
	cos := cosigner(t, "kubu.mof.example/witness", 9)
	statePath := filepath.Join(t.TempDir(), "witness.json")
	w := witness.New(cos, witness.NewFileState(statePath), witness.Log{Origin: tlog.Origin, Key: l.VerifierKey()})
	srv := httptest.NewServer(w)
	defer srv.Close()
	submit := func(old int64, note []byte) ([]byte, error) {
		t.Helper()
		cp, err := tlog.OpenCheckpoint(note, l.VerifierKey())
		if err != nil {
			t.Fatal(err)
		}
		var proof [][]byte
		if old > 0 {
			if proof, _, err = l.ConsistencyProof(ctx, old, int64(cp.Size)); err != nil {
				t.Fatal(err)
			}
		}
		return witness.Submit(ctx, srv.Client(), srv.URL+"/add-checkpoint", uint64(old), proof, note)
	}

	grow(t, db, l, 5, "a")
	_, note5, err := l.SignCheckpoint(ctx)
	if err != nil {
		t.Fatal(err)
	}
	cosig, err := submit(0, note5)
	if err != nil {
		t.Fatal(err)
	}
	cosigned := append(bytes.Clone(note5), cosig...)
	if _, err := tlog.OpenCheckpoint(cosigned, l.VerifierKey()); err != nil {
		t.Fatalf("the log's own check of a cosigned checkpoint: %v", err)
	}
	who, err := witness.Cosigned(cosigned, []*witness.Key{cos.Key()})
	if err != nil || who["kubu.mof.example/witness"].IsZero() {
		t.Fatalf("Cosigned = %v, %v", who, err)
	}
	// A client that does not know what the witness holds learns it.
	var ce *witness.ConflictError
	if _, err := submit(0, note5); !errors.As(err, &ce) || ce.Size != 5 {
		t.Fatalf("stale old size: %v", err)
	}
	grow(t, db, l, 4, "b")
	_, note9, _ := l.SignCheckpoint(ctx)
	if _, err := submit(5, note9); err != nil {
		t.Fatal(err)
	}
	snapshot := audittest.Take(t, db.R())
	grow(t, db, l, 3, "c")
	_, note12, _ := l.SignCheckpoint(ctx)
	if _, err := submit(9, note12); err != nil {
		t.Fatal(err)
	}
	// Roll back to the snapshot of size 9, grow other entries past 12.
	if err := db.Tx(ctx, func(tx *sql.Tx) error { snapshot.Restore(t, tx); return nil }); err != nil {
		t.Fatal(err)
	}
	grow(t, db, l, 5, "forged")
	_, note14, err := l.SignCheckpoint(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := submit(12, note14); err == nil || !strings.Contains(err.Error(), "422") {
		t.Fatalf("rewritten log from 12: %v, want 422", err)
	}
	if _, err := submit(9, note14); !errors.As(err, &ce) || ce.Size != 12 {
		t.Fatalf("rewritten log from 9: %v, want a conflict at 12", err)
	}
	// The witness remembers across restarts.
	w2 := witness.New(cos, witness.NewFileState(statePath), witness.Log{Origin: tlog.Origin, Key: l.VerifierKey()})
	if _, err := w2.AddCheckpoint(ctx, witness.Request(0, nil, note14)); !errors.As(err, &ce) || ce.Size != 12 {
		t.Fatalf("after a restart: %v", err)
	}
}

func TestWitnessRefusals(t *testing.T) {
	ctx := context.Background()
	logKey, _ := tlog.NewSigner(tlog.KeyName, ed25519.NewKeyFromSeed(bytes.Repeat([]byte{1}, 32)))
	otherKey, _ := tlog.NewSigner(tlog.KeyName, ed25519.NewKeyFromSeed(bytes.Repeat([]byte{2}, 32)))
	w := witness.New(cosigner(t, "w.example", 9), witness.NewFileState(filepath.Join(t.TempDir(), "s.json")),
		witness.Log{Origin: tlog.Origin, Key: logKey.Public()})
	root := bytes.Repeat([]byte{7}, 32)
	sign := func(s *tlog.Signer, origin string, size uint64) []byte {
		n, err := tlog.Sign(tlog.Checkpoint{Origin: origin, Size: size, Root: root}.Body(), s)
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	cases := []struct {
		name string
		body []byte
		want error
	}{
		{"unknown origin", witness.Request(0, nil, sign(logKey, "example.com/other", 3)), witness.ErrUnknownLog},
		{"another key", witness.Request(0, nil, sign(otherKey, tlog.Origin, 3)), witness.ErrForbidden},
		{"old beyond size", witness.Request(4, nil, sign(logKey, tlog.Origin, 3)), witness.ErrBadRequest},
		{"proof from zero", witness.Request(0, [][]byte{root}, sign(logKey, tlog.Origin, 3)), witness.ErrBadProof},
		{"garbage", []byte("hello"), witness.ErrBadRequest},
		{"leading zero", []byte("old 00\n\n"), witness.ErrBadRequest},
	}
	for _, c := range cases {
		if _, err := w.AddCheckpoint(ctx, c.body); !errors.Is(err, c.want) {
			t.Errorf("%s: %v, want %v", c.name, err, c.want)
		}
	}
	// Same size, another root: a fork.
	if _, err := w.AddCheckpoint(ctx, witness.Request(0, nil, sign(logKey, tlog.Origin, 3))); err != nil {
		t.Fatal(err)
	}
	root = bytes.Repeat([]byte{8}, 32)
	if _, err := w.AddCheckpoint(ctx, witness.Request(3, nil, sign(logKey, tlog.Origin, 3))); !errors.Is(err, witness.ErrForked) {
		t.Fatalf("fork: %v", err)
	}
	rec := httptest.NewRecorder()
	w.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/add-checkpoint", strings.NewReader("old 0\n\n"+string(sign(logKey, tlog.Origin, 3)))))
	if rec.Code != http.StatusConflict || rec.Header().Get("Content-Type") != "text/x.tlog.size" || rec.Body.String() != "3\n" {
		t.Fatalf("HTTP conflict: %d %q %q", rec.Code, rec.Header().Get("Content-Type"), rec.Body.String())
	}
}

func TestKeysAndForgedCosignatures(t *testing.T) {
	c := cosigner(t, "w.example", 9)
	k, err := witness.ParseKey(c.Key().String())
	if err != nil || !bytes.Equal(k.Pub, c.Key().Pub) {
		t.Fatalf("ParseKey(%q) = %+v, %v", c.Key().String(), k, err)
	}
	for _, bad := range []string{"", "w.example+00000000+BA==", strings.Replace(c.Key().String(), "+", "+0", 1)} {
		if _, err := witness.ParseKey(bad); !errors.Is(err, witness.ErrMalformed) {
			t.Errorf("ParseKey(%q) = %v", bad, err)
		}
	}
	logKey, _ := tlog.NewSigner(tlog.KeyName, ed25519.NewKeyFromSeed(bytes.Repeat([]byte{1}, 32)))
	note, _ := tlog.Sign("kubu audit log\n3\n"+strings.Repeat("A", 43)+"=\n", logKey)
	body, _ := tlog.SplitNote(note)
	line := c.Cosign(body, timeAt(1700000000))
	good := append(bytes.Clone(note), line...)
	if who, err := witness.Cosigned(good, []*witness.Key{k}); err != nil || who["w.example"].Unix() != 1700000000 {
		t.Fatalf("Cosigned = %v %v", who, err)
	}
	forged := bytes.Replace(good, []byte("\n3\n"), []byte("\n4\n"), 1)
	if _, err := witness.Cosigned(forged, []*witness.Key{k}); err == nil {
		t.Fatal("a cosignature over another body verified")
	}
}

func timeAt(unix int64) time.Time { return time.Unix(unix, 0) }

func FuzzParseRequest(f *testing.F) {
	f.Add([]byte("old 5\nPlRNCrwHpqhGrupue0L7gxbjbMiKA9temvuZZDDpkaw=\n\nkubu audit log\n9\nAAAA\n\n— k x\n"))
	f.Add([]byte("old 0\n\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		old, proof, note, err := witness.ParseRequest(b)
		if err != nil {
			return
		}
		again := witness.Request(old, proof, note)
		if o2, p2, n2, err := witness.ParseRequest(again); err != nil || o2 != old || len(p2) != len(proof) || !bytes.Equal(n2, note) {
			t.Fatalf("request does not round-trip: %q", b)
		}
	})
}
