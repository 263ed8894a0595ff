package app_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/kubu-gov/kubu/internal/accounts"
	"github.com/kubu-gov/kubu/internal/app"
	"github.com/kubu-gov/kubu/internal/authz"
	"github.com/kubu-gov/kubu/internal/config"
)

const deployDir = "../../deploy"

// liveMetrics runs kubu serve (embedded event log), drives intake through
// a rule to an alert, and returns the metric names its /metrics answers.
func liveMetrics(t *testing.T) map[string]bool {
	t.Helper()
	cfg := &config.Config{DataDir: t.TempDir(), Addr: "127.0.0.1:0", RequireTOTP: true, EventMaxAge: time.Hour, EventMaxBytes: 1 << 30,
		EventStream: "KUBU_EVENTS", AlertGroupWindow: time.Hour, IntakeMaxBody: 32 << 20}
	ctx, cancel := context.WithCancel(context.Background())
	a, err := app.Open(ctx, cfg, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	if _, err := a.Registry.CreateAgency(ctx, root, registryAgency("MOH")); err != nil {
		t.Fatal(err)
	}
	u, err := a.Accounts.CreateUser(ctx, root, accounts.NewUser{Email: "ops@example.gov", Role: authz.WogAdmin, Password: "correct horse battery staple"})
	if err != nil {
		t.Fatal(err)
	}
	tok, _, _ := a.Accounts.CreateToken(ctx, root, u.ID, "prometheus", 0)
	itok, _, _ := a.Intake.CreateToken(ctx, root, "MOH", "fw")
	ready, done := make(chan string, 1), make(chan error, 1)
	go func() { done <- a.Serve(ctx, func(addr string) { ready <- addr }) }()
	defer func() { cancel(); <-done }()
	base := "http://" + <-ready
	req := func(method, path, auth, body string) (int, string) {
		r, _ := http.NewRequest(method, base+path, strings.NewReader(body))
		r.Header.Set("Authorization", auth)
		if strings.HasPrefix(body, "title:") {
			r.Header.Set("Content-Type", "application/yaml")
		}
		resp, err := http.DefaultClient.Do(r)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if code, body := req("POST", "/api/v1/rules", "Bearer "+tok, "title: Metrics probe\nid: 0c0c0c0c-0000-4000-8000-00000000c001\nlevel: critical\n"+
		"detection:\n  sel: {probe: metrics}\n  condition: sel\n"); code != 201 {
		t.Fatalf("rule: %d %s", code, body)
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		req("POST", "/services/collector/event", "Splunk "+itok, `{"event":{"probe":"metrics","host":"h1"}}`)
		if _, body := req("GET", "/api/v1/alerts", "Bearer "+tok, ""); strings.Contains(body, `"rule_id"`) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("no alert from the probe event")
		}
		time.Sleep(200 * time.Millisecond)
	}
	code, body := req("GET", "/metrics", "Bearer "+tok, "")
	if code != 200 {
		t.Fatalf("/metrics: %d", code)
	}
	names := map[string]bool{}
	sc := bufio.NewScanner(strings.NewReader(body))
	for sc.Scan() {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		names[regexp.MustCompile(`^[a-zA-Z_:][a-zA-Z0-9_:]*`).FindString(line)] = true
	}
	if !strings.Contains(body, `kubu_alerts_total{level="critical"} `) || !strings.Contains(body, `kubu_intake_events_total{outcome="accepted",protocol="hec"}`) {
		t.Fatalf("/metrics lacks the alert or intake counts:\n%s", body)
	}
	return names
}

// metricNames are the kubu_ metric names a PromQL expression uses.
func metricNames(expr string) []string {
	return regexp.MustCompile(`\bkubu_[a-z0-9_]+`).FindAllString(expr, -1)
}

// TestMonitoringFiles checks deploy/prometheus/kubu-rules.yml and
// deploy/grafana/kubu-dashboard.json: promtool checks and unit-tests the
// rules (when installed: Debian's prometheus package), the dashboard is
// valid JSON with the panels operators need, its queries are valid PromQL
// (promtool), and every metric either names is one a running kubu
// exports.
func TestMonitoringFiles(t *testing.T) {
	live := liveMetrics(t)
	have := func(name string) bool { return live[name] }

	// The rules.
	raw, err := os.ReadFile(filepath.Join(deployDir, "prometheus", "kubu-rules.yml"))
	if err != nil {
		t.Fatal(err)
	}
	var rules struct {
		Groups []struct {
			Rules []struct {
				Alert, Expr string
				For         string
				Labels      map[string]string
				Annotations map[string]string
			}
		}
	}
	if err := yaml.Unmarshal(raw, &rules); err != nil {
		t.Fatalf("rules YAML: %v", err)
	}
	var exprs []string
	for _, g := range rules.Groups {
		for _, r := range g.Rules {
			if r.Alert == "" || r.Expr == "" || r.Labels["severity"] == "" || r.Annotations["summary"] == "" || r.Annotations["description"] == "" {
				t.Errorf("rule %q lacks an expression, a severity or its annotations", r.Alert)
			}
			exprs = append(exprs, r.Expr)
		}
	}
	if len(exprs) < 10 {
		t.Fatalf("%d rules", len(exprs))
	}

	// The dashboard.
	raw, err = os.ReadFile(filepath.Join(deployDir, "grafana", "kubu-dashboard.json"))
	if err != nil {
		t.Fatal(err)
	}
	var dash struct {
		UID, Title string
		Panels     []struct {
			Title   string
			Targets []struct{ Expr string }
		}
	}
	dec := json.NewDecoder(strings.NewReader(string(raw)))
	if err := dec.Decode(&dash); err != nil || dash.UID == "" || dash.Title == "" {
		t.Fatalf("dashboard JSON: %v (uid %q)", err, dash.UID)
	}
	var titles, dashExprs []string
	for _, p := range dash.Panels {
		titles = append(titles, p.Title)
		if len(p.Targets) == 0 {
			t.Errorf("panel %q has no query", p.Title)
		}
		for _, tg := range p.Targets {
			dashExprs = append(dashExprs, tg.Expr)
		}
	}
	for _, want := range []string{"Intake rate", "Detection lag", "Alert rate", "HTTP latency", "Job failures"} {
		if !slices.Contains(titles, want) {
			t.Errorf("dashboard has no %q panel (has %v)", want, titles)
		}
	}

	// Every metric named exists.
	for _, e := range append(append([]string{}, exprs...), dashExprs...) {
		for _, n := range metricNames(e) {
			if !have(n) {
				t.Errorf("%q uses %s, which kubu does not export", e, n)
			}
		}
	}

	promtool, err := exec.LookPath("promtool")
	if err != nil {
		if os.Getenv("KUBU_TEST_REQUIRE_SERVICES") != "" {
			t.Fatal("promtool is missing but KUBU_TEST_REQUIRE_SERVICES is set (Debian: apt-get install prometheus)")
		}
		t.Skip("promtool not found (Debian: apt-get install prometheus): the rules were checked as YAML and by metric name only")
	}
	dir := filepath.Join(deployDir, "prometheus")
	for _, args := range [][]string{{"check", "rules", "kubu-rules.yml"}, {"test", "rules", "kubu-rules.test.yml"}} {
		cmd := exec.Command(promtool, args...)
		cmd.Dir = dir
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Errorf("promtool %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
	// The dashboard's queries as recording rules, so promtool parses them.
	var rec strings.Builder
	rec.WriteString("groups:\n  - name: dashboard\n    rules:\n")
	for i, e := range dashExprs {
		e = strings.NewReplacer("$__rate_interval", "5m", "$instance", ".*").Replace(e)
		q, _ := json.Marshal(e)
		fmt.Fprintf(&rec, "      - record: kubu:dashboard_query_%d\n        expr: %s\n", i, q)
	}
	recFile := filepath.Join(t.TempDir(), "dashboard-rules.yml")
	os.WriteFile(recFile, []byte(rec.String()), 0o644)
	if out, err := exec.Command(promtool, "check", "rules", recFile).CombinedOutput(); err != nil {
		t.Errorf("the dashboard's queries are not valid PromQL: %v\n%s", err, out)
	}
}

// TestSystemdUnit checks deploy/systemd/kubu.service: the hardening
// options are there, systemd-analyze verifies it and rates its exposure
// (when systemd-analyze is installed).
func TestSystemdUnit(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join(deployDir, "systemd", "kubu.service"))
	if err != nil {
		t.Fatal(err)
	}
	unit := string(raw)
	for _, want := range []string{"ProtectSystem=strict", "NoNewPrivileges=yes", "ProtectHome=yes", "PrivateTmp=yes", "PrivateDevices=yes",
		"StateDirectory=kubu", "CapabilityBoundingSet=\n", "SystemCallFilter=@system-service", "RestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX",
		"MemoryDenyWriteExecute=yes", "User=kubu", "ExecStart=/usr/local/bin/kubu serve", "KillSignal=SIGTERM"} {
		if !strings.Contains(unit, want) {
			t.Errorf("the unit lacks %q", want)
		}
	}
	sa, err := exec.LookPath("systemd-analyze")
	if err != nil {
		t.Skip("systemd-analyze not found: the unit was checked as text only")
	}
	// verify needs the program to exist: point it at one that does.
	f := filepath.Join(t.TempDir(), "kubu.service")
	os.WriteFile(f, []byte(strings.ReplaceAll(unit, "/usr/local/bin/kubu", "/bin/true")), 0o644)
	if out, err := exec.Command(sa, "verify", f).CombinedOutput(); err != nil {
		t.Fatalf("systemd-analyze verify: %v\n%s", err, out)
	}
	out, err := exec.Command(sa, "security", "--offline=true", "--no-pager", f).CombinedOutput()
	m := regexp.MustCompile(`Overall exposure level for kubu.service: ([0-9.]+) (\S+)`).FindStringSubmatch(string(out))
	if err != nil || m == nil {
		t.Fatalf("systemd-analyze security: %v\n%s", err, out)
	}
	if m[2] != "OK" {
		t.Fatalf("exposure %s %s, want OK (at most 2.0)", m[1], m[2])
	}
	t.Logf("systemd-analyze security: exposure %s %s", m[1], m[2])
}

// TestContainerfile checks the Containerfile's promises and, where a
// Docker engine runs, builds the image and waits for its health check.
func TestContainerfile(t *testing.T) {
	raw, err := os.ReadFile("../../Containerfile")
	if err != nil {
		t.Fatal(err)
	}
	cf := string(raw)
	if n := strings.Count(cf, "\nFROM "); n != 2 {
		t.Errorf("%d build stages, want 2 (build, then the image)", n)
	}
	for _, want := range []string{"FROM scratch", "CGO_ENABLED=0", "USER 65532:65532", `VOLUME ["/data"]`, `HEALTHCHECK`, `CMD ["/kubu", "healthcheck"]`,
		"KUBU_DATA=/data", `ENTRYPOINT ["/kubu"]`} {
		if !strings.Contains(cf, want) {
			t.Errorf("the Containerfile lacks %q", want)
		}
	}
	docker, err := exec.LookPath("docker")
	if err == nil {
		err = exec.Command(docker, "info").Run()
	}
	if err != nil {
		t.Skip("no Docker engine here (the docker client alone cannot build): the Containerfile was checked as text; build it with `docker build -f Containerfile .`")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Minute)
	defer cancel()
	tag := fmt.Sprintf("kubu-test:%d", time.Now().UnixNano())
	if out, err := exec.CommandContext(ctx, docker, "build", "-t", tag, "-f", "Containerfile", ".").CombinedOutput(); err != nil {
		t.Fatalf("docker build: %v\n%s", err, out)
	}
	defer exec.Command(docker, "rmi", "-f", tag).Run()
	out, err := exec.CommandContext(ctx, docker, "run", "-d", "--read-only", "--tmpfs", "/tmp:rw,size=64m,mode=1777", tag).Output()
	if err != nil {
		t.Fatalf("docker run: %v", err)
	}
	id := strings.TrimSpace(string(out))
	defer exec.Command(docker, "rm", "-f", id).Run()
	for deadline := time.Now().Add(3 * time.Minute); time.Now().Before(deadline); time.Sleep(2 * time.Second) {
		st, _ := exec.Command(docker, "inspect", "-f", "{{.State.Health.Status}}", id).Output()
		switch strings.TrimSpace(string(st)) {
		case "healthy":
			return
		case "unhealthy":
			logs, _ := exec.Command(docker, "logs", id).CombinedOutput()
			t.Fatalf("the container's health check failed:\n%s", logs)
		}
	}
	t.Fatal("the container did not become healthy within 3 minutes")
}
