package app_test

import (
	"crypto/rand"
	"crypto/tls"
	"encoding/hex"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kubu-gov/kubu/internal/scan/farm"
	"github.com/kubu-gov/kubu/internal/store/storetest"
)

// TestScanningThroughTheServer is issue 13's acceptance through the real
// binary and its JSON API, on SQLite and on PostgreSQL: kubu serve, told
// where the loopback farm's DNS, roots and ports are, scans a registered
// system whose site accepts TLS 1.0 on request; the scan opens a `scan`
// finding with the agency's deadline; after the site is fixed a rescan
// closes it; another agency sees neither the scan nor the finding (404).
func TestScanningThroughTheServer(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the kubu binary")
	}
	f, err := farm.New(83)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(f.Close)
	dir := t.TempDir()
	root, inter, anchor := filepath.Join(dir, "root.pem"), filepath.Join(dir, "inter.pem"), filepath.Join(dir, "anchor.zone")
	os.WriteFile(root, f.CA.RootPEM(), 0o644)
	os.WriteFile(inter, f.CA.IntermediatePEM(), 0o644)
	os.WriteFile(anchor, []byte(f.AnchorText()), 0o644)
	scanEnv := []string{"KUBU_SCAN_RESOLVER=" + f.DNS.Addr, "KUBU_SCAN_CA=" + root + "," + inter, "KUBU_SCAN_TRUST_ANCHOR=" + anchor,
		fmt.Sprintf("KUBU_SCAN_PORTS=http=%d,https=%d,smtp=%d", f.Ports.HTTP, f.Ports.HTTPS, f.Ports.SMTP), "KUBU_SCAN_PRIVATE=true"}

	t.Run("sqlite", func(t *testing.T) { scanAcceptance(t, f, scanEnv, "") })
	t.Run("postgres", func(t *testing.T) { scanAcceptance(t, f, scanEnv, storetest.FreshPostgres(t)) })
}

func scanAcceptance(t *testing.T, f *farm.Farm, scanEnv []string, dbURL string) {
	engine := "sqlite"
	if dbURL != "" {
		engine = "postgres"
	}
	weak := farm.Good("server-" + engine)
	weak.HTTPS = &farm.TLSSpec{MinVersion: tls.VersionTLS10, CipherSuites: append([]uint16{tls.TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA}, farm.AEAD...)}
	st, err := f.Add(weak)
	if err != nil {
		t.Fatal(err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	secret := make([]byte, 32)
	rand.Read(secret)
	env := append(os.Environ(), "KUBU_DATA="+t.TempDir(), "KUBU_ADDR="+addr, "KUBU_REQUIRE_TOTP=false",
		"KUBU_SECRET_KEY="+hex.EncodeToString(secret), "KUBU_DATABASE_URL="+dbURL, "KUBU_NATS_URL=", "KUBU_LOG_LEVEL=warn")
	c := &crashRig{t: t, bin: buildKubu(t), env: append(env, scanEnv...), addr: addr}
	c.run("user", "add", "--email", "admin@example.gov", "--role", "wog-admin", "--password-stdin")
	admin := c.run("token", "create", "--email", "admin@example.gov")
	c.start()
	t.Cleanup(c.stop)
	var moh string
	for _, ag := range []string{`{"code":"MOH","name":"Ministry of Health"}`, `{"code":"MOE","name":"Ministry of Education"}`} {
		code, body := c.api("POST", "/api/v1/agencies", admin, ag)
		if code != 201 {
			t.Fatalf("agency: %d %v", code, body)
		}
		if body["code"] == "MOH" {
			moh = body["id"].(string)
		}
	}
	c.run("user", "add", "--email", "admin@moh.example.gov", "--role", "agency-admin", "--agency", "MOH", "--password-stdin")
	c.run("user", "add", "--email", "member@moe.example.gov", "--role", "agency-member", "--agency", "MOE", "--password-stdin")
	mohAdmin := c.run("token", "create", "--email", "admin@moh.example.gov")
	moeMember := c.run("token", "create", "--email", "member@moe.example.gov")
	if code, body := c.api("PUT", "/api/v1/agencies/"+moh+"/sla-policy", mohAdmin,
		`{"critical_days":3,"high_days":10,"medium_days":20,"low_days":40}`); code != 200 {
		t.Fatalf("sla policy: %d %v", code, body)
	}
	code, body := c.api("POST", "/api/v1/systems", mohAdmin, `{"agency":"MOH","name":"HealthHub","hostnames":["`+st.Name+`"],"criticality":"high","internet_facing":true}`)
	if code != 201 {
		t.Fatalf("system: %d %v", code, body)
	}
	sysID := body["id"].(string)

	scanNow := func() map[string]any {
		t.Helper()
		code, body := c.api("POST", "/api/v1/scans", mohAdmin, `{"system_id":"`+sysID+`"}`)
		if code != 202 || body["id"] == nil {
			t.Fatalf("POST /api/v1/scans: %d %v", code, body)
		}
		id := body["id"].(string)
		deadline := time.Now().Add(2 * time.Minute)
		for {
			code, body := c.api("GET", "/api/v1/scans/"+id, mohAdmin, "")
			if code != 200 {
				t.Fatalf("GET scan: %d %v", code, body)
			}
			if s := body["status"]; s == "done" || s == "failed" {
				if s != "done" {
					t.Fatalf("scan failed: %v", body)
				}
				return body
			}
			if time.Now().After(deadline) {
				t.Fatalf("scan still %v after 2 minutes", body["status"])
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	scanFinding := func(check string) map[string]any {
		t.Helper()
		code, body := c.api("GET", "/api/v1/findings?system="+sysID+"&source=scan&limit=1000", mohAdmin, "")
		if code != 200 {
			t.Fatalf("findings: %d %v", code, body)
		}
		var checks []string
		for _, it := range body["items"].([]any) {
			m := it.(map[string]any)
			if m["source_ref"] == check {
				return m
			}
			checks = append(checks, fmt.Sprint(m["source_ref"]))
		}
		t.Fatalf("no %s finding among %v", check, checks)
		return nil
	}

	first := scanNow()
	results := first["results"].([]any)
	if len(results) != 1 {
		t.Fatalf("%d results", len(results))
	}
	r := results[0].(map[string]any)
	for _, k := range []string{"name", "scanned_at", "dns", "https", "hsts", "tls", "headers", "security_txt", "mail", "verdicts", "findings"} {
		if _, ok := r[k]; !ok {
			t.Errorf("result lacks %q (contract §9)", k)
		}
	}
	if weakList := fmt.Sprint(r["tls"].(map[string]any)["weak"]); !strings.Contains(weakList, "tls1.0") {
		t.Fatalf("weak %s", weakList)
	}
	fd := scanFinding("tls.tls1.0")
	created, _ := time.Parse(time.RFC3339Nano, fd["created_at"].(string))
	due, _ := time.Parse(time.RFC3339Nano, fd["due_at"].(string))
	if fd["status"] != "open" || fd["severity"] != "medium" || fd["agency"] != "MOH" || !due.Equal(created.AddDate(0, 0, 20)) {
		t.Fatalf("finding %v: want open, medium, due 20 days (MOH's medium deadline) after %v", fd, created)
	}
	fid := fd["id"].(string)

	// Another agency sees none of it.
	for _, path := range []string{"/api/v1/scans/" + first["id"].(string), "/api/v1/findings/" + fid, "/api/v1/systems/" + sysID + "/scan-names"} {
		if code, body := c.api("GET", path, moeMember, ""); code != 404 {
			t.Errorf("MOE member GET %s: %d %v, want 404", path, code, body)
		}
	}
	if code, body := c.api("GET", "/api/v1/scan-results?system="+sysID, moeMember, ""); code != 200 || len(body["items"].([]any)) != 0 {
		t.Errorf("MOE member lists MOH's results: %d %v", code, body)
	}
	if code, body := c.api("POST", "/api/v1/scans", moeMember, `{"system_id":"`+sysID+`"}`); code != 403 {
		t.Errorf("MOE member starts a scan: %d %v, want 403 (members hold no scan.run)", code, body)
	}

	// The agency fixes the site; a rescan closes the finding.
	if _, err := f.Replace(st, farm.Good("server-"+engine)); err != nil {
		t.Fatal(err)
	}
	second := scanNow()
	if ch := fmt.Sprint(second["changes"]); !strings.Contains(ch, "tls1.0 turned off") {
		t.Errorf("changes %s", ch)
	}
	if fd := scanFinding("tls.tls1.0"); fd["status"] != "fixed" || fd["id"] != fid {
		t.Fatalf("after the fix: %v", fd)
	}
	code, body = c.api("GET", "/api/v1/findings/"+fid+"/history", mohAdmin, "")
	if code != 200 || !strings.Contains(fmt.Sprint(body), "no longer sees it") {
		t.Fatalf("history %d %v", code, body)
	}
	code, body = c.api("GET", "/api/v1/scan-grades?agency=MOH", mohAdmin, "")
	if code != 200 || len(body["agencies"].([]any)) != 1 {
		t.Fatalf("grades %d %v", code, body)
	}
}
