package ui

import (
	"net/http"
	"net/url"

	"github.com/kubu-gov/kubu/internal/web"
)

// errorPageData is what an error page says beyond its title.
type errorPageData struct {
	Text   string // what happened
	SignIn string // a sign-in link that comes back here (401 only)
}

// errorPage renders the browser's error pages (404 for unknown URLs and
// hidden records, 401, 403, 405, 429, 500) in the site's layout: what
// happened, and where to go. The web package calls it through
// Router.SetErrorPages.
func (u *ui) errorPage(w http.ResponseWriter, r *http.Request, status int) {
	title, text := web.PageText(status)
	d := errorPageData{Text: text}
	if status == http.StatusUnauthorized && (r.Method == http.MethodGet || r.Method == http.MethodHead) {
		d.SignIn = "/login?next=" + url.QueryEscape(r.URL.RequestURI())
	} else if status == http.StatusUnauthorized {
		d.SignIn = "/login"
	}
	// No section is marked current, so that the page is the same
	// wherever it answers: a hidden record's 404 is a missing one's.
	u.render(w, r, status, "error.html", page{Title: title, Data: d, Nav: nav(web.ActorFrom(r.Context()), "")})
}
