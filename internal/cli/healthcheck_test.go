package cli

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestHealthcheck(t *testing.T) {
	status, body := http.StatusOK, `{"status":"ok"}`
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/healthz" {
			http.NotFound(w, r)
			return
		}
		w.WriteHeader(status)
		w.Write([]byte(body))
	}))
	defer srv.Close()
	port := srv.URL[strings.LastIndex(srv.URL, ":")+1:]
	for _, addr := range []string{"127.0.0.1:" + port, "0.0.0.0:" + port, ":" + port} {
		if r := run(t, map[string]string{"KUBU_ADDR": addr}, "", "healthcheck"); r.code != 0 || r.stdout != "healthy\n" {
			t.Fatalf("KUBU_ADDR=%s: %+v", addr, r)
		}
	}
	status, body = http.StatusServiceUnavailable, `{"status":"unavailable"}`
	if r := run(t, nil, "", "healthcheck", "--url", srv.URL+"/healthz"); r.code != 1 || !strings.Contains(r.stderr, "503") {
		t.Fatalf("unhealthy: %+v", r)
	}
	srv.Close()
	if r := run(t, nil, "", "healthcheck", "--addr", "127.0.0.1:"+port); r.code != 1 || !strings.Contains(r.stderr, "unhealthy") {
		t.Fatalf("nothing listening: %+v", r)
	}
	if r := run(t, nil, "", "healthcheck", "--addr", "nonsense"); r.code != 2 {
		t.Fatalf("bad --addr: %+v", r)
	}
}
