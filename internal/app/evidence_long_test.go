package app_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/kubu-gov/kubu/internal/bundle"
	"github.com/kubu-gov/kubu/internal/config"
	"github.com/kubu-gov/kubu/internal/store"
)

// slowReader hands out its bytes one chunk at a time with a pause before
// each, as a client on a slow link does.
type slowReader struct {
	r     io.Reader
	chunk int
	pause time.Duration
}

func (s *slowReader) Read(p []byte) (int, error) {
	time.Sleep(s.pause)
	return s.r.Read(p[:min(len(p), s.chunk)])
}

// TestEvidenceOutlastsServerTimeouts: the server's whole-request timeouts
// (2 min to read a request, 5 min to answer it, in kubu serve) are sized for
// ordinary requests; a disk image on an agency's link takes longer. Behind a
// server whose timeouts are 1 s, an upload that takes about 2.5 s, the
// download of that file and the case bundle read by a slow client still go
// through whole: the deadlines move forward while bytes flow.
func TestEvidenceOutlastsServerTimeouts(t *testing.T) {
	ta := newTestApp(t, store.SQLite)
	srv := httptest.NewUnstartedServer(ta.Handler())
	srv.Config.ReadTimeout = time.Second
	srv.Config.WriteTimeout = time.Second
	srv.Start()
	defer srv.Close()
	code, inc := ta.do(t, "analyst", "POST", "/api/v1/incidents", map[string]any{"title": "Disk image", "severity": "high", "category": "malware", "agencies": []string{"MOH"}})
	if code != 201 {
		t.Fatalf("incident: %d %v", code, inc)
	}
	iid := inc["id"].(string)
	const size = 16 << 20
	content := make([]byte, size)
	for i := range content {
		content[i] = byte(i*31 + i>>12)
	}
	sum := sha256.Sum256(content)
	send := func(method, path string, body io.Reader, ctype string) *http.Response {
		t.Helper()
		req, _ := http.NewRequest(method, srv.URL+path, body)
		req.Header.Set("Authorization", "Bearer "+ta.tokens["analyst"])
		if ctype != "" {
			req.Header.Set("Content-Type", ctype)
		}
		resp, err := srv.Client().Do(req)
		if err != nil {
			t.Fatalf("%s %s: %v", method, path, err)
		}
		return resp
	}

	var form bytes.Buffer
	mw := multipart.NewWriter(&form)
	mw.WriteField("description", "disk image of fs01")
	fw, _ := mw.CreateFormFile("file", "fs01.img")
	fw.Write(content)
	mw.Close()
	start := time.Now()
	resp := send("POST", "/api/v1/incidents/"+iid+"/evidence", &slowReader{r: &form, chunk: 1 << 20, pause: 150 * time.Millisecond}, mw.FormDataContentType())
	raw, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	var it map[string]any
	json.Unmarshal(raw, &it)
	if resp.StatusCode != 201 || it["sha256"] != hex.EncodeToString(sum[:]) {
		t.Fatalf("an upload of %v behind 1 s server timeouts: %d %s", time.Since(start), resp.StatusCode, raw)
	}
	if took := time.Since(start); took < 2*time.Second {
		t.Fatalf("the upload took %v: it does not outlast the 1 s timeout, so it proves nothing", took)
	}

	slowRead := func(path string) ([]byte, time.Duration) {
		t.Helper()
		start := time.Now()
		resp := send("GET", path, nil, "")
		defer resp.Body.Close()
		if resp.StatusCode != 200 {
			b, _ := io.ReadAll(resp.Body)
			t.Fatalf("GET %s: %d %s", path, resp.StatusCode, b)
		}
		b, err := io.ReadAll(&slowReader{r: resp.Body, chunk: 1 << 20, pause: 150 * time.Millisecond})
		if err != nil {
			t.Fatalf("GET %s read slowly for %v: %v after %d bytes", path, time.Since(start), err, len(b))
		}
		return b, time.Since(start)
	}
	got, took := slowRead("/api/v1/evidence/" + it["id"].(string) + "/content?reason=imaging")
	if !bytes.Equal(got, content) || took < 2*time.Second {
		t.Fatalf("slow download: %d of %d bytes in %v", len(got), size, took)
	}
	zipped, took := slowRead("/api/v1/incidents/" + iid + "/bundle")
	if s, err := bundle.VerifyReader(bytes.NewReader(zipped), int64(len(zipped))); err != nil || s.EvidenceFiles != 1 || took < 2*time.Second {
		t.Fatalf("slow bundle (%d bytes in %v): %+v %v", len(zipped), took, s, err)
	}
}

// TestEvidenceMaxSize: --evidence-max-size refuses a larger file with a 400
// naming the file field and records nothing; a file at the limit is taken.
func TestEvidenceMaxSize(t *testing.T) {
	ta := newTestAppWith(t, store.SQLite, func(c *config.Config) { c.EvidenceMaxSize = 1000 })
	code, inc := ta.do(t, "analyst", "POST", "/api/v1/incidents", map[string]any{"title": "Phish", "severity": "low", "category": "phishing", "agencies": []string{"MOH"}})
	if code != 201 {
		t.Fatalf("incident: %d %v", code, inc)
	}
	iid := inc["id"].(string)
	ctype, body := evidenceForm(t, "big.eml", string(make([]byte, 1001)))
	if code, _, raw := ta.raw(t, "analyst", "POST", "/api/v1/incidents/"+iid+"/evidence", ctype, body); code != 400 || !bytes.Contains(raw, []byte(`"file"`)) || !bytes.Contains(raw, []byte("1000 bytes")) {
		t.Fatalf("a file over the limit: %d %s", code, raw)
	}
	if code, list := ta.do(t, "analyst", "GET", "/api/v1/incidents/"+iid+"/evidence", nil); code != 200 || len(list["items"].([]any)) != 0 {
		t.Fatalf("after the refusal: %d %v", code, list)
	}
	ctype, body = evidenceForm(t, "ok.eml", string(make([]byte, 1000)))
	if code, _, raw := ta.raw(t, "analyst", "POST", "/api/v1/incidents/"+iid+"/evidence", ctype, body); code != 201 {
		t.Fatalf("a file at the limit: %d %s", code, raw)
	}
}
