package cli

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"time"
)

// healthcheck asks a running kubu whether it is healthy (GET /healthz),
// for container health checks and service managers: a static image has no
// curl.
func healthcheck(e *Env, args []string) error {
	fs := flags(e, "healthcheck")
	addr := fs.String("addr", envDefault(e, "KUBU_ADDR", "127.0.0.1:8080"), "kubu's --addr (env KUBU_ADDR); an unspecified host (0.0.0.0, [::]) means this machine")
	url := fs.String("url", "", "the health URL to ask instead (e.g. https://kubu.example.gov/healthz)")
	timeout := fs.Duration("timeout", 3*time.Second, "give up after this long")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return errUsage
	}
	if fs.NArg() > 0 {
		return errUsage
	}
	target := *url
	if target == "" {
		host, port, err := net.SplitHostPort(*addr)
		if err != nil {
			return fmt.Errorf("%w: --addr %q: want HOST:PORT", errUsage, *addr)
		}
		if ip := net.ParseIP(host); host == "" || ip != nil && ip.IsUnspecified() {
			host = "127.0.0.1"
		}
		target = "http://" + net.JoinHostPort(host, port) + "/healthz"
	}
	c := &http.Client{Timeout: *timeout, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := c.Get(target)
	if err != nil {
		return fmt.Errorf("unhealthy: %w", err)
	}
	defer resp.Body.Close()
	var body struct {
		Status string `json:"status"`
	}
	err = json.NewDecoder(io.LimitReader(resp.Body, 64<<10)).Decode(&body)
	if resp.StatusCode != http.StatusOK || err != nil || body.Status != "ok" {
		return fmt.Errorf("unhealthy: %s answered %d %q", target, resp.StatusCode, body.Status)
	}
	fmt.Fprintln(e.Stdout, "healthy")
	return nil
}

func envDefault(e *Env, k, def string) string {
	if v := e.Getenv(k); v != "" {
		return v
	}
	return def
}
