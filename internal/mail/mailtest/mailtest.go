// Package mailtest runs a real SMTP sink, mailpit, for tests: it starts the
// mailpit binary on free loopback ports and reads what arrived through its
// HTTP API. Install it with
//
//	go install github.com/axllent/mailpit@v1.33.1
//
// Without it the tests that need it skip with that line, or fail when
// KUBU_TEST_REQUIRE_SERVICES is set (CI sets it).
package mailtest

import (
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// InstallLine is how to get mailpit.
const InstallLine = "go install github.com/axllent/mailpit@v1.33.1"

// Sink is a running mailpit.
type Sink struct {
	SMTPAddr string // host:port to send to
	apiURL   string
}

// Message is a received message.
type Message struct {
	ID      string
	Subject string
	To      []string
	Text    string
}

// Find locates the mailpit binary: $PATH, then $(go env GOPATH)/bin.
func Find() (string, bool) {
	if p, err := exec.LookPath("mailpit"); err == nil {
		return p, true
	}
	gopath := os.Getenv("GOPATH")
	if gopath == "" {
		if out, err := exec.Command("go", "env", "GOPATH").Output(); err == nil {
			gopath = strings.TrimSpace(string(out))
		}
	}
	for _, dir := range filepath.SplitList(gopath) {
		p := filepath.Join(dir, "bin", "mailpit")
		if _, err := os.Stat(p); err == nil {
			return p, true
		}
	}
	return "", false
}

// Start runs mailpit for the test and stops it when the test ends.
func Start(t testing.TB) *Sink {
	t.Helper()
	bin, ok := Find()
	if !ok {
		if os.Getenv("KUBU_TEST_REQUIRE_SERVICES") != "" {
			t.Fatalf("mailpit is not installed but KUBU_TEST_REQUIRE_SERVICES is set: %s", InstallLine)
		}
		t.Skipf("skipping: mailpit (a real SMTP sink) is not installed; %s", InstallLine)
	}
	smtpAddr, httpAddr := freeAddr(t), freeAddr(t)
	cmd := exec.Command(bin, "--smtp", smtpAddr, "--listen", httpAddr, "--database", filepath.Join(t.TempDir(), "mailpit.db"),
		"--smtp-auth-accept-any", "--smtp-auth-allow-insecure", "--disable-version-check")
	cmd.Stdout, cmd.Stderr = nil, nil
	if err := cmd.Start(); err != nil {
		t.Fatalf("start mailpit: %v", err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
	})
	s := &Sink{SMTPAddr: smtpAddr, apiURL: "http://" + httpAddr}
	deadline := time.Now().Add(15 * time.Second)
	for {
		resp, err := http.Get(s.apiURL + "/api/v1/messages")
		if err == nil {
			resp.Body.Close()
			if c, err := net.Dial("tcp", smtpAddr); err == nil {
				c.Close()
				return s
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("mailpit did not start on %s / %s", smtpAddr, httpAddr)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func freeAddr(t testing.TB) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// Messages lists what arrived, newest first, with their text.
func (s *Sink) Messages(t testing.TB) []Message {
	t.Helper()
	var list struct {
		Messages []struct {
			ID      string `json:"ID"`
			Subject string `json:"Subject"`
			To      []struct {
				Address string `json:"Address"`
			} `json:"To"`
		} `json:"messages"`
	}
	s.get(t, "/api/v1/messages", &list)
	out := make([]Message, 0, len(list.Messages))
	for _, m := range list.Messages {
		var full struct {
			Text string `json:"Text"`
		}
		s.get(t, "/api/v1/message/"+m.ID, &full)
		msg := Message{ID: m.ID, Subject: m.Subject, Text: full.Text}
		for _, to := range m.To {
			msg.To = append(msg.To, to.Address)
		}
		out = append(out, msg)
	}
	return out
}

// WaitFor waits up to 10 s for a message to addr whose subject contains
// subject, and returns it.
func (s *Sink) WaitFor(t testing.TB, addr, subject string) Message {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		for _, m := range s.Messages(t) {
			for _, to := range m.To {
				if strings.EqualFold(to, addr) && strings.Contains(m.Subject, subject) {
					return m
				}
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("no message to %s with subject containing %q arrived", addr, subject)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func (s *Sink) get(t testing.TB, path string, v any) {
	t.Helper()
	resp, err := http.Get(s.apiURL + path)
	if err != nil {
		t.Fatalf("mailpit API: %v", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("mailpit API %s: %s", path, resp.Status)
	}
	if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
		t.Fatalf("mailpit API %s: %v", path, err)
	}
}

// String names the sink.
func (s *Sink) String() string { return fmt.Sprintf("mailpit smtp=%s api=%s", s.SMTPAddr, s.apiURL) }
