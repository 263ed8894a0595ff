package app_test

import (
	"crypto/rand"
	"encoding/hex"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// newRig starts nothing: it prepares a data dir, a wog-admin token, an
// agency and an intake token for the real binary.
func newBinaryRig(t *testing.T, extraEnv ...string) (c *crashRig, admin, intakeToken string) {
	t.Helper()
	bin := buildKubu(t)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	secret := make([]byte, 32)
	rand.Read(secret)
	env := append(os.Environ(), "KUBU_DATA="+filepath.Join(t.TempDir(), "data"), "KUBU_ADDR="+addr, "KUBU_REQUIRE_TOTP=false",
		"KUBU_SECRET_KEY="+hex.EncodeToString(secret), "KUBU_DATABASE_URL=", "KUBU_NATS_URL=", "KUBU_LOG_LEVEL=warn")
	env = append(env, extraEnv...)
	c = &crashRig{t: t, bin: bin, env: env, addr: addr}
	c.run("user", "add", "--email", "admin@example.gov", "--role", "wog-admin", "--password-stdin")
	admin = c.run("token", "create", "--email", "admin@example.gov")
	c.start()
	t.Cleanup(func() {
		if c.cmd.ProcessState == nil {
			c.kill()
		}
	})
	if code, body := c.api("POST", "/api/v1/agencies", admin, `{"code":"MOH","name":"Ministry of Health"}`); code != 201 {
		t.Fatalf("agency: %d %v", code, body)
	}
	intakeToken = c.run("intake-token", "create", "--agency", "MOH")
	return c, admin, intakeToken
}

// intakeRequest is one request of each intake protocol.
type intakeRequest struct {
	name, path, auth, contentType, body string
}

func intakeRequests(token string) []intakeRequest {
	return []intakeRequest{
		{"hec", "/services/collector/event", "Splunk " + token, "application/json", `{"event":{"drain":"yes"}}`},
		{"bulk", "/_bulk", "ApiKey " + token, "application/x-ndjson", "{\"index\":{}}\n{\"drain\":\"yes\"}\n"},
		{"otlp", "/v1/logs", "Bearer " + token, "application/json", `{"resourceLogs":[{"scopeLogs":[{"logRecords":[{"body":{"stringValue":"drain"}}]}]}]}`},
	}
}

func (c *crashRig) post(r intakeRequest) (*http.Response, []byte, error) {
	req, _ := http.NewRequest("POST", "http://"+c.addr+r.path, strings.NewReader(r.body))
	req.Header.Set("Authorization", r.auth)
	req.Header.Set("Content-Type", r.contentType)
	client := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	resp, err := client.Do(req)
	if err != nil {
		return nil, nil, err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, b, nil
}

// TestGracefulStopAnswersBusy is the regression test for the drain: after
// SIGTERM, kubu keeps listening for --drain-time and answers each intake
// protocol's retryable busy answer (clients used to see "connection
// refused"), then exits cleanly within 10 s.
func TestGracefulStopAnswersBusy(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the kubu binary")
	}
	c, _, token := newBinaryRig(t, "KUBU_DRAIN_TIME=4s")
	reqs := intakeRequests(token)
	for _, r := range reqs {
		if resp, body, err := c.post(r); err != nil || resp.StatusCode != 200 {
			t.Fatalf("%s before SIGTERM: %v %v %s", r.name, err, resp, body)
		}
	}
	signalled := time.Now()
	c.cmd.Process.Signal(syscall.SIGTERM)
	exited := make(chan error, 1)
	go func() { exited <- c.cmd.Wait() }()

	// Sentinel: the first answer that is not a 200 marks the drain. Until
	// then the signal may not have been handled yet.
	var first *http.Response
	var firstBody []byte
	for first == nil {
		resp, body, err := c.post(reqs[0])
		if err != nil {
			t.Fatalf("hec request %v after SIGTERM: %v (want the busy answer while draining)", time.Since(signalled), err)
		}
		if resp.StatusCode != 200 {
			first, firstBody = resp, body
		}
		if time.Since(signalled) > 3*time.Second {
			t.Fatal("kubu still answered 200 3 s after SIGTERM")
		}
	}
	want := map[string]struct {
		status int
		body   string
	}{
		"hec":  {503, `{"text":"Server is busy","code":9}`},
		"bulk": {503, `"type":"es_rejected_execution_exception"`},
		"otlp": {503, `"code":14`},
	}
	check := func(name string, resp *http.Response, body []byte) {
		t.Helper()
		w := want[name]
		if resp.StatusCode != w.status || !strings.Contains(string(body), w.body) || resp.Header.Get("Retry-After") == "" {
			t.Errorf("%s while draining: %d Retry-After=%q %s; want %d with %s and Retry-After", name, resp.StatusCode,
				resp.Header.Get("Retry-After"), body, w.status, w.body)
		}
	}
	check("hec", first, firstBody)
	for _, r := range reqs[1:] {
		resp, body, err := c.post(r)
		if err != nil {
			t.Fatalf("%s while draining: %v", r.name, err)
		}
		check(r.name, resp, body)
	}
	select {
	case err := <-exited:
		if err != nil {
			t.Fatalf("kubu serve exited with %v after SIGTERM:\n%s", err, c.out)
		}
		if d := time.Since(signalled); d > 10*time.Second {
			t.Fatalf("SIGTERM took %v", d)
		}
	case <-time.After(15 * time.Second):
		c.cmd.Process.Kill()
		t.Fatalf("kubu serve did not stop within 15 s of SIGTERM:\n%s", c.out)
	}
}
