package disclosure_test

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/kubu-gov/kubu/internal/disclosure"
)

// FuzzNormaliseURL: any text reduces to an endpoint without panicking; a
// non-empty key starts with the host and has no query or fragment.
func FuzzNormaliseURL(f *testing.F) {
	for _, s := range []string{"https://a.example.sg/x/1?y=2", "a.example.sg", "http://[::1]:80/", "https://x/%zz", "//evil", "mailto:x@y", "https://h/a/../../.."} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		ep := disclosure.NormaliseURL(s)
		if ep.Key != "" && !strings.HasPrefix(ep.Key, ep.Host) {
			t.Fatalf("key %q does not start with host %q", ep.Key, ep.Host)
		}
		if strings.ContainsAny(ep.Key, "?#") {
			t.Fatalf("key %q keeps a query or fragment", ep.Key)
		}
		if again := disclosure.NormaliseURL(s); again.Key != ep.Key {
			t.Fatal("not deterministic")
		}
	})
}

// FuzzAttachmentName: the download name is always safe for a
// Content-Disposition header; the sniffer never allows HTML.
func FuzzAttachmentName(f *testing.F) {
	f.Add("report.pdf", []byte("%PDF-1.7"))
	f.Add("../../x\r\n.html", []byte("<html><script>alert(1)</script>"))
	f.Add("\"; filename=evil.exe", []byte("\x89PNG\r\n\x1a\n"))
	f.Fuzz(func(t *testing.T, name string, data []byte) {
		n := disclosure.SafeFilename(name)
		if n == "" || len(n) > 100 || strings.ContainsAny(n, "\"\\/\r\n;% ") || strings.HasPrefix(n, ".") || !utf8.ValidString(n) {
			t.Fatalf("unsafe name %q from %q", n, name)
		}
		if ct := disclosure.Sniff(data); ct == "text/html" || strings.Contains(ct, "xml") || strings.Contains(ct, "javascript") {
			t.Fatalf("sniffed %q as allowed", ct)
		}
	})
}
