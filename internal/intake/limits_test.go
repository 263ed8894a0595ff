package intake

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"testing"

	"github.com/kubu-gov/kubu/internal/authz"
)

// endless yields n bytes of a repeated NDJSON pair without allocating.
type endless struct {
	n   int64
	pos int
}

var endlessPattern = []byte("{\"index\":{}}\n{\"message\":\"" + strings.Repeat("x", 200) + "\"}\n")

func (e *endless) Read(p []byte) (int, error) {
	if e.n <= 0 {
		return 0, io.EOF
	}
	k := 0
	for k < len(p) && e.n > 0 {
		c := copy(p[k:], endlessPattern[e.pos:])
		if int64(c) > e.n {
			c = int(e.n)
		}
		k += c
		e.n -= int64(c)
		e.pos = (e.pos + c) % len(endlessPattern)
	}
	return k, nil
}

// allocDuring reports the bytes allocated while fn runs.
func allocDuring(fn func()) uint64 {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	fn()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

// TestHugeBodyRefused sends 100 MB bodies to each protocol, with and
// without a declared length, and checks they are refused with 413 while
// the server allocates only a small fraction of that.
func TestHugeBodyRefused(t *testing.T) {
	const huge = 100 << 20
	const maxBody = 1 << 20
	r := newRig(t, Options{MaxBody: maxBody})
	tests := []struct {
		name, path, auth, ct string
		h                    http.HandlerFunc
	}{
		{"hec", "/services/collector/event", "Splunk " + r.tokens["MOH"], "application/json", r.s.HECEvent},
		{"bulk", "/_bulk", "Bearer " + r.tokens["MOH"], "application/x-ndjson", r.s.Bulk},
		{"otlp", "/v1/logs", "Bearer " + r.tokens["MOH"], "application/json", r.s.OTLPLogs},
	}
	for _, tt := range tests {
		for _, declared := range []bool{true, false} {
			name := tt.name + "/chunked"
			if declared {
				name = tt.name + "/content-length"
			}
			t.Run(name, func(t *testing.T) {
				var status int
				alloc := allocDuring(func() {
					req := httptest.NewRequest("POST", tt.path, &endless{n: huge})
					req.ContentLength = -1
					if declared {
						req.ContentLength = huge
					}
					req.Header.Set("Authorization", tt.auth)
					req.Header.Set("Content-Type", tt.ct)
					w := httptest.NewRecorder()
					tt.h(w, req)
					status = w.Code
				})
				if status != http.StatusRequestEntityTooLarge {
					t.Fatalf("status %d, want 413", status)
				}
				limit := uint64(16 * maxBody) // buffer growth, far below the 100 MB sent
				if declared {
					limit = 1 << 20 // refused before reading anything
				}
				if alloc > limit {
					t.Fatalf("allocated %d bytes for a refused 100 MB body (limit %d)", alloc, limit)
				}
				t.Logf("allocated %d KiB", alloc>>10)
			})
		}
	}
	if n := len(r.stored(t)); n != 0 {
		t.Fatalf("stored %d events from refused bodies", n)
	}
}

func TestRateLimitPerToken(t *testing.T) {
	r := newRig(t, Options{Rate: 2})
	send := func(tok string) (int, http.Header, string) {
		code, hdr, body := r.send(t, "POST", "/services/collector/event", strings.NewReader(`{"event":"x"}`), hecAuth(tok))
		return code, hdr, string(body)
	}
	for i := 0; i < 2; i++ {
		if code, _, body := send(r.tokens["MOH"]); code != 200 {
			t.Fatalf("request %d: %d %s", i, code, body)
		}
	}
	code, hdr, body := send(r.tokens["MOH"])
	if code != 429 || hdr.Get("Retry-After") == "" || !strings.Contains(body, `"code":9`) {
		t.Fatalf("third request in a second: %d %q %s", code, hdr.Get("Retry-After"), body)
	}
	if code, _, _ := send(r.tokens["MOE"]); code != 200 {
		t.Fatalf("another token has its own budget: %d", code)
	}
}

func TestDrainAndRevoke(t *testing.T) {
	r := newRig(t, Options{})
	toks, err := r.s.Tokens(context.Background(), root)
	if err != nil || len(toks) != 2 {
		t.Fatalf("tokens %v %v", toks, err)
	}
	member := authz.Actor{UserID: "m", Role: authz.AgencyMember, AgencyID: toks[0].AgencyID}
	if _, err := r.s.Tokens(context.Background(), member); err == nil {
		t.Fatal("an agency member may not list intake tokens")
	}
	var moh string
	for _, tk := range toks {
		if tk.Agency == "MOH" {
			moh = tk.ID
		}
	}
	if err := r.s.RevokeToken(context.Background(), root, moh); err != nil {
		t.Fatal(err)
	}
	code, _, body := r.send(t, "POST", "/services/collector/event", strings.NewReader(`{"event":"x"}`), hecAuth(r.tokens["MOH"]))
	if code != 403 || !strings.Contains(string(body), `"code":4`) {
		t.Fatalf("revoked token: %d %s", code, body)
	}
	r.s.Drain(context.Background())
	code, hdr, _ := r.send(t, "POST", "/services/collector/event", strings.NewReader(`{"event":"x"}`), hecAuth(r.tokens["MOE"]))
	if code != 503 || hdr.Get("Retry-After") == "" {
		t.Fatalf("while draining: %d", code)
	}
}
