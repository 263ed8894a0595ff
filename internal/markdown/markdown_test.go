package markdown

import (
	"strings"
	"testing"

	"golang.org/x/net/html"
)

// unsafeMarkup returns what in rendered HTML could run or load something:
// a dangerous element, an event handler, a javascript: or data: URL, a
// style. Text that merely spells these out (escaped) is not markup.
func unsafeMarkup(t testing.TB, out string) []string {
	t.Helper()
	doc, err := html.Parse(strings.NewReader(out))
	if err != nil {
		t.Fatalf("rendered HTML does not parse: %v", err)
	}
	var bad []string
	var walk func(n *html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.ElementNode {
			switch n.Data {
			case "script", "style", "svg", "iframe", "math", "object", "embed", "form", "details", "body":
				if n.Parent != nil && !(n.Data == "body" && n.Parent.Data == "html") {
					bad = append(bad, "<"+n.Data+">")
				}
			}
			for _, a := range n.Attr {
				v := strings.ToLower(strings.TrimSpace(a.Val))
				switch {
				case strings.HasPrefix(a.Key, "on"), a.Key == "style", a.Key == "srcdoc":
					bad = append(bad, a.Key+"=")
				case (a.Key == "href" || a.Key == "src") && (strings.HasPrefix(v, "javascript:") || strings.HasPrefix(v, "data:")):
					bad = append(bad, a.Key+"="+v)
				}
			}
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(doc)
	return bad
}

// text is what a reader sees of rendered HTML.
func text(t testing.TB, out string) string {
	t.Helper()
	doc, err := html.Parse(strings.NewReader(out))
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	var walk func(n *html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.TextNode {
			b.WriteString(n.Data)
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(doc)
	return b.String()
}

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
		"para <img src=x onerror=alert(1)> inline\n\n<body onload=x()>",
	}
	for _, in := range cases {
		out := string(r.HTML(in))
		if bad := unsafeMarkup(t, out); len(bad) > 0 {
			t.Errorf("input %q rendered %q, which has %q", in, out, bad)
		}
	}
}

// TestRawHTMLIsShownAsText is issue 9 item 2: a proof of concept written
// as raw HTML is evidence. It must reach the reader as the exact text the
// reporter typed (escaped, visible), inline or as a block, never be
// removed and never become markup.
func TestRawHTMLIsShownAsText(t *testing.T) {
	r := New()
	cases := map[string][]string{
		"Proof: <img src=x onerror=alert(1)> in the name field.":         {"Proof: <img src=x onerror=alert(1)> in the name field."},
		"<script>alert(document.cookie)</script>":                        {"<script>alert(document.cookie)</script>"},
		"Before\n\n<div onclick=\"steal()\">\n<b>x</b>\n</div>\n\nAfter": {"Before", `<div onclick="steal()">`, "<b>x</b>", "</div>", "After"},
		"a <!-- comment --> b":                                           {"a <!-- comment --> b"},
		"<svg onload=alert(1)><circle/></svg>":                           {"<svg onload=alert(1)>", "<circle/>", "</svg>"},
	}
	for in, wants := range cases {
		out := string(r.HTML(in))
		if strings.Contains(out, "raw HTML omitted") {
			t.Errorf("input %q was dropped: %q", in, out)
		}
		if bad := unsafeMarkup(t, out); len(bad) > 0 {
			t.Errorf("input %q became markup %q: %q", in, bad, out)
		}
		seen := text(t, out)
		for _, want := range wants {
			if !strings.Contains(seen, want) {
				t.Errorf("input %q: the reader sees %q, which lacks %q", in, seen, want)
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

// FuzzHTML: whatever a stranger writes, the output parses, holds nothing
// that could run, and raw HTML is never silently omitted.
func FuzzHTML(f *testing.F) {
	for _, s := range []string{"<script>alert(1)</script>", "x <img src=x onerror=alert(1)> y", "# t\n\n<div>\n<p>a</p>\n</div>",
		"[a](javascript:alert(1))", "<!-- c -->", "```\n<b>\n```", "<a href=\"data:x\">d</a>", "> <svg onload=x>"} {
		f.Add(s)
	}
	r := New()
	f.Fuzz(func(t *testing.T, src string) {
		out := string(r.HTML(src))
		if bad := unsafeMarkup(t, out); len(bad) > 0 {
			t.Fatalf("input %q rendered %q with %q", src, out, bad)
		}
		if strings.Contains(out, "raw HTML omitted") && !strings.Contains(src, "raw HTML omitted") {
			t.Fatalf("input %q: raw HTML dropped: %q", src, out)
		}
	})
}
