package cli

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"database/sql"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/kubu-gov/kubu/internal/audit/audittest"
	"github.com/kubu-gov/kubu/internal/audit/tlog"
	"github.com/kubu-gov/kubu/internal/audit/witness"
	"github.com/kubu-gov/kubu/internal/store"
	"github.com/kubu-gov/kubu/internal/store/storetest"
)

// TestAuditCheckpointCatchesRollback is the rollback acceptance test of
// issue 11, done as an outside tester did it: snapshot the audit_* tables,
// make more entries, take a checkpoint with `kubu audit checkpoint --out`,
// put the old snapshot back. Plain `kubu audit verify` passes (the restored
// tables are self-consistent); `kubu audit verify --checkpoint FILE` fails
// naming the checkpoint's tree size.
func TestAuditCheckpointCatchesRollback(t *testing.T) {
	for _, e := range []store.Engine{store.SQLite, store.Postgres} {
		t.Run(string(e), func(t *testing.T) {
			dir := t.TempDir()
			env := map[string]string{"KUBU_DATA": dir}
			opts := store.Options{DataDir: dir}
			if e == store.Postgres {
				env["KUBU_DATABASE_URL"] = storetest.FreshPostgres(t)
				opts = store.Options{URL: env["KUBU_DATABASE_URL"]}
			}
			mustRun(t, env, "user", "add", "--email", "a@example.gov", "--role", "analyst")
			db, err := store.Open(context.Background(), opts)
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			old := audittest.Take(t, db.R())
			mustRun(t, env, "user", "add", "--email", "b@example.gov", "--role", "analyst")
			mustRun(t, env, "user", "add", "--email", "c@example.gov", "--role", "triager")
			cpFile := filepath.Join(t.TempDir(), "checkpoint.txt")
			r := run(t, env, "", "audit", "checkpoint", "--out", cpFile)
			m := regexp.MustCompile(`^signed checkpoint of (\d+) entries \(root [0-9a-f]{64}\) with key kubu-audit SHA256:[0-9a-f]{64}; verifier key kubu-audit\+[0-9a-f]{8}\+\S+\n$`).FindStringSubmatch(r.stderr)
			if r.code != 0 || m == nil || r.stdout != "" {
				t.Fatalf("audit checkpoint --out: %+v", r)
			}
			size := m[1]
			note, _ := os.ReadFile(cpFile)
			if !strings.HasPrefix(string(note), "kubu audit log\n"+size+"\n") || !strings.Contains(string(note), "\n\n— kubu-audit ") {
				t.Fatalf("checkpoint file:\n%s", note)
			}
			mustRun(t, env, "user", "add", "--email", "d@example.gov", "--role", "analyst")
			if r := run(t, env, "", "audit", "verify", "--checkpoint", cpFile); r.code != 0 || !strings.Contains(r.stdout, "extends the checkpoint at tree size "+size) {
				t.Fatalf("verify --checkpoint of a log that grew: %+v", r)
			}
			if err := db.Tx(context.Background(), func(tx *sql.Tx) error { old.Restore(t, tx); return nil }); err != nil {
				t.Fatal(err)
			}
			if r := run(t, env, "", "audit", "verify"); r.code != 0 {
				t.Fatalf("plain verify of the restored snapshot: %+v (expected to pass: that is the point)", r)
			}
			r = run(t, env, "", "audit", "verify", "--checkpoint", cpFile)
			if r.code != 1 || !strings.Contains(r.stderr, "does NOT extend the checkpoint") || !strings.Contains(r.stderr, "tree size "+size) || strings.Count(r.stderr, "\n") != 1 {
				t.Fatalf("verify --checkpoint after rollback: %+v, want exit 1 naming tree size %s", r, size)
			}
			// Printing to standard output gives the same note format.
			r = run(t, env, "", "audit", "checkpoint")
			if r.code != 0 || !strings.HasPrefix(r.stdout, "kubu audit log\n") {
				t.Fatalf("audit checkpoint: %+v", r)
			}
		})
	}
}

func TestAuditCheckpointPublishes(t *testing.T) {
	got := make(chan string, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		got <- r.Header.Get("Content-Type") + "\n" + string(b)
	}))
	defer srv.Close()
	env := map[string]string{"KUBU_DATA": t.TempDir()}
	mustRun(t, env, "user", "add", "--email", "a@example.gov", "--role", "analyst")
	r := run(t, env, "", "audit", "checkpoint", "--publish", srv.URL)
	if r.code != 0 {
		t.Fatalf("publish: %+v", r)
	}
	if body := <-got; !strings.HasPrefix(body, "text/plain; charset=utf-8\nkubu audit log\n") || !strings.HasSuffix(r.stdout, body[strings.Index(body, "\n")+1:]) {
		t.Fatalf("published %q, printed %q", body, r.stdout)
	}
	if r := run(t, env, "", "audit", "checkpoint", "--publish", srv.URL+"/%zz"); r.code != 1 {
		t.Fatalf("publishing to a bad URL: %+v", r)
	}
}

func mustRun(t *testing.T, env map[string]string, args ...string) {
	t.Helper()
	if r := run(t, env, "", args...); r.code != 0 {
		t.Fatalf("kubu %s: %+v", strings.Join(args, " "), r)
	}
}

// TestAuditCheckpointWitness has another agency's witness cosign this
// log's checkpoints (`kubu audit checkpoint --witness URL`), then restores
// an old copy of the audit tables and regrows the log: the witness refuses,
// and the command exits 1 saying so.
func TestAuditCheckpointWitness(t *testing.T) {
	dir := t.TempDir()
	env := map[string]string{"KUBU_DATA": dir}
	mustRun(t, env, "user", "add", "--email", "a@example.gov", "--role", "analyst")
	r := run(t, env, "", "audit", "checkpoint")
	vkey := regexp.MustCompile(`verifier key (\S+)`).FindStringSubmatch(r.stderr)
	if r.code != 0 || vkey == nil {
		t.Fatalf("audit checkpoint: %+v", r)
	}
	logKey, err := tlog.ParsePublicKey(vkey[1])
	if err != nil {
		t.Fatal(err)
	}
	cos, _ := witness.NewCosigner("kubu.mof.example/witness", ed25519.NewKeyFromSeed(bytes.Repeat([]byte{9}, 32)))
	srv := httptest.NewServer(witness.New(cos, witness.NewFileState(filepath.Join(t.TempDir(), "w.json")), witness.Log{Origin: tlog.Origin, Key: logKey}))
	defer srv.Close()
	url := srv.URL + "/add-checkpoint"

	r = run(t, env, "", "audit", "checkpoint", "--witness", url)
	if r.code != 0 {
		t.Fatalf("checkpoint --witness: %+v", r)
	}
	if who, err := witness.Cosigned([]byte(r.stdout), []*witness.Key{cos.Key()}); err != nil || len(who) != 1 {
		t.Fatalf("no valid cosignature in\n%s(%v)", r.stdout, err)
	}
	db, err := store.Open(context.Background(), store.Options{DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	old := audittest.Take(t, db.R())
	mustRun(t, env, "user", "add", "--email", "b@example.gov", "--role", "analyst")
	if r := run(t, env, "", "audit", "checkpoint", "--witness", url); r.code != 0 { // the witness learns the longer log
		t.Fatalf("second checkpoint --witness: %+v", r)
	}
	if err := db.Tx(context.Background(), func(tx *sql.Tx) error { old.Restore(t, tx); return nil }); err != nil {
		t.Fatal(err)
	}
	r = run(t, env, "", "audit", "checkpoint", "--witness", url)
	if r.code != 1 || !strings.Contains(r.stderr, "rolled back") {
		t.Fatalf("checkpoint of a rolled-back log: %+v", r)
	}
	mustRun(t, env, "user", "add", "--email", "c@example.gov", "--role", "analyst")
	mustRun(t, env, "user", "add", "--email", "d@example.gov", "--role", "analyst")
	r = run(t, env, "", "audit", "checkpoint", "--witness", url)
	if r.code != 1 || !strings.Contains(r.stderr, "refused") {
		t.Fatalf("checkpoint of a rewritten log: %+v", r)
	}
}
