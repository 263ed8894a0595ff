package config

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func parse(t *testing.T, env map[string]string, args ...string) (*Config, error) {
	t.Helper()
	getenv := func(k string) string { return env[k] }
	var c Config
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	Serve(fs, &c, getenv)
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	return &c, c.Finish(getenv)
}

func TestDefaultsEnvAndFlags(t *testing.T) {
	c, err := parse(t, nil)
	if err != nil {
		t.Fatal(err)
	}
	if c.Addr != "127.0.0.1:8080" || !c.RequireTOTP || c.DatabaseURL != "" || !filepath.IsAbs(c.DataDir) ||
		c.IntakeAddr != "" || c.DrainTime != 2*time.Second || c.SyslogIdleTimeout != 24*time.Hour {
		t.Fatalf("defaults: %+v", c)
	}
	c, err = parse(t, map[string]string{"KUBU_ADDR": "0.0.0.0:9000", "KUBU_REQUIRE_TOTP": "false"}, "--addr", "127.0.0.1:7000")
	if err != nil {
		t.Fatal(err)
	}
	if c.Addr != "127.0.0.1:7000" || c.RequireTOTP {
		t.Fatalf("flag should beat env, env should beat default: %+v", c)
	}
	c, err = parse(t, map[string]string{"KUBU_EVENT_REPLICAS": "3", "KUBU_NATS_URL": "nats://127.0.0.1:4222"})
	if err != nil {
		t.Fatal(err)
	}
	if c.EventReplicas != 3 {
		t.Fatalf("KUBU_EVENT_REPLICAS=3 gave %d replicas", c.EventReplicas)
	}
}

func TestSecretsFromFiles(t *testing.T) {
	dir := t.TempDir()
	key := filepath.Join(dir, "key")
	os.WriteFile(key, []byte(strings.Repeat("ab", 32)+"\n"), 0o600)
	db := filepath.Join(dir, "db")
	os.WriteFile(db, []byte("postgres://kubu:s3cret@db/kubu\n"), 0o600)
	c, err := parse(t, map[string]string{"KUBU_SECRET_KEY_FILE": key, "KUBU_DATABASE_URL_FILE": db})
	if err != nil {
		t.Fatal(err)
	}
	if len(c.SecretKey) != 32 || c.DatabaseURL != "postgres://kubu:s3cret@db/kubu" {
		t.Fatalf("secrets not read: %d %q", len(c.SecretKey), c.DatabaseURL)
	}
}

func TestValidationNamesTheSetting(t *testing.T) {
	cases := []struct {
		args []string
		env  map[string]string
		want string
	}{
		{[]string{"--addr", "nonsense"}, nil, "--addr"},
		{[]string{"--database-url", "mysql://x"}, nil, "--database-url"},
		{[]string{"--nats-url", "http://x"}, nil, "--nats-url"},
		{[]string{"--syslog-tls", "127.0.0.1:6514"}, nil, "--tls-cert"},
		{[]string{"--public-url", "kubu.example"}, nil, "--public-url"},
		{[]string{"--rules", "/no/such/rules"}, nil, "--rules"},
		{nil, map[string]string{"KUBU_SECRET_KEY": "short"}, "KUBU_SECRET_KEY"},
		{[]string{"--intake-addr", "nonsense"}, nil, "--intake-addr"},
		{[]string{"--drain-time", "6s"}, nil, "--drain-time"},
		{nil, map[string]string{"KUBU_SYSLOG_IDLE_TIMEOUT": "10ms"}, "--syslog-idle-timeout"},
		{[]string{"--event-replicas", "6", "--nats-url", "nats://127.0.0.1:4222"}, nil, "--event-replicas"},
		{nil, map[string]string{"KUBU_EVENT_REPLICAS": "3"}, "--event-replicas"}, // embedded: one copy only
	}
	for _, tc := range cases {
		_, err := parse(t, tc.env, tc.args...)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v %v: got %v, want an error naming %s", tc.args, tc.env, err, tc.want)
		}
	}
}

func TestIncidentTargets(t *testing.T) {
	c, err := parse(t, map[string]string{"KUBU_INCIDENT_TARGETS": "critical=10m/1h/8h"})
	if err != nil {
		t.Fatal(err)
	}
	if c.IncidentTargets["critical"].Acknowledge.Minutes() != 10 || c.IncidentTargets["low"].Acknowledge.Hours() != 24 {
		t.Fatalf("targets %v", c.IncidentTargets)
	}
	if _, err := parse(t, nil, "--incident-targets", "critical=1h"); err == nil || !strings.Contains(err.Error(), "--incident-targets") {
		t.Fatalf("bad targets: %v", err)
	}
}

func TestIntelFlags(t *testing.T) {
	c, err := parse(t, nil)
	if err != nil || c.Intel.OnePerson || c.Intel.RPZZone != "rpz.kubu." {
		t.Fatalf("defaults: %+v %v", c.Intel, err)
	}
	dir := t.TempDir()
	tok := filepath.Join(dir, "scim")
	os.WriteFile(tok, []byte("scim-token\n"), 0o600)
	c, err = parse(t, map[string]string{"KUBU_SCIM_TOKEN_FILE": tok, "KUBU_CONTAINMENT_PROTECT": "192.0.2.1,gov.example"},
		"--containment-two-person=false", "--scim-url", "https://idp.example/scim/v2", "--rpz-addr", "127.0.0.1:5353",
		"--rpz-zone", "rpz.gov", "--rpz-notify", "127.0.0.1:53", "--containment-protect", "198.51.100.0/24")
	if err != nil {
		t.Fatal(err)
	}
	if !c.Intel.OnePerson || c.Intel.SCIMToken != "scim-token" || c.Intel.RPZZone != "rpz.gov." || len(c.Intel.Protect) != 3 || len(c.Intel.RPZNotify) != 1 {
		t.Fatalf("%+v", c.Intel)
	}
	for _, bad := range [][]string{
		{"--scim-url", "https://idp.example/scim/v2"}, // no token
		{"--containment-webhook-url", "https://soar.example/hook"},
		{"--rpz-addr", "53"},
		{"--containment-protect", "not an address"},
		{"--rpz-allow-transfer", "10.0.0.1"},
		{"--containment-two-person=maybe"},
	} {
		if _, err := parse(t, nil, bad...); err == nil {
			t.Errorf("%v accepted", bad)
		}
	}
}
