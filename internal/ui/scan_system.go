package ui

import (
	"errors"
	"fmt"
	"net/http"
	"sort"
	"strings"

	"github.com/kubu-gov/kubu/internal/authz"
	"github.com/kubu-gov/kubu/internal/registry"
	"github.com/kubu-gov/kubu/internal/scanning"
	"github.com/kubu-gov/kubu/internal/store"
	"github.com/kubu-gov/kubu/internal/validate"
	"github.com/kubu-gov/kubu/internal/web"
)

type systemScansData struct {
	System registry.System
	Names  []scanning.NameStatus
	Scans  store.Page[scanning.Scan]
	CanRun bool
}

// systemScans is a system's names with their grades side by side, its
// recent scans and the run-now button.
func (u *ui) systemScans(w http.ResponseWriter, r *http.Request) {
	ctx, a := r.Context(), web.ActorFrom(r.Context())
	sys, err := u.Registry.System(ctx, a, r.PathValue("id"))
	if err != nil {
		u.fail(w, r, err)
		return
	}
	d := systemScansData{System: sys, CanRun: authz.Check(a, authz.ScanRun, authz.Record(sys.AgencyID)) == nil}
	if d.Names, err = u.Scanning.Names(ctx, a, sys.ID); err != nil {
		u.fail(w, r, err)
		return
	}
	if d.Scans, err = u.Scanning.List(ctx, a, scanning.ScanFilter{SystemID: sys.ID, Limit: 10}); err != nil {
		u.fail(w, r, err)
		return
	}
	u.render(w, r, http.StatusOK, "system_scans.html", page{Title: "Scans of " + sys.Name, Data: d})
}

// systemScanNow asks for a scan of the system now and shows it.
func (u *ui) systemScanNow(w http.ResponseWriter, r *http.Request) {
	if !parseForm(w, r) {
		return
	}
	id := r.PathValue("id")
	sc, created, err := u.Scanning.Request(r.Context(), web.ActorFrom(r.Context()), id)
	if v, ok := validate.As(err); ok {
		msgs := make([]string, len(v))
		for i, fe := range v {
			msgs[i] = fe.Message
		}
		u.flashErr(r, "The scan could not start: "+strings.Join(msgs, "; ")+".")
		redirect(w, r, "/systems/"+id+"/scans")
		return
	}
	if err != nil {
		u.fail(w, r, err)
		return
	}
	if created {
		u.flash(r, "The scan is queued; this page shows its progress.")
	} else {
		u.flash(r, "A scan of this system is already under way; this is it.")
	}
	redirect(w, r, "/scans/"+sc.ID)
}

type scanNameData struct {
	System   registry.System
	Hostname string
	Status   *scanning.NameStatus
	Detail   *scanning.ResultDetail // the result shown; nil before the first scan
	IsLatest bool
	History  store.Page[scanning.NameResult]
	CanRun   bool
}

// scanName is one name: its verdicts under each standard side by side with
// their reasons, where two standards disagree and why, the facts, and its
// history with what changed between scans (?result=ID shows an older one).
func (u *ui) scanName(w http.ResponseWriter, r *http.Request) {
	ctx, a := r.Context(), web.ActorFrom(r.Context())
	sys, err := u.Registry.System(ctx, a, r.PathValue("id"))
	if err != nil {
		u.fail(w, r, err)
		return
	}
	host := strings.ToLower(r.PathValue("hostname"))
	names, err := u.Scanning.Names(ctx, a, sys.ID)
	if err != nil {
		u.fail(w, r, err)
		return
	}
	d := scanNameData{System: sys, Hostname: host, CanRun: authz.Check(a, authz.ScanRun, authz.Record(sys.AgencyID)) == nil}
	for i := range names {
		if names[i].Hostname == host {
			d.Status = &names[i]
		}
	}
	if d.Status == nil {
		web.NotFoundPage(w, r)
		return
	}
	cursor := r.URL.Query().Get("cursor")
	d.History, err = u.Scanning.Results(ctx, a, scanning.ResultFilter{SystemID: sys.ID, Hostname: host, Cursor: cursor, Limit: pageSize})
	if errors.Is(err, store.ErrBadCursor) {
		redirect(w, r, "/systems/"+sys.ID+"/scans/"+host)
		return
	}
	if err != nil {
		u.fail(w, r, err)
		return
	}
	show := r.URL.Query().Get("result")
	if show == "" && d.Status.Latest != nil {
		show = d.Status.Latest.ID
	}
	if show != "" {
		det, err := u.Scanning.Result(ctx, a, show)
		if err == nil && (det.SystemID != sys.ID || det.Hostname != host) {
			err = authz.ErrNotFound
		}
		if err != nil {
			u.fail(w, r, err)
			return
		}
		d.Detail = &det
		d.IsLatest = d.Status.Latest != nil && det.ID == d.Status.Latest.ID
	}
	u.render(w, r, http.StatusOK, "scan_name.html", page{Title: host, Data: d})
}

// verdictRow is one standard's verdict on a name, for the side-by-side table.
type verdictRow struct {
	Standard, Version string
	Web, Mail         string // pass, fail, or "" (does not apply)
	Grade             string // a letter grade (Observatory, SSL Labs)
	Score             string
	Reasons           []string
}

// header is one security header of the final page.
type header struct {
	Name, Value string
	Present     bool
}

func (d scanNameData) Verdicts() []verdictRow {
	if d.Detail == nil || d.Detail.Result == nil || d.Detail.Result.Verdicts == nil {
		return nil
	}
	v := d.Detail.Result.Verdicts
	deref := func(s *string) string {
		if s == nil {
			return ""
		}
		return *s
	}
	var out []verdictRow
	if v.BOD != nil {
		out = append(out, verdictRow{Standard: "BOD 18-01 (pshtt, trustymail)", Version: v.Versions["bod-18-01"], Web: deref(v.BOD.Web), Mail: deref(v.BOD.Mail),
			Reasons: partReasons(v.BOD.Reasons)})
	}
	if v.InternetNL != nil {
		out = append(out, verdictRow{Standard: "internet.nl", Version: v.Versions["internet.nl"], Web: deref(v.InternetNL.Web), Mail: deref(v.InternetNL.Mail),
			Reasons: partReasons(v.InternetNL.Reasons)})
	}
	if v.Observ != nil {
		out = append(out, verdictRow{Standard: "MDN HTTP Observatory", Version: v.Versions["observatory"], Grade: v.Observ.Grade,
			Score: fmt.Sprint(v.Observ.Score), Reasons: v.Observ.Reasons})
	}
	if v.SSLLabs != nil {
		out = append(out, verdictRow{Standard: "SSL Labs", Version: v.Versions["ssllabs"], Grade: v.SSLLabs.Grade, Reasons: v.SSLLabs.Reasons})
	}
	return out
}

func partReasons(m map[string][]string) []string {
	var out []string
	for _, part := range []string{"web", "mail"} {
		for _, r := range m[part] {
			out = append(out, part+": "+r)
		}
	}
	return out
}

// IM8 lists the IM8 controls the result bears on, in order.
func (d scanNameData) IM8() [][2]string {
	if d.Detail == nil || d.Detail.Result == nil || d.Detail.Result.Verdicts == nil {
		return nil
	}
	m := d.Detail.Result.Verdicts.IM8
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	out := make([][2]string, len(keys))
	for i, k := range keys {
		out[i] = [2]string{k, m[k]}
	}
	return out
}

// Headers lists the security headers of the final page.
func (d scanNameData) Headers() []header {
	if d.Detail == nil || d.Detail.Result == nil || d.Detail.Result.Headers == nil {
		return nil
	}
	h := d.Detail.Result.Headers
	var out []header
	for _, x := range []struct {
		n string
		v *string
	}{{"Content-Security-Policy", h.CSP}, {"X-Frame-Options", h.XFrameOptions}, {"X-Content-Type-Options", h.XContentTypeOptions},
		{"Referrer-Policy", h.ReferrerPolicy}, {"Cross-Origin-Resource-Policy", h.CrossOriginResourcePolicy}} {
		hd := header{Name: x.n}
		if x.v != nil {
			hd.Value, hd.Present = *x.v, true
		}
		out = append(out, hd)
	}
	return out
}
