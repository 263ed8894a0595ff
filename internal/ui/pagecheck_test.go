package ui_test

import (
	"regexp"
	"slices"
	"strings"
	"testing"

	"golang.org/x/net/html"
)

var (
	scriptTag  = regexp.MustCompile(`(?i)<script\b[^>]*>`)
	styleAttr  = regexp.MustCompile(`(?i)<[a-z][^>]*\sstyle\s*=`)
	styleTag   = regexp.MustCompile(`(?i)<style\b`)
	inlineOnEv = regexp.MustCompile(`(?i)<[a-z][^>]*\son[a-z]+\s*=`)
)

// checkPage fails the test when a page breaks kubu's rules for HTML:
// nothing the CSP would block (inline script without the nonce, style
// attributes or blocks, javascript: URLs in links and forms, inline event
// handlers), and the
// basics of accessibility: one h1, a label for every input, scope on every
// table header, unique ids, and aria-describedby and in-page links that
// point at something.
func checkPage(t testing.TB, what, body string) {
	t.Helper()
	for _, m := range scriptTag.FindAllString(body, -1) {
		if !strings.Contains(m, `nonce="`) {
			t.Errorf("%s: <script> without a nonce: %s", what, m)
		}
	}
	for name, re := range map[string]*regexp.Regexp{"a style attribute": styleAttr, "a <style> block": styleTag,
		"an inline event handler": inlineOnEv} {
		if m := re.FindString(body); m != "" {
			t.Errorf("%s: has %s: %s", what, name, m)
		}
	}
	doc, err := html.Parse(strings.NewReader(body))
	if err != nil {
		t.Errorf("%s: does not parse as HTML: %v", what, err)
		return
	}
	ids := map[string]int{}
	labelled := map[string]bool{}
	var inputs, describedBy, fragments []string
	var thNoScope, h1, summaries int
	// record notes what the accessibility checks need of one element.
	record := func(n *html.Node, at map[string]string) {
		if id, ok := at["id"]; ok {
			ids[id]++
		}
		switch n.Data {
		case "h1":
			h1++
		case "div":
			if hasClass(n, "error-summary") {
				summaries++
			}
		case "label":
			labelled[at["for"]] = true
		case "input", "select", "textarea":
			switch at["type"] {
			case "hidden", "submit", "button", "reset":
			default:
				if at["aria-label"] == "" && at["aria-labelledby"] == "" {
					inputs = append(inputs, n.Data+"#"+at["id"])
				}
			}
		case "th":
			if at["scope"] == "" {
				thNoScope++
			}
		case "a":
			if h := at["href"]; strings.HasPrefix(h, "#") && len(h) > 1 {
				fragments = append(fragments, h[1:])
			}
		}
		if d := at["aria-describedby"]; d != "" {
			describedBy = append(describedBy, strings.Fields(d)...)
		}
	}
	var walk func(n *html.Node, people bool)
	walk = func(n *html.Node, people bool) {
		if n.Type == html.ElementNode {
			at := map[string]string{}
			for _, a := range n.Attr {
				at[a.Key] = a.Val
			}
			for _, k := range []string{"href", "src", "action", "formaction", "xlink:href"} {
				if v := strings.ToLower(strings.TrimSpace(at[k])); strings.HasPrefix(v, "javascript:") {
					t.Errorf("%s: has a javascript: URL: <%s %s=%q>", what, n.Data, k, at[k])
				}
			}
			// Markdown written by people has their own headings and
			// tables; only the safety checks above apply to it.
			people = people || hasClass(n, "markdown")
			if !people {
				record(n, at)
			}
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c, people)
		}
	}
	walk(doc, false)
	if h1 != 1 {
		t.Errorf("%s: has %d h1 elements, want 1", what, h1)
	}
	if summaries > 1 {
		t.Errorf("%s: shows the error summary %d times (the layout shows it; pages must not repeat it)", what, summaries)
	}
	for id, n := range ids {
		if n > 1 {
			t.Errorf("%s: id %q is used %d times", what, id, n)
		}
	}
	for _, in := range inputs {
		id := in[strings.IndexByte(in, '#')+1:]
		if id == "" || !labelled[id] {
			t.Errorf("%s: %s has no label", what, in)
		}
	}
	if thNoScope > 0 {
		t.Errorf("%s: %d table headers without scope", what, thNoScope)
	}
	for _, id := range describedBy {
		if ids[id] == 0 {
			t.Errorf("%s: aria-describedby names %q, which is not on the page", what, id)
		}
	}
	for _, id := range fragments {
		if ids[id] == 0 {
			t.Errorf("%s: a link points at #%s, which is not on the page", what, id)
		}
	}
}

// TestCheckPageCatches proves the page check fails on what it looks for,
// so a clean run means something.
func TestCheckPageCatches(t *testing.T) {
	ok := `<!doctype html><html lang="en"><title>t</title><main id="main"><h1>T</h1>` +
		`<a href="#main">top</a><label for="x">X</label><input id="x" aria-describedby="x-hint"><p id="x-hint">h</p>` +
		`<table><tr><th scope="col">a</th></tr></table><script nonce="abc" src="/static/a.js"></script></main>`
	bad := map[string]string{
		"inline script":        `<script>alert(1)</script>`,
		"style attribute":      `<p style="color:red">x</p>`,
		"style block":          `<style>p{}</style>`,
		"javascript: URL":      `<a href="javascript:alert(1)">x</a>`,
		"event handler":        `<p onclick="x()">x</p>`,
		"unlabelled input":     `<input id="y">`,
		"th without scope":     `<table><tr><th>a</th></tr></table>`,
		"duplicate id":         `<p id="x-hint">again</p>`,
		"dangling describedby": `<input id="z" aria-label="z" aria-describedby="nope">`,
		"dangling fragment":    `<a href="#nowhere">x</a>`,
		"second h1":            `<h1>again</h1>`,
		"second error summary": `<div class="error-summary"><h2>a</h2></div><div class="error-summary"><h2>b</h2></div>`,
	}
	if fails := runCheck(ok); fails != 0 {
		t.Fatalf("the clean page fails the check %d times", fails)
	}
	for name, extra := range bad {
		t.Run(name, func(t *testing.T) {
			if runCheck(strings.Replace(ok, "</main>", extra+"</main>", 1)) == 0 {
				t.Errorf("check passed a page with %s", name)
			}
		})
	}
}

// runCheck counts the errors checkPage reports on body.
func runCheck(body string) int {
	rec := &recorder{}
	checkPage(rec, "page", body)
	return rec.errors
}

// recorder is a testing.TB that counts errors instead of failing.
type recorder struct {
	testing.TB
	errors int
}

func (r *recorder) Helper()               {}
func (r *recorder) Errorf(string, ...any) { r.errors++ }

func hasClass(n *html.Node, class string) bool {
	for _, a := range n.Attr {
		if a.Key == "class" && slices.Contains(strings.Fields(a.Val), class) {
			return true
		}
	}
	return false
}
