package imports

import (
	"os"
	"path/filepath"
	"testing"
)

// store plays the part of the findings table: what earlier imports made.
type store map[string]Previous

func (s store) list() []Previous {
	var out []Previous
	for _, p := range s {
		out = append(out, p)
	}
	return out
}

// apply records an import's changes as the policy package would.
func (s store) apply(changes []Change) {
	for _, c := range changes {
		switch c.Action {
		case Create, Reopen:
			s[c.Item.Fingerprint] = c.Item.AsPrevious("f-"+c.Item.Fingerprint[:8], "open")
		case Update, Unchanged:
			s[c.Item.Fingerprint] = c.Item.AsPrevious(c.Previous.FindingID, c.Previous.Status)
		case Close:
			p := *c.Previous
			p.Status = c.Status
			s[p.Fingerprint] = p
		}
	}
}

func parseFile(t *testing.T, format Format, path string) ([]Item, Stats) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var items []Item
	st, err := Parse(format, f, func(it Item) error { items = append(items, it); return nil })
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return items, st
}

// TestImportLifecycle imports each format's fixture (written from the
// format's specification) four times: v1 creates; v1 again creates
// nothing; v2 (one item gone, one severity changed) closes one and updates
// without creating; v3 (the item back) reopens it.
func TestImportLifecycle(t *testing.T) {
	for _, tc := range []struct {
		format                 Format
		dir, ext               string
		items                  int // items emitted by v1 (dismissed ones included)
		first, again, v2, v3   Counts
		severityFrom, severity string // the v2 severity change
	}{
		{SARIF, "sarif", ".sarif", 8,
			Counts{Created: 7}, Counts{Unchanged: 7}, Counts{Updated: 2, Unchanged: 4, Closed: 1}, Counts{Updated: 2, Unchanged: 4, Reopened: 1}, "low", "medium"},
		{Trivy, "trivy", ".json", 6,
			Counts{Created: 6}, Counts{Unchanged: 6}, Counts{Updated: 1, Unchanged: 4, Closed: 1}, Counts{Updated: 1, Unchanged: 4, Reopened: 1}, "high", "critical"},
		{Nuclei, "nuclei", ".jsonl", 4,
			Counts{Created: 4}, Counts{Unchanged: 4}, Counts{Updated: 2, Unchanged: 1, Closed: 1}, Counts{Updated: 2, Unchanged: 1, Reopened: 1}, "low", "medium"},
		{ZAP, "zap", ".json", 4,
			Counts{Created: 3}, Counts{Unchanged: 3}, Counts{Updated: 1, Unchanged: 1, Closed: 1}, Counts{Updated: 1, Unchanged: 1, Reopened: 1}, "medium", "low"},
		{CycloneDXVEX, "cyclonedx", ".cdx.json", 3,
			Counts{Created: 2}, Counts{Unchanged: 2}, Counts{Updated: 1, Closed: 1}, Counts{Updated: 1, Reopened: 1}, "", ""},
		{XCCDF, "xccdf", ".xml", 3,
			Counts{Created: 3}, Counts{Unchanged: 3}, Counts{Updated: 1, Unchanged: 1, Closed: 1}, Counts{Updated: 1, Unchanged: 1, Reopened: 1}, "high", "medium"},
	} {
		t.Run(string(tc.format), func(t *testing.T) {
			s := store{}
			run := func(version string, want Counts) []Change {
				t.Helper()
				items, _ := parseFile(t, tc.format, filepath.Join("testdata", tc.dir, version+tc.ext))
				changes, got := Reconcile(s.list(), items, string(tc.format)+" import "+version)
				if got != want {
					t.Errorf("%s: counts %+v, want %+v", version, got, want)
				}
				s.apply(changes)
				return changes
			}
			items, _ := parseFile(t, tc.format, filepath.Join("testdata", tc.dir, "v1"+tc.ext))
			if len(items) != tc.items {
				t.Errorf("v1 emitted %d items, want %d", len(items), tc.items)
			}
			seen := map[string]bool{}
			for _, it := range items {
				if len(it.Fingerprint) != 64 || seen[it.Fingerprint] {
					t.Errorf("fingerprint %q missing or repeated", it.Fingerprint)
				}
				seen[it.Fingerprint] = true
			}
			run("v1", tc.first)
			run("v1", tc.again)
			changes := run("v2", tc.v2)
			closed := 0
			for _, c := range changes {
				if c.Action == Close {
					closed++
					if c.Status != "fixed" || c.Reason == "" {
						t.Errorf("close without fixed status and reason: %+v", c)
					}
				}
				if c.Action == Update && c.SeverityFrom != "" {
					if c.SeverityFrom != tc.severityFrom || c.Item.Severity != tc.severity {
						t.Errorf("severity change %s → %s, want %s → %s", c.SeverityFrom, c.Item.Severity, tc.severityFrom, tc.severity)
					}
					tc.severityFrom = "" // seen
				}
			}
			if tc.severityFrom != "" {
				t.Errorf("no update reported the severity change %s → %s", tc.severityFrom, tc.severity)
			}
			for _, c := range run("v3", tc.v3) {
				if c.Action == Reopen && (c.Status != "open" || c.Reason == "") {
					t.Errorf("reopen without status or reason: %+v", c)
				}
			}
		})
	}
}
