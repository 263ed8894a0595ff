package markdown

import (
	"strings"
	"testing"
)

func TestDangerousInputIsNeutralised(t *testing.T) {
	r := New()
	cases := []string{
		`<script>alert(1)</script>`,
		`<img src=x onerror=alert(1)>`,
		`[click](javascript:alert(1))`,
		`[click](JaVaScRiPt:alert(1))`,
		`<a href="javascript:alert(1)">x</a>`,
		`<svg onload=alert(1)><circle/></svg>`,
		`![x](data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+)`,
		`[x](data:text/html,<script>alert(1)</script>)`,
		`<iframe src="https://evil.example"></iframe>`,
		`<div style="background:url(javascript:alert(1))">x</div>`,
		"```html\n<script>alert(1)</script>\n```",
		`<details open ontoggle=alert(1)>`,
		`<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>`,
	}
	for _, in := range cases {
		out := strings.ToLower(string(r.HTML(in)))
		for _, bad := range []string{"<script", "onerror", "onload", "ontoggle", "javascript:", "data:", "<svg", "<iframe", "style=", "<style"} {
			if strings.Contains(out, bad) {
				t.Errorf("input %q rendered %q, which contains %q", in, out, bad)
			}
		}
	}
}

func TestOrdinaryMarkdownSurvives(t *testing.T) {
	out := string(New().HTML("# Steps\n\n1. Open `https://x.example/?q=1`\n2. See **reflected** input\n\n[ref](https://owasp.org)"))
	for _, want := range []string{"<h1", "<ol>", "<code>", "<strong>reflected</strong>", `href="https://owasp.org"`, `rel="nofollow noreferrer`} {
		if !strings.Contains(out, want) {
			t.Errorf("rendered %q lacks %q", out, want)
		}
	}
}
