package demo_test

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"strings"
	"testing"

	"github.com/kubu-gov/kubu/internal/app"
	"github.com/kubu-gov/kubu/internal/authz"
	"github.com/kubu-gov/kubu/internal/config"
	"github.com/kubu-gov/kubu/internal/demo"
	"github.com/kubu-gov/kubu/internal/findings"
	"github.com/kubu-gov/kubu/internal/incident"
)

func TestSeed(t *testing.T) {
	ctx := context.Background()
	a, err := app.Open(ctx, &config.Config{DataDir: t.TempDir()}, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	d := demo.Deps{Registry: a.Registry, Findings: a.Findings, Accounts: a.Accounts, Incidents: a.Incidents}
	var out bytes.Buffer
	seeded, err := demo.Seed(ctx, d, &out, 1)
	if err != nil || !seeded {
		t.Fatalf("seed: %v %v", seeded, err)
	}
	for _, role := range authz.Roles() {
		if !strings.Contains(out.String(), string(role)) {
			t.Errorf("credentials do not list a %s account", role)
		}
	}
	admin := authz.Actor{UserID: "x", Role: authz.WogAdmin}
	ags, _ := a.Registry.ListAgencies(ctx, admin)
	n, _ := a.Registry.CountSystems(ctx, admin, "")
	if len(ags) != 6 || n < 25 {
		t.Fatalf("%d agencies, %d systems", len(ags), n)
	}
	sum, err := a.Findings.Summarise(ctx, admin, "")
	if err != nil {
		t.Fatal(err)
	}
	for _, st := range findings.Statuses {
		if sum.ByStatus[st] == 0 {
			t.Errorf("no finding in status %s", st)
		}
	}
	for _, sev := range findings.Severities {
		if sum.OpenBySeverity[sev] == 0 {
			t.Errorf("no open finding of severity %s", sev)
		}
	}
	if sum.Overdue == 0 {
		t.Error("no overdue findings")
	}
	page, err := a.Incidents.List(ctx, admin, incident.Filter{})
	if err != nil || len(page.Items) != 5 {
		t.Fatalf("demo incidents %+v %v", page, err)
	}
	statuses := map[string]bool{}
	for _, it := range page.Items {
		statuses[it.Status] = true
	}
	for _, st := range []string{"new", "analysing", "contained", "recovered", "closed"} {
		if !statuses[st] {
			t.Errorf("no demo incident in status %s", st)
		}
	}
	if _, err := a.Audit.Verify(ctx); err != nil {
		t.Fatal(err)
	}
	// A second run does nothing.
	out.Reset()
	if seeded, err := demo.Seed(ctx, d, &out, 2); err != nil || seeded || out.Len() != 0 {
		t.Fatalf("second seed: %v %v %q", seeded, err, out.String())
	}
}
