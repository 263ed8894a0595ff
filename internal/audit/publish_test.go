package audit_test

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kubu-gov/kubu/internal/audit"
	"github.com/kubu-gov/kubu/internal/audit/audittest"
	"github.com/kubu-gov/kubu/internal/audit/tlog"
	"github.com/kubu-gov/kubu/internal/audit/witness"
	"github.com/kubu-gov/kubu/internal/store"
	"github.com/kubu-gov/kubu/internal/store/storetest"
)

// archive is a test server keeping every note posted to it.
type archive struct {
	mu    sync.Mutex
	notes [][]byte
	types []string
}

func (a *archive) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	b, _ := io.ReadAll(r.Body)
	a.mu.Lock()
	defer a.mu.Unlock()
	a.notes = append(a.notes, b)
	a.types = append(a.types, r.Header.Get("Content-Type"))
}

func (a *archive) got() [][]byte {
	a.mu.Lock()
	defer a.mu.Unlock()
	return append([][]byte(nil), a.notes...)
}

// The serve loop's publisher hands each signed checkpoint to an archive and
// to another agency's witness. The witness cosigns the first checkpoint and
// then a longer one (brought forward with a consistency proof); after the
// audit tables are rolled back to an old copy and regrown, the witness
// refuses and Publish names it, while the archive still receives the note.
func TestPublisherArchivesAndWitnesses(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		l := audit.New(db, ring(t))
		arch := &archive{}
		asrv := httptest.NewServer(arch)
		defer asrv.Close()
		cos, err := witness.NewCosigner("kubu.mof.example/witness", ed25519.NewKeyFromSeed(bytes.Repeat([]byte{7}, 32)))
		if err != nil {
			t.Fatal(err)
		}
		wsrv := httptest.NewServer(witness.New(cos, witness.NewFileState(filepath.Join(t.TempDir(), "w.json")),
			witness.Log{Origin: tlog.Origin, Key: l.VerifierKey()}))
		defer wsrv.Close()
		p := &audit.Publisher{Log: l, Archives: []string{asrv.URL}, Witnesses: []string{wsrv.URL + "/add-checkpoint"}, Timeout: 10 * time.Second}

		publish := func(n int) ([]byte, error) {
			t.Helper()
			appendN(t, db, l, n)
			cp, ok, err := l.Checkpoint(ctx)
			if err != nil || !ok {
				t.Fatalf("checkpoint: %v %v", ok, err)
			}
			return p.Publish(ctx, cp)
		}
		cosigned := func(note []byte) bool {
			who, err := witness.Cosigned(note, []*witness.Key{cos.Key()})
			return err == nil && len(who) == 1
		}
		for i, n := range []int{3, 4} {
			note, err := publish(n)
			if err != nil {
				t.Fatalf("publish %d: %v", i, err)
			}
			if !cosigned(note) {
				t.Fatalf("publish %d: no valid cosignature in\n%s", i, note)
			}
			got := arch.got()
			if len(got) != i+1 || !bytes.Equal(got[i], note) || arch.types[i] != "text/plain; charset=utf-8" {
				t.Fatalf("publish %d: the archive holds %d notes, last %q (%s); want the cosigned note", i, len(got), got[len(got)-1], arch.types[i])
			}
			if _, err := tlog.OpenCheckpoint(got[i], l.VerifierKey()); err != nil {
				t.Fatalf("publish %d: the archived note does not open with the log's key: %v", i, err)
			}
		}

		old := audittest.Take(t, db.R())
		if _, err := publish(2); err != nil { // the witness learns a tree of 9
			t.Fatal(err)
		}
		restore(t, db, old) // back to 7 entries
		note, err := publish(5)
		var pe *audit.PublishError
		if !errors.As(err, &pe) || len(pe.Failed) != 1 || !strings.Contains(err.Error(), "rewritten") {
			t.Fatalf("publishing a rolled-back and regrown log: %v; want the witness's refusal", err)
		}
		if cosigned(note) {
			t.Fatal("the rewritten log's checkpoint carries a cosignature")
		}
		if got := arch.got(); len(got) != 4 || !bytes.Equal(got[3], note) {
			t.Fatalf("the archive holds %d notes; want the refused checkpoint kept there too", len(got))
		}
	})
}

// A publisher whose archive answers 500 reports it; nothing configured is
// not enabled.
func TestPublisherReportsFailures(t *testing.T) {
	db := storetest.Open(t, store.SQLite)
	l := audit.New(db, ring(t))
	appendN(t, db, l, 1)
	cp, _, err := l.Checkpoint(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { http.Error(w, "full", 500) }))
	defer srv.Close()
	if (&audit.Publisher{Log: l}).Enabled() {
		t.Fatal("a publisher without destinations says it is enabled")
	}
	_, err = (&audit.Publisher{Log: l, Archives: []string{srv.URL}}).Publish(context.Background(), cp)
	var pe *audit.PublishError
	if !errors.As(err, &pe) || pe.TreeSize != 1 || !strings.Contains(err.Error(), "500") {
		t.Fatalf("publish to an archive answering 500: %v", err)
	}
}

// RunCheckpoints hands on only the checkpoints it signed itself: with two
// nodes on one database, a checkpoint signed by one is not handed on by the
// other, and a log that did not grow hands on nothing.
func TestRunCheckpointsHandsOnWhatItSigned(t *testing.T) {
	db := storetest.Open(t, store.SQLite)
	node1, node2 := audit.New(db, ring(t)), audit.New(db, ring(t))
	run := func(l *audit.Log) []audit.Checkpoint {
		ctx, cancel := context.WithCancel(context.Background())
		cancel() // RunCheckpoints signs once more on the way out
		var got []audit.Checkpoint
		l.RunCheckpoints(ctx, time.Hour, func(err error) { t.Errorf("checkpoint: %v", err) },
			func(_ context.Context, cp audit.Checkpoint) { got = append(got, cp) })
		return got
	}
	appendN(t, db, node1, 3)
	if got := run(node1); len(got) != 1 || got[0].TreeSize != 3 {
		t.Fatalf("node 1 handed on %+v; want the checkpoint of 3 entries", got)
	}
	if got := run(node2); len(got) != 0 {
		t.Fatalf("node 2 handed on %+v, which node 1 signed", got)
	}
	appendN(t, db, node1, 1)
	if got := run(node2); len(got) != 1 || got[0].TreeSize != 4 {
		t.Fatalf("node 2 handed on %+v; want the checkpoint of 4 entries", got)
	}
}
