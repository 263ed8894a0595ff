package webhook

import (
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"
)

// FuzzVerify checks that what Sign makes verifies, that any header values
// are read without panicking, and that nothing else verifies.
func FuzzVerify(f *testing.F) {
	f.Add([]byte("k"), []byte(`{"a":1}`), "1767225600", "sha256=00")
	f.Fuzz(func(t *testing.T, secret, body []byte, ts, sig string) {
		now := time.Unix(1_767_225_600, 0)
		h := http.Header{}
		h.Set(HeaderTimestamp, ts)
		h.Set(HeaderSignature, sig)
		n, _ := strconv.ParseInt(ts, 10, 64)
		_, err := Verify(h, body, now, 0, secret)
		if err == nil && !strings.EqualFold(sig, Sign(secret, n, body)) {
			t.Fatalf("accepted signature %q for %q at %q", sig, body, ts)
		}
		h.Set(HeaderTimestamp, strconv.FormatInt(now.Unix(), 10))
		h.Set(HeaderSignature, Sign(secret, now.Unix(), body))
		if _, err := Verify(h, body, now, 0, secret); err != nil {
			t.Fatalf("own signature refused: %v", err)
		}
	})
}
