package config

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func TestScanSettings(t *testing.T) {
	c, err := parse(t, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !c.Scan.On || c.Scan.Concurrency != 8 || c.Scan.PerAddress != 2 || c.Scan.Private || c.Scan.Resolver != "" {
		t.Fatalf("scan defaults: %+v", c.Scan)
	}
	dir := t.TempDir()
	ca, anchor := filepath.Join(dir, "ca.pem"), filepath.Join(dir, "anchor.zone")
	os.WriteFile(ca, []byte("x"), 0o644)
	os.WriteFile(anchor, []byte("x"), 0o644)
	c, err = parse(t, map[string]string{"KUBU_SCAN": "false", "KUBU_SCAN_CA": ca, "KUBU_SCAN_PORTS": "http=8080,https=8443"},
		"--scan-resolver", "127.0.0.1:5353", "--scan-trust-anchor", anchor, "--scan-concurrency", "3", "--scan-private")
	if err != nil {
		t.Fatal(err)
	}
	if c.Scan.On || c.Scan.Resolver != "127.0.0.1:5353" || !slices.Equal(c.Scan.CAs, []string{ca}) ||
		!slices.Equal(c.Scan.TrustAnchors, []string{anchor}) || c.Scan.Concurrency != 3 || !c.Scan.Private || c.Scan.Ports != "http=8080,https=8443" {
		t.Fatalf("scan settings: %+v", c.Scan)
	}
	for _, bad := range []struct {
		args []string
		want string
	}{
		{[]string{"--scan-resolver", "nope"}, "--scan-resolver"},
		{[]string{"--scan-ca", filepath.Join(dir, "missing.pem")}, "missing.pem"},
		{[]string{"--scan-ports", "ftp=21"}, "--scan-ports"},
		{[]string{"--scan-concurrency", "-1"}, "--scan-concurrency"},
	} {
		_, err := parse(t, nil, bad.args...)
		if err == nil || !strings.Contains(err.Error(), bad.want) {
			t.Errorf("%v: %v, want an error naming %s", bad.args, err, bad.want)
		}
	}
}
