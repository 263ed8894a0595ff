package ui_test

import (
	"context"
	"crypto/tls"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kubu-gov/kubu/internal/config"
	"github.com/kubu-gov/kubu/internal/registry"
	"github.com/kubu-gov/kubu/internal/scan/farm"
)

// TestScanPages: an agency admin runs a scan from the system's scan page;
// the scan, the name's page (verdicts side by side with reasons, where
// standards disagree, facts, history with changes), the overview with its
// grades and the disagreements page render; what a hostile site sent is
// escaped; members see but cannot run; another agency gets 404.
func TestScanPages(t *testing.T) {
	f, err := farm.New(85)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(f.Close)
	site := farm.Good("pages")
	site.HTTPS = &farm.TLSSpec{MinVersion: tls.VersionTLS10, CipherSuites: append([]uint16{tls.TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA}, farm.AEAD...)}
	site.Site.Headers = map[string]string{}
	for k, v := range farm.GoodHeaders {
		site.Site.Headers[k] = v
	}
	site.Site.Headers["X-Frame-Options"] = `<script>alert("xfo")</script>`
	site.Site.Headers["Referrer-Policy"] = `no-referrer"><img src=x onerror=alert(1)>`
	st, err := f.Add(site)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	rootPEM, inter, anchor := filepath.Join(dir, "root.pem"), filepath.Join(dir, "inter.pem"), filepath.Join(dir, "anchor.zone")
	os.WriteFile(rootPEM, f.CA.RootPEM(), 0o644)
	os.WriteFile(inter, f.CA.IntermediatePEM(), 0o644)
	os.WriteFile(anchor, []byte(f.AnchorText()), 0o644)
	e := newEnvWith(t, false, func(c *config.Config) {
		c.Scan = config.Scan{Resolver: f.DNS.Addr, CAs: []string{rootPEM, inter}, TrustAnchors: []string{anchor}, Private: true,
			Ports: fmt.Sprintf("http=%d,https=%d,smtp=%d", f.Ports.HTTP, f.Ports.HTTPS, f.Ports.SMTP)}
	})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- e.app.Scanning.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })

	name, hosts := "Clinic booking", []string{st.Name}
	sys, err := e.app.Registry.CreateSystem(ctx, root, registry.SystemInput{Agency: "MOH", Name: &name, Hostnames: &hosts})
	if err != nil {
		t.Fatal(err)
	}
	admin := e.signIn(t, "a-admin")
	res := admin.get("/systems/" + sys.ID)
	mustContain(t, "system page", res.body, "/systems/"+sys.ID+"/scans")
	res = admin.get("/systems/" + sys.ID + "/scans")
	mustContain(t, "system scans page", res.body, "Scan now", st.Name)
	res = admin.post("/systems/"+sys.ID+"/scans", url.Values{})
	if res.status != http.StatusSeeOther || !strings.HasPrefix(res.location, "/scans/") {
		t.Fatalf("scan now: %d → %s", res.status, res.location)
	}
	scanPath := res.location
	deadline := time.Now().Add(90 * time.Second)
	for {
		d, err := e.app.Scanning.Get(ctx, e.user["a-admin"].Actor(), strings.TrimPrefix(scanPath, "/scans/"))
		if err != nil {
			t.Fatal(err)
		}
		if d.Status == "done" {
			break
		}
		if time.Now().After(deadline) || d.Status == "failed" {
			t.Fatalf("scan %s", d.Status)
		}
		time.Sleep(20 * time.Millisecond)
	}
	res = admin.get(scanPath)
	mustContain(t, "scan page", res.body, st.Name, "Done", "1 of 1")

	namePath := "/systems/" + sys.ID + "/scans/" + st.Name
	res = admin.get(namePath)
	mustContain(t, "name page", res.body, "Verdicts side by side", "BOD 18-01", "internet.nl", "MDN HTTP Observatory", "SSL Labs",
		"accepts tls1.0", "Where two standards disagree", "tls.tls1.0", "History", "IM8 controls", "tls1.0")
	mustContain(t, "name page escapes what the site sent", res.body, "&lt;script&gt;alert(&#34;xfo&#34;)&lt;/script&gt;")
	mustNotContain(t, "name page", res.body, `<script>alert("xfo")`, `<img src=x`)
	if os.Getenv("KUBU_DUMP_PAGE") != "" {
		os.WriteFile(os.Getenv("KUBU_DUMP_PAGE"), []byte(res.body), 0o644)
	}

	res = admin.get("/scans")
	mustContain(t, "overview", res.body, "External scans", "MOH", st.Name)
	res = admin.get("/scans/disagreements")
	mustContain(t, "disagreements", res.body, "Where two standards disagree", "bod-18-01", st.Name)

	member := e.signIn(t, "a-member")
	res = member.get("/systems/" + sys.ID + "/scans")
	if res.status != 200 {
		t.Fatalf("member: %d", res.status)
	}
	mustNotContain(t, "member's system scans page", res.body, "Scan now")
	if res := member.post("/systems/"+sys.ID+"/scans", url.Values{}); res.status != http.StatusForbidden {
		t.Fatalf("member scans: %d, want 403", res.status)
	}
	other := e.signIn(t, "b-member")
	for _, p := range []string{"/systems/" + sys.ID + "/scans", scanPath, namePath} {
		if res := other.get(p); res.status != http.StatusNotFound {
			t.Errorf("MOE member GET %s: %d, want 404", p, res.status)
		}
	}
	res = other.get("/scans")
	mustNotContain(t, "MOE's overview", res.body, st.Name)
}
