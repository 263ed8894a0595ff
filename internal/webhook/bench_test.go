package webhook

import (
	"net/http"
	"strconv"
	"testing"
	"time"
)

// BenchmarkVerify verifies a 2 KiB delivery.
func BenchmarkVerify(b *testing.B) {
	secret := []byte("s3cret")
	body := make([]byte, 2048)
	now := time.Now()
	h := http.Header{}
	h.Set(HeaderTimestamp, strconv.FormatInt(now.Unix(), 10))
	h.Set(HeaderSignature, Sign(secret, now.Unix(), body))
	for b.Loop() {
		if _, err := Verify(h, body, now, 0, secret); err != nil {
			b.Fatal(err)
		}
	}
}
