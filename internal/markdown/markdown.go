// Package markdown renders Markdown written by anyone — staff, researchers,
// anonymous reporters — to HTML that is safe to put in a page: goldmark
// never passes raw HTML through (no WithUnsafe): it shows it as escaped,
// visible text, so a proof-of-concept payload in a report stays readable
// evidence and never runs; bluemonday's UGC policy then strips anything
// dangerous that remains (javascript: and data: links, event handlers, SVG,
// iframes, styles).
package markdown

import (
	"bytes"
	"html/template"

	"github.com/microcosm-cc/bluemonday"
	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/extension"
	"github.com/yuin/goldmark/renderer"
	"github.com/yuin/goldmark/util"
)

// Renderer turns Markdown into sanitised HTML. It is safe for concurrent use.
type Renderer struct {
	md     goldmark.Markdown
	policy *bluemonday.Policy
}

// New returns a renderer.
func New() *Renderer {
	p := bluemonday.UGCPolicy()
	p.RequireNoFollowOnLinks(true)
	p.RequireNoReferrerOnLinks(true)
	p.AddTargetBlankToFullyQualifiedLinks(true)
	p.AllowURLSchemes("http", "https", "mailto")
	return &Renderer{
		md: goldmark.New(goldmark.WithExtensions(extension.GFM),
			goldmark.WithRendererOptions(renderer.WithNodeRenderers(util.Prioritized(rawHTMLAsText{}, 100)))),
		policy: p,
	}
}

// HTML renders src. On the (unexpected) failure of the Markdown renderer it
// falls back to the escaped text.
func (r *Renderer) HTML(src string) template.HTML {
	var b bytes.Buffer
	if err := r.md.Convert([]byte(src), &b); err != nil {
		return template.HTML(template.HTMLEscapeString(src))
	}
	return template.HTML(r.policy.SanitizeBytes(b.Bytes()))
}
