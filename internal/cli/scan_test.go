package cli

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/kubu-gov/kubu/internal/scan/farm"
)

// TestScanCommand runs `kubu scan` against a small loopback farm and checks
// contract §9's shape, the table format and usage errors.
func TestScanCommand(t *testing.T) {
	f, err := farm.New(79)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(f.Close)
	good, err := f.Add(farm.Good("good"))
	if err != nil {
		t.Fatal(err)
	}
	mailOnly := farm.Good("mailonly")
	mailOnly.NoAddress, mailOnly.HTTPS = true, nil
	mo, err := f.Add(mailOnly)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	root, inter, anchor := filepath.Join(dir, "root.pem"), filepath.Join(dir, "inter.pem"), filepath.Join(dir, "anchor.zone")
	os.WriteFile(root, f.CA.RootPEM(), 0o644)
	os.WriteFile(inter, f.CA.IntermediatePEM(), 0o644)
	os.WriteFile(anchor, []byte(f.AnchorText()), 0o644)
	env := map[string]string{"KUBU_SCAN_PORTS": fmt.Sprintf("http=%d,https=%d,smtp=%d", f.Ports.HTTP, f.Ports.HTTPS, f.Ports.SMTP)}
	args := []string{"scan", "--resolver", f.DNS.Addr, "--ca", root, "--ca", inter, "--trust-anchor", anchor, "--concurrency", "2"}

	r := run(t, env, "", append(args, good.Name, mo.Name)...)
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	lines := strings.Split(strings.TrimSpace(r.stdout), "\n")
	if len(lines) != 2 {
		t.Fatalf("want 2 JSON lines, got %d:\n%s", len(lines), r.stdout)
	}
	var first map[string]json.RawMessage
	if err := json.Unmarshal([]byte(lines[0]), &first); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"name", "scanned_at", "dns", "https", "hsts", "tls", "headers", "security_txt", "mail", "verdicts", "findings"} {
		if _, ok := first[k]; !ok {
			t.Errorf("key %q missing from the JSON line", k)
		}
	}
	var g struct {
		Name string
		DNS  struct{ DNSSEC string }
		TLS  struct {
			Protocols   []string
			Certificate struct{ Trusted bool }
		}
		Verdicts struct {
			BOD struct{ Web, Mail string } `json:"bod-18-01"`
			SSL struct{ Grade string }     `json:"ssllabs"`
			Obs struct {
				Score int
				Grade string
			} `json:"observatory"`
		}
	}
	json.Unmarshal([]byte(lines[0]), &g)
	if g.Name != good.Name || g.DNS.DNSSEC != "secure" || !slices.Equal(g.TLS.Protocols, []string{"tls1.2", "tls1.3"}) || !g.TLS.Certificate.Trusted ||
		g.Verdicts.BOD.Web != "pass" || g.Verdicts.BOD.Mail != "pass" || g.Verdicts.SSL.Grade != "A+" || g.Verdicts.Obs.Grade != "A+" {
		t.Errorf("good target: %s", lines[0])
	}
	var m map[string]json.RawMessage
	json.Unmarshal([]byte(lines[1]), &m)
	for _, k := range []string{"https", "hsts", "tls", "headers", "security_txt"} {
		if string(m[k]) != "null" {
			t.Errorf("mail-only name: %s = %s, want null", k, m[k])
		}
	}
	if string(m["mail"]) == "null" {
		t.Errorf("mail-only name: mail is null")
	}

	r = run(t, env, "", append(args, "--format", "table", good.Name)...)
	if r.code != 0 || !strings.Contains(r.stdout, "BOD 18-01") || !strings.Contains(r.stdout, "tls1.2 tls1.3") || !strings.Contains(r.stdout, "findings") {
		t.Errorf("table: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}

	for _, bad := range [][]string{
		{"scan"},
		{"scan", "--format", "xml", "a.test"},
		{"scan", "--concurrency", "0", "a.test"},
		{"scan", "http://a.test/"},
		{"scan", "192.0.2.1"},
	} {
		if r := run(t, env, "", bad...); r.code != 2 {
			t.Errorf("%v: exit %d, want 2 (%s)", bad, r.code, r.stderr)
		}
	}
	if r := run(t, env, "", "scan", "--ca", filepath.Join(dir, "missing.pem"), "a.test"); r.code != 1 || !strings.Contains(r.stderr, "--ca") {
		t.Errorf("missing --ca file: exit %d, %s", r.code, r.stderr)
	}
}
