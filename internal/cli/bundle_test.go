package cli

import (
	"archive/zip"
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/kubu-gov/kubu/internal/audit"
	"github.com/kubu-gov/kubu/internal/authz"
	"github.com/kubu-gov/kubu/internal/evidence"
	"github.com/kubu-gov/kubu/internal/keys"
	"github.com/kubu-gov/kubu/internal/store"
	"github.com/kubu-gov/kubu/internal/store/storetest"
)

type oneIncident struct{}

func (oneIncident) Incident(_ context.Context, id string) (evidence.Incident, error) {
	if id != "inc1" {
		return evidence.Incident{}, evidence.ErrIncidentNotFound
	}
	return evidence.Incident{ID: "inc1", Title: "Ransomware at HealthHub", AgencyIDs: []string{"ag1"}}, nil
}

// TestVerifyBundle exports a real case bundle and checks it with
// `kubu verify-bundle`, with no data dir or database; then changes one
// thing of each kind in the zip and expects exit 1 naming it.
func TestVerifyBundle(t *testing.T) {
	db := storetest.Open(t, store.SQLite)
	ring, _ := keys.New(bytes.Repeat([]byte{5}, 32))
	log := audit.New(db, ring)
	blobs, err := evidence.LocalStore(t.TempDir(), ring)
	if err != nil {
		t.Fatal(err)
	}
	svc := evidence.New(db, log, blobs, "local", oneIncident{}, evidence.Options{})
	ctx := context.Background()
	ana := authz.Actor{UserID: "u1", Email: "ana@csa.gov", Role: authz.Analyst}
	it, err := svc.Add(ctx, ana, "inc1", evidence.Intake{Name: "fs01.E01", CollectedBy: "ana"}, strings.NewReader("a disk image"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.AddCustody(ctx, ana, it.ID, evidence.CustodyInput{Action: "sealed", Note: "bag 17"}); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "inc1.zip")
	f, _ := os.Create(path)
	if _, err := svc.ExportBundle(ctx, ana, "inc1", f); err != nil {
		t.Fatal(err)
	}
	f.Close()

	r := run(t, nil, "", "verify-bundle", path)
	if r.code != 0 || !regexp.MustCompile(`^bundle verified: incident inc1 "Ransomware at HealthHub"; 1 evidence files \(12 bytes\), 1 custody entries, 0 timeline entries, 3 audit entries proved included in the signed checkpoint of tree size 3 \(root \S+\); signed by key SHA256:[0-9a-f]{64}\n$`).MatchString(r.stdout) {
		t.Fatalf("verify-bundle: %+v", r)
	}
	fp := log.VerifierKey().Fingerprint()
	if r := run(t, nil, "", "verify-bundle", "--key", fp, path); r.code != 0 || r.stderr != "" {
		t.Fatalf("verify-bundle --key: %+v", r)
	}
	if r := run(t, nil, "", "verify-bundle", "--key", "SHA256:"+strings.Repeat("0", 64), path); r.code != 1 || !strings.Contains(r.stderr, "not the expected") {
		t.Fatalf("verify-bundle with another key: %+v", r)
	}
	if r := run(t, nil, "", "verify-bundle"); r.code != 2 {
		t.Fatalf("verify-bundle without a file: %+v", r)
	}
	evPath := "evidence/" + it.ID + "/fs01.E01"
	cases := []struct {
		name, member, old, new, item string
	}{
		{"file", evPath, "disk", "dusk", evPath},
		{"manifest line", "manifest.json", `"title": "Ransomware at HealthHub"`, `"title": "Ransomware at HealthHut"`, "manifest.json"},
		{"custody entry", "custody.jsonl", "bag 17", "bag 71", "custody entry 1"},
		{"proof", "audit.jsonl", `"hashes":["`, `"hashes":["AAAA`, "audit entry 1"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			bad := changeMember(t, path, c.member, c.old, c.new)
			r := run(t, nil, "", "verify-bundle", bad)
			if r.code != 1 || !strings.Contains(r.stderr, "first bad item is "+c.item) || strings.Count(r.stderr, "\n") != 1 {
				t.Fatalf("verify-bundle after changing the %s: %+v, want exit 1 naming %q", c.name, r, c.item)
			}
		})
	}
}

// changeMember copies the zip at src with old replaced by new in one member.
func changeMember(t *testing.T, src, member, old, new string) string {
	t.Helper()
	zr, err := zip.OpenReader(src)
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()
	dst := filepath.Join(t.TempDir(), "changed.zip")
	out, _ := os.Create(dst)
	defer out.Close()
	zw := zip.NewWriter(out)
	changed := false
	for _, f := range zr.File {
		rc, _ := f.Open()
		b, _ := io.ReadAll(rc)
		rc.Close()
		if f.Name == member {
			if !bytes.Contains(b, []byte(old)) {
				t.Fatalf("%s has no %q:\n%s", member, old, b)
			}
			b, changed = bytes.Replace(b, []byte(old), []byte(new), 1), true
		}
		w, _ := zw.Create(f.Name)
		w.Write(b)
	}
	zw.Close()
	if !changed {
		t.Fatalf("no %s in the bundle", member)
	}
	return dst
}
