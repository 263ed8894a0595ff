package authz

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"text/tabwriter"
)

var update = flag.Bool("update", false, "rewrite testdata/decisions.golden")

// forms are the scope forms of the golden table, for an actor whose agency
// (if any) is A.
var forms = []struct {
	name string
	res  func(a Actor) Resource
}{
	{"collection", func(Actor) Resource { return Collection() }},
	{"own-agency", func(Actor) Resource { return Record("A") }},
	{"other-agency", func(Actor) Resource { return Record("B") }},
	{"multi-incl-own", func(Actor) Resource { return Record("B", "A") }},
	{"multi-other", func(Actor) Resource { return Record("B", "C") }},
	{"platform", func(Actor) Resource { return Record() }},
	{"own-owner", func(a Actor) Resource { return OwnedBy(a.UserID) }},
	{"other-owner", func(Actor) Resource { return OwnedBy("someone-else") }},
}

func decision(err error) string {
	switch {
	case err == nil:
		return "allow"
	case errors.Is(err, ErrUnauthenticated):
		return "401"
	case errors.Is(err, ErrForbidden):
		return "403"
	case errors.Is(err, ErrNotFound):
		return "404"
	}
	return err.Error()
}

// decisionTable renders every role × action × scope form.
func decisionTable() []byte {
	var b strings.Builder
	b.WriteString("# Every access decision: role × action × scope form (internal/authz, policies.go).\n")
	b.WriteString("# Agency roles belong to agency A; own-owner is a record the actor owns; multi-* are\n")
	b.WriteString("# records of several agencies (B+A, B+C); platform is a record of no agency.\n")
	b.WriteString("# allow · 401 sign in · 403 no grant, or seen but not allowed · 404 outside scope (as missing)\n")
	b.WriteString("# Regenerate after a deliberate policy change: go test ./internal/authz -run TestDecisionsGolden -update\n\n")
	tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
	head := []string{"action", "role"}
	for _, f := range forms {
		head = append(head, f.name)
	}
	fmt.Fprintln(tw, strings.Join(head, "\t"))
	acts := Actions()
	slices.Sort(acts)
	actors := []Actor{Anonymous}
	for _, r := range Roles() {
		a := Actor{UserID: "user-" + string(r), Role: r}
		if r.AgencyBound() {
			a.AgencyID = "A"
		}
		actors = append(actors, a)
	}
	for _, act := range acts {
		for _, a := range actors {
			role := string(a.Role)
			if role == "" {
				role = "anonymous"
			}
			row := []string{string(act), role}
			for _, f := range forms {
				row = append(row, decision(Check(a, act, f.res(a))))
			}
			fmt.Fprintln(tw, strings.Join(row, "\t"))
		}
	}
	tw.Flush()
	return []byte(b.String())
}

// TestDecisionsGolden fails when a policy changes without the golden table
// changing with it, so every change of access is reviewed as a diff.
func TestDecisionsGolden(t *testing.T) {
	got := decisionTable()
	path := filepath.Join("testdata", "decisions.golden")
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if string(got) != string(want) {
		gl, wl := strings.Split(string(got), "\n"), strings.Split(string(want), "\n")
		for i := 0; i < len(gl) || i < len(wl); i++ {
			var g, w string
			if i < len(gl) {
				g = gl[i]
			}
			if i < len(wl) {
				w = wl[i]
			}
			if g != w {
				t.Errorf("decisions.golden line %d:\n got  %s\n want %s", i+1, g, w)
				break
			}
		}
		t.Fatal("access decisions differ from testdata/decisions.golden; if the policy change is deliberate, run with -update and review the diff")
	}
	// Every action is in the table, once per role and anonymous.
	for _, act := range Actions() {
		if n := strings.Count(string(got), "\n"+string(act)+" "); n != len(Roles())+1 {
			t.Errorf("%s appears in %d rows, want %d", act, n, len(Roles())+1)
		}
	}
}
