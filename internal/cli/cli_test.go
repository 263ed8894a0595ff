package cli

import (
	"bytes"
	"context"
	"database/sql"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	_ "modernc.org/sqlite"

	"github.com/kubu-gov/kubu/internal/store"
	"github.com/kubu-gov/kubu/internal/store/storetest"
)

type result struct {
	code           int
	stdout, stderr string
}

func run(t *testing.T, env map[string]string, stdin string, args ...string) result {
	t.Helper()
	var out, errb bytes.Buffer
	code := Main(&Env{Args: args, Stdin: strings.NewReader(stdin), Stdout: &out, Stderr: &errb,
		Getenv: func(k string) string { return env[k] }, Context: context.Background()})
	return result{code, out.String(), errb.String()}
}

func TestCommandsOnBothEngines(t *testing.T) {
	for _, e := range []store.Engine{store.SQLite, store.Postgres} {
		t.Run(string(e), func(t *testing.T) {
			dir := t.TempDir()
			env := map[string]string{"KUBU_DATA": dir}
			if e == store.Postgres {
				env["KUBU_DATABASE_URL"] = storetest.FreshPostgres(t)
			}
			r := run(t, env, "correct horse battery staple\n", "user", "add", "--email", "ops@example.gov", "--role", "wog-admin", "--password-stdin")
			if r.code != 0 || !regexp.MustCompile(`^[0-9a-z]{26}\n$`).MatchString(r.stdout) {
				t.Fatalf("user add: %+v", r)
			}
			// Without --password-stdin a password is generated and shown once on stderr.
			r = run(t, env, "", "user", "add", "--email", "tri@example.gov", "--role", "triager")
			if r.code != 0 || !strings.Contains(r.stderr, "shown once") {
				t.Fatalf("user add with generated password: %+v", r)
			}
			if r := run(t, env, "", "user", "add", "--email", "m@example.gov", "--role", "agency-member"); r.code != 2 {
				t.Fatalf("agency role without --agency: %+v", r)
			}
			if r := run(t, env, "", "user", "add", "--email", "m@example.gov", "--role", "agency-member", "--agency", "NOPE"); r.code != 1 || strings.Count(r.stderr, "\n") != 1 {
				t.Fatalf("unknown agency should fail with one line: %+v", r)
			}
			if r := run(t, env, "correct horse battery staple\n", "user", "add", "--email", "ops@example.gov", "--role", "analyst", "--password-stdin"); r.code != 1 {
				t.Fatalf("duplicate user: %+v", r)
			}
			r = run(t, env, "", "token", "create", "--email", "ops@example.gov", "--name", "ci", "--ttl", "24h")
			if r.code != 0 || !regexp.MustCompile(`^kubu_[a-z2-7]{32}\n$`).MatchString(r.stdout) {
				t.Fatalf("token create: %+v", r)
			}
			if r := run(t, env, "", "token", "create", "--email", "nobody@example.gov"); r.code != 1 {
				t.Fatalf("token for unknown user: %+v", r)
			}
			r = run(t, env, "", "audit", "verify")
			if r.code != 0 || !regexp.MustCompile(`^audit log intact: \d+ entries`).MatchString(r.stdout) {
				t.Fatalf("audit verify: %+v", r)
			}
			if r := run(t, env, "", "frobnicate"); r.code != 2 {
				t.Fatalf("unknown command: %+v", r)
			}
			if r := run(t, env, "", "user", "add", "--bogus"); r.code != 2 {
				t.Fatalf("unknown flag: %+v", r)
			}
		})
	}
}

// TestAuditVerifyNamesTampering changes one byte of a stored audit entry,
// or deletes one, in the SQLite file behind kubu's back.
func TestAuditVerifyNamesTampering(t *testing.T) {
	// Each case tampers with one entry, chosen by what it records rather than
	// by number (kubu itself writes entries too, such as creating the VDP).
	cases := []struct {
		name, pick, sql string
	}{
		{"byte changed", `SELECT seq FROM audit_log WHERE after_json LIKE '%tri@%'`, `UPDATE audit_log SET after_json = replace(after_json, 'tri@', 'trj@') WHERE seq = $1`},
		{"entry deleted", `SELECT seq FROM audit_log WHERE after_json LIKE '%tri@%'`, `DELETE FROM audit_log WHERE seq = $1`},
		{"last entry deleted", `SELECT MAX(seq) FROM audit_log`, `DELETE FROM audit_log WHERE seq = $1`},
		{"hash recomputed", `SELECT MIN(seq) FROM audit_log`, `UPDATE audit_log SET leaf_hash = '00' || substr(leaf_hash, 3) WHERE seq = $1`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			env := map[string]string{"KUBU_DATA": dir}
			run(t, env, "", "user", "add", "--email", "a@example.gov", "--role", "analyst")
			run(t, env, "", "user", "add", "--email", "tri@example.gov", "--role", "triager")
			run(t, env, "", "user", "add", "--email", "c@example.gov", "--role", "wog-admin")
			db, err := sql.Open("sqlite", filepath.Join(dir, "kubu.db"))
			if err != nil {
				t.Fatal(err)
			}
			var seq int64
			if err := db.QueryRow(c.pick).Scan(&seq); err != nil {
				t.Fatal(err)
			}
			if res, err := db.Exec(c.sql, seq); err != nil {
				t.Fatal(err)
			} else if n, _ := res.RowsAffected(); n != 1 {
				t.Fatalf("tampering changed %d rows", n)
			}
			db.Close()
			want := "first bad entry is " + strconv.FormatInt(seq, 10) + ":"
			r := run(t, env, "", "audit", "verify")
			if r.code != 1 || !strings.Contains(r.stderr, want) || strings.Count(r.stderr, "\n") != 1 {
				t.Fatalf("verify after tampering: %+v, want exit 1 naming %q", r, want)
			}
		})
	}
}

func TestVersion(t *testing.T) {
	r := run(t, nil, "", "version")
	if r.code != 0 || !strings.HasPrefix(r.stdout, "kubu ") || !strings.Contains(r.stdout, "go1.") {
		t.Fatalf("version: %+v", r)
	}
}
