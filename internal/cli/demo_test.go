package cli

import (
	"context"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/kubu-gov/kubu/internal/app"
	"github.com/kubu-gov/kubu/internal/config"
	"github.com/kubu-gov/kubu/internal/demo"
)

// TestServeOnABusyPortFailsBeforeSeeding is issue 9 item 5: with the
// address taken, `kubu serve --demo` fails at once with one line naming the
// address and how to choose another, and writes nothing: no data dir, no
// demo seeded (whose passwords would be printed and lost).
func TestServeOnABusyPortFailsBeforeSeeding(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	data := filepath.Join(t.TempDir(), "kubu-data")
	for name, r := range map[string]result{
		"--addr":    run(t, nil, "", "serve", "--demo", "--data", data, "--addr", ln.Addr().String()),
		"KUBU_ADDR": run(t, map[string]string{"KUBU_ADDR": ln.Addr().String()}, "", "serve", "--demo", "--data", data),
	} {
		if r.code != 1 || strings.Count(r.stderr, "\n") != 1 {
			t.Fatalf("%s: serve on a busy port: %+v", name, r)
		}
		for _, want := range []string{ln.Addr().String() + " is already in use", "--addr", "KUBU_ADDR", "make run ADDR="} {
			if !strings.Contains(r.stderr, want) {
				t.Errorf("%s: the error %q does not say %q", name, r.stderr, want)
			}
		}
		if strings.Contains(r.stdout, "Demo accounts") {
			t.Errorf("%s: the demo was seeded before failing: %q", name, r.stdout)
		}
		if _, err := os.Stat(data); !os.IsNotExist(err) {
			t.Fatalf("%s: the data dir was written before failing: %v", name, err)
		}
	}
}

// TestDemoCredentialsAgain: `kubu demo credentials` gives each demo account
// a new password and prints it; the printed passwords sign in, the ones
// printed at seeding no longer do. Without a demo it fails saying so.
func TestDemoCredentialsAgain(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	env := map[string]string{"KUBU_DATA": dir}
	if r := run(t, env, "", "demo", "credentials"); r.code != 1 || !strings.Contains(r.stderr, "--demo") {
		t.Fatalf("demo credentials without a demo: %+v", r)
	}
	open := func() *app.App {
		a, err := app.Open(ctx, &config.Config{DataDir: dir, Addr: "127.0.0.1:0"}, slog.New(slog.NewTextHandler(io.Discard, nil)))
		if err != nil {
			t.Fatal(err)
		}
		return a
	}
	a := open()
	var seeded strings.Builder
	if _, err := demo.Seed(ctx, demo.Deps{Registry: a.Registry, Findings: a.Findings, Accounts: a.Accounts}, &seeded, 1); err != nil {
		t.Fatal(err)
	}
	a.Close()
	line := regexp.MustCompile(`(?m)^\s+(\S+)\s+(\S+)\s+(\S+@\S+)\s+(\S+)$`)
	old := map[string]string{}
	for _, m := range line.FindAllStringSubmatch(seeded.String(), -1) {
		old[m[3]] = m[4]
	}
	r := run(t, env, "", "demo", "credentials")
	if r.code != 0 {
		t.Fatalf("demo credentials: %+v", r)
	}
	fresh := line.FindAllStringSubmatch(r.stdout, -1)
	if len(fresh) != len(demo.Accounts()) || len(old) != len(fresh) {
		t.Fatalf("demo credentials printed %d accounts (seeding printed %d), want %d:\n%s", len(fresh), len(old), len(demo.Accounts()), r.stdout)
	}
	a = open()
	defer a.Close()
	for _, m := range fresh {
		email, pw := m[3], m[4]
		if pw == old[email] {
			t.Errorf("%s kept its password", email)
		}
		if _, err := a.Accounts.Login(ctx, email, pw, "test"); err != nil {
			t.Errorf("%s cannot sign in with the printed password: %v", email, err)
		}
		if _, err := a.Accounts.Login(ctx, email, old[email], "test"); err == nil {
			t.Errorf("%s still signs in with the old password", email)
		}
	}
}
