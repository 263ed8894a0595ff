package ui

import (
	"bytes"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"net/url"
	"path"
	"strings"
	"time"

	"github.com/kubu-gov/kubu/internal/authz"
	"github.com/kubu-gov/kubu/internal/web"
)

// page is what every template receives.
type page struct {
	Title  string
	Actor  authz.Actor
	Nonce  string
	Path   string
	Nav    []navItem
	Error  string   // a message for the whole form
	Fields []string // names of fields with problems
	Notice string   // a one-off confirmation
	Data   any
}

type navItem struct {
	Href, Label string
	Current     bool
}

// nav lists the sections the actor may use.
func nav(a authz.Actor, current string) []navItem {
	if !a.Authenticated() {
		return nil
	}
	var items []navItem
	add := func(href, label string, act authz.Action) {
		if authz.ScopeOf(a, act).None() {
			return
		}
		cur := current == href || (href != "/" && strings.HasPrefix(current, href+"/")) || current == href
		items = append(items, navItem{Href: href, Label: label, Current: cur})
	}
	add("/", "Home", authz.SignedIn)
	add("/agencies", "Agencies", authz.AgencyRead)
	add("/systems", "Systems", authz.SystemRead)
	add("/findings", "Findings", authz.FindingRead)
	add("/users", "People", authz.UserRead)
	add("/audit", "Audit", authz.AuditRead)
	add("/account", "Account", authz.SignedIn)
	return items
}

func mustParsePages(funcs template.FuncMap) map[string]*template.Template {
	base := template.Must(template.New("layout.html").Funcs(funcs).ParseFS(templateFS, "templates/layout.html", "templates/partials.html"))
	pages := map[string]*template.Template{}
	names, err := fs.Glob(templateFS, "templates/*.html")
	if err != nil {
		panic(err)
	}
	for _, n := range names {
		name := path.Base(n)
		if name == "layout.html" || name == "partials.html" {
			continue
		}
		t := template.Must(base.Clone())
		pages[name] = template.Must(t.ParseFS(templateFS, n))
	}
	return pages
}

// render writes a page. Rendering goes to a buffer first so a template
// error becomes a clean 500, not half a page.
func (u *ui) render(w http.ResponseWriter, r *http.Request, status int, name string, p page) {
	t, ok := u.pages[name]
	if !ok {
		panic("ui: no template " + name)
	}
	p.Actor = web.ActorFrom(r.Context())
	p.Nonce = web.Nonce(r.Context())
	p.Path = r.URL.Path
	p.Nav = nav(p.Actor, r.URL.Path)
	var b bytes.Buffer
	if err := t.ExecuteTemplate(&b, "layout.html", p); err != nil {
		u.Log.Error("render", "template", name, "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	w.Write(b.Bytes())
}

// fail answers an error from a domain call as a page: not found, forbidden
// or a generic failure.
func (u *ui) fail(w http.ResponseWriter, r *http.Request, err error) {
	status, d := web.Status(err)
	switch status {
	case http.StatusNotFound:
		web.NotFoundPage(w, r)
		return
	case http.StatusInternalServerError:
		u.Log.Error("ui request failed", "path", r.URL.Path, "err", err)
	}
	u.render(w, r, status, "error.html", page{Title: http.StatusText(status), Error: d.Message})
}

// localPath accepts only same-site paths for redirects after sign-in.
func localPath(next string) string {
	if next == "" || !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") || strings.HasPrefix(next, "/\\") {
		return "/"
	}
	if u, err := url.Parse(next); err != nil || u.Host != "" || u.Scheme != "" {
		return "/"
	}
	return next
}

func (u *ui) funcs() template.FuncMap {
	return template.FuncMap{
		"markdown": u.md.HTML,
		"date": func(t any) string {
			switch v := t.(type) {
			case time.Time:
				return v.Format("2 Jan 2006")
			case *time.Time:
				if v == nil {
					return "—"
				}
				return v.Format("2 Jan 2006")
			}
			return ""
		},
		"datetime": func(t time.Time) string { return t.UTC().Format("2 Jan 2006 15:04 UTC") },
		"iso":      func(t time.Time) string { return t.UTC().Format(time.RFC3339) },
		"has": func(list []string, s string) bool {
			for _, x := range list {
				if x == s {
					return true
				}
			}
			return false
		},
		"query": func(base url.Values, kv ...string) string {
			q := url.Values{}
			for k, v := range base {
				q[k] = append([]string(nil), v...)
			}
			for i := 0; i+1 < len(kv); i += 2 {
				if kv[i+1] == "" {
					q.Del(kv[i])
				} else {
					q.Set(kv[i], kv[i+1])
				}
			}
			return "?" + q.Encode()
		},
		"plural": func(n int, one, many string) string {
			if n == 1 {
				return fmt.Sprintf("%d %s", n, one)
			}
			return fmt.Sprintf("%d %s", n, many)
		},
		"title": func(s string) string {
			if s == "" {
				return s
			}
			return strings.ToUpper(s[:1]) + strings.ReplaceAll(s[1:], "-", " ")
		},
	}
}
