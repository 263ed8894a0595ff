package ui

import (
	"bytes"
	"html/template"
	"io/fs"
	"net/http"
	"net/url"
	"path"
	"strings"

	"github.com/kubu-gov/kubu/internal/authz"
	"github.com/kubu-gov/kubu/internal/web"
)

// page is what every template receives.
type page struct {
	Title    string
	Actor    authz.Actor
	Nonce    string
	Path     string
	Nav      []navGroup
	Error    string    // a message for the whole form
	Problems []problem // field problems, listed in the error summary
	Notice   string    // a one-off confirmation
	Data     any
}

type navItem struct {
	Href, Label string
	Current     bool
}

// navGroup is one prong of the navigation: its items the actor may use.
// Home has no label and stands alone; on a wide screen the groups are a
// row of links, the current group's items a second row; on a phone all
// of them sit in one menu that opens without JavaScript (<details>).
type navGroup struct {
	Label   string
	Items   []navItem
	Current bool // the page shown is one of Items
}

// Href is where the group's own link goes: its first item.
func (g navGroup) Href() string { return g.Items[0].Href }

// navSections is the navigation, grouped by prong (docs/design.md): each
// item is shown to a role whose grants give it some scope for the action.
var navSections = []struct {
	label string
	items []navEntry
}{
	{"", []navEntry{{"/", "Home", authz.SignedIn}}},
	{"Readiness", []navEntry{
		{"/agencies", "Agencies", authz.AgencyRead},
		{"/systems", "Systems", authz.SystemRead},
		{"/findings", "Findings", authz.FindingRead},
		{"/scans", "Scans", authz.ScanRead},
		{"/posture", "Posture", authz.PostureRead},
		{"/policies", "Policies", authz.PolicyRead},
	}},
	{"Operations", []navEntry{
		{"/alerts", "Alerts", authz.AlertRead},
		{"/incidents", "Incidents", authz.IncidentRead},
		{"/oncall", "On call", authz.OnCallRead},
		{"/rules", "Rules", authz.RuleRead},
		{"/hunts", "Hunts", authz.HuntRead},
		{"/intake", "Intake", authz.IntakeRead},
		{"/containment", "Containment", authz.ContainmentRead},
		{"/intel", "Intel", authz.IntelRead},
	}},
	{"Community", []navEntry{
		{"/reports", "Reports", authz.ReportRead},
		{"/programmes", "Programmes", authz.ProgrammeRead},
		{"/rewards", "Rewards", authz.RewardRead},
		{"/community", "Community", authz.ProgrammeMetrics},
		{"/researcher", "Dashboard", authz.ResearcherSelf},
	}},
	{"Admin", []navEntry{
		{"/users", "People", authz.UserRead},
		{"/audit", "Audit", authz.AuditRead},
		{"/account", "Account", authz.SignedIn},
	}},
}

type navEntry struct {
	href, label string
	act         authz.Action
}

// nav lists the sections the actor may use, by prong, marking the one
// at current.
func nav(a authz.Actor, current string) []navGroup {
	if !a.Authenticated() {
		return nil
	}
	var groups []navGroup
	for _, sec := range navSections {
		g := navGroup{Label: sec.label}
		for _, it := range sec.items {
			if it.act != authz.SignedIn && authz.ScopeOf(a, it.act).None() {
				continue
			}
			cur := current == it.href || (it.href != "/" && strings.HasPrefix(current, it.href+"/"))
			g.Current = g.Current || cur
			g.Items = append(g.Items, navItem{Href: it.href, Label: it.label, Current: cur})
		}
		if len(g.Items) > 0 {
			groups = append(groups, g)
		}
	}
	return groups
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

// Session keys of the one-off messages shown on the page after a redirect.
const (
	flashNotice = "flash"
	flashError  = "flash_error"
)

// flash keeps a confirmation for the next page the user sees.
func (u *ui) flash(r *http.Request, msg string) { u.Auth.Sessions.Put(r.Context(), flashNotice, msg) }

// flashErr keeps an error for the next page the user sees.
func (u *ui) flashErr(r *http.Request, msg string) { u.Auth.Sessions.Put(r.Context(), flashError, msg) }

// render writes a page. Rendering goes to a buffer first so a template
// error becomes a clean 500, not half a page.
func (u *ui) render(w http.ResponseWriter, r *http.Request, status int, name string, p page) {
	t, ok := u.pages[name]
	if !ok {
		u.Log.Error("render: no template", "template", name)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	p.Actor = web.ActorFrom(r.Context())
	p.Nonce = web.Nonce(r.Context())
	p.Path = r.URL.Path
	if p.Nav == nil {
		p.Nav = nav(p.Actor, r.URL.Path)
	}
	if p.Actor.Authenticated() && u.Auth != nil && u.Auth.Sessions != nil {
		if msg := u.Auth.Sessions.PopString(r.Context(), flashNotice); msg != "" && p.Notice == "" {
			p.Notice = msg
		}
		if msg := u.Auth.Sessions.PopString(r.Context(), flashError); msg != "" && p.Error == "" {
			p.Error = msg
		}
	}
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
	case http.StatusInternalServerError:
		u.Log.Error("ui request failed", "path", r.URL.Path, "err", err)
		fallthrough
	case http.StatusUnauthorized, http.StatusForbidden, http.StatusNotFound:
		u.errorPage(w, r, status)
		return
	}
	u.render(w, r, status, "error.html", page{Title: http.StatusText(status), Error: capitalise(d.Message) + "."})
}

// formFail re-renders a form after a failed domain call when the failure
// is about the input (field problems or a clash with an existing record),
// and answers any other failure with fail. prefix is put before field
// names to make the ids of the inputs (pages with several forms use it);
// conflictField is the input a clash is shown beside.
func (u *ui) formFail(w http.ResponseWriter, r *http.Request, err error, name, prefix, conflictField string, p page) {
	probs, ok := problemsOf(err, prefix, conflictField)
	if !ok {
		u.fail(w, r, err)
		return
	}
	p.Problems = append(p.Problems, probs...)
	u.render(w, r, http.StatusBadRequest, name, p)
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

// redirect answers a successful POST with 303 See Other.
func redirect(w http.ResponseWriter, r *http.Request, to string) {
	http.Redirect(w, r, to, http.StatusSeeOther)
}

// FieldError returns the problems of the field whose input has id anchor
// ("" when it has none), for the message beside the input.
func (p page) FieldError(anchor string) string {
	var msgs []string
	for _, pr := range p.Problems {
		if pr.Anchor == anchor {
			msgs = append(msgs, pr.Text())
		}
	}
	return strings.Join(msgs, "; ")
}

// Invalid reports whether the input with id anchor has a problem.
func (p page) Invalid(anchor string) bool { return p.FieldError(anchor) != "" }
