package app_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/kubu-gov/kubu/internal/store"
	"github.com/kubu-gov/kubu/internal/store/storetest"
)

// failingReader hands out n bytes of r, then fails: a connection dropped
// in the middle of a PATCH.
type failingReader struct {
	r io.Reader
	n int
}

func (f *failingReader) Read(p []byte) (int, error) {
	if f.n <= 0 {
		return 0, errors.New("link down")
	}
	k, err := f.r.Read(p[:min(len(p), f.n)])
	f.n -= k
	return k, err
}

// TestResumableEvidenceUpload walks the resumable upload over HTTP on both
// engines: begin with the metadata and length, send a first part, a part
// at the wrong offset (409 with the right one), a part cut off by a
// dropped connection, then ask where the upload stands and send the rest
// from there; finish records the item with the SHA-256 of the whole file,
// and its content reads back. Only the uploader sees the upload (another
// user of the same agency and another agency get 404); an aborted upload
// is gone; bad requests are named.
func TestResumableEvidenceUpload(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		ta := newTestApp(t, db.Engine)
		code, inc := ta.do(t, "analyst", "POST", "/api/v1/incidents", map[string]any{"title": "Memory dump", "severity": "high", "category": "malware", "agencies": []string{"MOH"}})
		if code != 201 {
			t.Fatalf("incident: %d %v", code, inc)
		}
		iid := inc["id"].(string)
		const size = 3<<20 + 12345
		content := make([]byte, size)
		for i := range content {
			content[i] = byte(i*7 + i>>10)
		}
		sum := sha256.Sum256(content)
		req := func(who, method, path, ctype string, hdr map[string]string, body io.Reader) (int, http.Header, []byte, error) {
			t.Helper()
			r, _ := http.NewRequest(method, ta.srv.URL+path, body)
			r.Header.Set("Authorization", "Bearer "+ta.tokens[who])
			if ctype != "" {
				r.Header.Set("Content-Type", ctype)
			}
			for k, v := range hdr {
				r.Header.Set(k, v)
			}
			resp, err := ta.srv.Client().Do(r)
			if err != nil {
				return 0, nil, nil, err
			}
			defer resp.Body.Close()
			b, _ := io.ReadAll(resp.Body)
			return resp.StatusCode, resp.Header, b, nil
		}
		patch := func(id string, offset int64, body io.Reader) (int, http.Header, []byte, error) {
			return req("analyst", "PATCH", "/api/v1/uploads/"+id, "application/offset+octet-stream",
				map[string]string{"Upload-Offset": strconv.FormatInt(offset, 10)}, body)
		}

		code, hdr, raw, _ := req("analyst", "POST", "/api/v1/incidents/"+iid+"/uploads", "application/json", nil,
			strings.NewReader(`{"name":"fs01.mem","description":"memory of fs01","collected_by":"ana","method":"winpmem","length":`+strconv.Itoa(size)+`}`))
		var up map[string]any
		json.Unmarshal(raw, &up)
		if code != 201 || up["offset"] != 0.0 || hdr.Get("Location") != "/api/v1/uploads/"+up["id"].(string) {
			t.Fatalf("begin: %d %v %s", code, hdr, raw)
		}
		id := up["id"].(string)

		if code, hdr, raw, err := patch(id, 0, bytes.NewReader(content[:1<<20])); err != nil || code != 204 || hdr.Get("Upload-Offset") != strconv.Itoa(1<<20) {
			t.Fatalf("first part: %d %v %s %v", code, hdr, raw, err)
		}
		if code, hdr, raw, _ := patch(id, 0, bytes.NewReader(content[:10])); code != 409 || hdr.Get("Upload-Offset") != strconv.Itoa(1<<20) || !bytes.Contains(raw, []byte("offset_mismatch")) {
			t.Fatalf("a part at the wrong offset: %d %v %s", code, hdr, raw)
		}
		// The connection drops after 1 MiB + 1,000 bytes of the second part.
		if _, _, _, err := patch(id, 1<<20, &failingReader{r: bytes.NewReader(content[1<<20:]), n: 1<<20 + 1000}); err == nil {
			t.Fatal("a PATCH whose body failed did not fail")
		}
		code, hdr, raw, _ = req("analyst", "GET", "/api/v1/uploads/"+id, "", nil, nil)
		json.Unmarshal(raw, &up)
		at, _ := strconv.ParseInt(hdr.Get("Upload-Offset"), 10, 64)
		if code != 200 || at < 1<<20 || at > 2<<20+1000 || up["offset"] != float64(at) {
			t.Fatalf("where the upload stands after the drop: %d %v %s", code, hdr, raw)
		}
		for _, who := range []string{"a-member", "b-member"} {
			if code, _, raw, _ := req(who, "GET", "/api/v1/uploads/"+id, "", nil, nil); code != 404 {
				t.Fatalf("%s asks for the analyst's upload: %d %s", who, code, raw)
			}
		}
		// The server may still be taking in the dropped request when the GET
		// is answered: a 409 then says where the upload stands, and the
		// client goes on from there (as tus clients do).
		for try := 0; ; try++ {
			code, hdr, raw, err := patch(id, at, bytes.NewReader(content[at:]))
			if err == nil && code == 409 && try < 3 {
				at, _ = strconv.ParseInt(hdr.Get("Upload-Offset"), 10, 64)
				continue
			}
			if err != nil || code != 204 || hdr.Get("Upload-Offset") != strconv.Itoa(size) {
				t.Fatalf("the rest from %d: %d %v %s %v", at, code, hdr, raw, err)
			}
			break
		}
		code, _, raw, _ = req("analyst", "POST", "/api/v1/uploads/"+id+"/finish", "", nil, nil)
		var it map[string]any
		json.Unmarshal(raw, &it)
		if code != 201 || it["sha256"] != hex.EncodeToString(sum[:]) || it["size"] != float64(size) {
			t.Fatalf("finish: %d %s", code, raw)
		}
		if code, _, got, _ := req("analyst", "GET", "/api/v1/evidence/"+it["id"].(string)+"/content?reason=check", "", nil, nil); code != 200 || !bytes.Equal(got, content) {
			t.Fatalf("content of the finished upload: %d, %d bytes", code, len(got))
		}
		if code, _, raw, _ := req("analyst", "GET", "/api/v1/uploads/"+id, "", nil, nil); code != 404 {
			t.Fatalf("a finished upload is still there: %d %s", code, raw)
		}

		// Bad requests, and an abort.
		code, _, raw, _ = req("analyst", "POST", "/api/v1/incidents/"+iid+"/uploads", "application/json", nil, strings.NewReader(`{"name":"x.bin"}`))
		json.Unmarshal(raw, &up)
		if code != 201 {
			t.Fatalf("begin without a length: %d %s", code, raw)
		}
		id = up["id"].(string)
		if code, _, raw, _ := req("analyst", "PATCH", "/api/v1/uploads/"+id, "application/offset+octet-stream", nil, strings.NewReader("x")); code != 400 || !bytes.Contains(raw, []byte("Upload-Offset")) {
			t.Fatalf("a PATCH without Upload-Offset: %d %s", code, raw)
		}
		if code, _, raw, _ := req("analyst", "PATCH", "/api/v1/uploads/"+id, "application/json", map[string]string{"Upload-Offset": "0"}, strings.NewReader("x")); code != 415 {
			t.Fatalf("a PATCH of JSON: %d %s", code, raw)
		}
		if code, _, raw, _ := req("b-member", "POST", "/api/v1/incidents/"+iid+"/uploads", "application/json", nil, strings.NewReader(`{"name":"y.bin"}`)); code != 404 {
			t.Fatalf("another agency begins an upload: %d %s", code, raw)
		}
		if code, _, raw, _ := req("analyst", "POST", "/api/v1/incidents/"+iid+"/uploads", "application/json", nil, strings.NewReader(`{"length":5}`)); code != 400 {
			t.Fatalf("begin without a name: %d %s", code, raw)
		}
		if code, _, raw, _ := req("analyst", "DELETE", "/api/v1/uploads/"+id, "", nil, nil); code != 204 {
			t.Fatalf("abort: %d %s", code, raw)
		}
		if code, _, raw, _ := req("analyst", "GET", "/api/v1/uploads/"+id, "", nil, nil); code != 404 {
			t.Fatalf("an aborted upload is still there: %d %s", code, raw)
		}
	})
}
