package ui

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/kubu-gov/kubu/internal/authz"
	"github.com/kubu-gov/kubu/internal/detect"
	"github.com/kubu-gov/kubu/internal/indicators"
	"github.com/kubu-gov/kubu/internal/store"
	"github.com/kubu-gov/kubu/internal/web"
)

// maxUpload bounds a STIX bundle uploaded from the page.
const maxUpload = 64 << 20

type intelData struct {
	Sources   []indicators.Source
	Page      store.Page[indicators.Indicator]
	Query     url.Values
	Cursor    string
	Filter    intelFilter
	Types     []string
	Hunts     []indicators.Hunt
	Result    *indicators.Result
	CanManage bool
	CanHunt   bool
	HuntFrom  string // datetime-local, a week ago
	HuntType  string
	HuntValue string
}

type intelFilter struct{ Q, Type, Source, Active string }

func (p *intelPages) loadIntel(r *http.Request, d *intelData) error {
	ctx, a := r.Context(), web.ActorFrom(r.Context())
	q := r.URL.Query()
	d.Query, d.Cursor = url.Values{}, q.Get("cursor")
	d.Filter = intelFilter{Q: q.Get("q"), Type: q.Get("type"), Source: q.Get("source"), Active: q.Get("active")}
	for k, v := range map[string]string{"q": d.Filter.Q, "type": d.Filter.Type, "source": d.Filter.Source, "active": d.Filter.Active} {
		if v != "" {
			d.Query.Set(k, v)
		}
	}
	d.Types = []string{"ip", "domain", "url", "email", "md5", "sha1", "sha256", "sha512"}
	d.CanManage = authz.Allowed(a, authz.IntelManage, authz.Collection())
	d.CanHunt = authz.Allowed(a, authz.HuntCreate, authz.Collection())
	d.HuntFrom = time.Now().UTC().Add(-7 * 24 * time.Hour).Format(localTime)
	var err error
	if d.Sources, err = p.Intel.Sources(ctx, a); err != nil {
		return err
	}
	f := indicators.Filter{Value: d.Filter.Q, Type: d.Filter.Type, Source: d.Filter.Source, Cursor: d.Cursor, Limit: pageSize}
	if b, err := strconv.ParseBool(d.Filter.Active); err == nil {
		f.Active = &b
	}
	if d.Page, err = p.Intel.Indicators(ctx, a, f); err != nil {
		return err
	}
	if d.CanHunt {
		if d.Hunts, err = p.Intel.Hunts(ctx, a, 10); err != nil {
			return err
		}
	}
	return nil
}

// intelOverview shows the sources, the indicators with their hits, the
// latest retro-hunts and the forms to import and hunt.
func (p *intelPages) intelOverview(w http.ResponseWriter, r *http.Request) {
	d := &intelData{}
	if err := p.loadIntel(r, d); err != nil {
		if errors.Is(err, store.ErrBadCursor) {
			redirect(w, r, "/intel")
			return
		}
		p.fail(w, r, err)
		return
	}
	p.render(w, r, http.StatusOK, "intel.html", page{Title: "Threat intelligence", Data: d})
}

// intelProblems reports field problems of a domain error.
func intelProblems(err error) ([]problem, bool) { return problemsOf(err, "intel-", "source") }

// intelImport takes a STIX bundle uploaded from the page.
func (p *intelPages) intelImport(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, maxUpload)
	if err := r.ParseMultipartForm(8 << 20); err != nil {
		p.renderIntel(w, r, http.StatusBadRequest, nil, []problem{{Anchor: "intel-file", Label: "Bundle", Message: "must be a STIX 2.1 bundle file of at most 64 MiB"}})
		return
	}
	file, _, err := r.FormFile("bundle")
	if err != nil {
		p.renderIntel(w, r, http.StatusBadRequest, nil, []problem{{Anchor: "intel-file", Label: "Bundle", Message: "is required"}})
		return
	}
	defer file.Close()
	source := strings.TrimSpace(r.FormValue("source"))
	if source == "" {
		source = "upload"
	}
	res, err := p.Intel.ImportSTIX(r.Context(), web.ActorFrom(r.Context()), source, indicators.KindUpload, file)
	var me *indicators.MalformedError
	switch {
	case errors.As(err, &me):
		p.renderIntel(w, r, http.StatusBadRequest, nil, []problem{{Anchor: "intel-file", Label: "Bundle", Message: me.Msg}})
		return
	case err != nil:
		if probs, ok := intelProblems(err); ok {
			p.renderIntel(w, r, http.StatusBadRequest, nil, probs)
			return
		}
		p.fail(w, r, err)
		return
	}
	p.renderIntel(w, r, http.StatusOK, res, nil)
}

func (p *intelPages) renderIntel(w http.ResponseWriter, r *http.Request, status int, res *indicators.Result, probs []problem) {
	d := &intelData{Result: res}
	if err := p.loadIntel(r, d); err != nil {
		p.fail(w, r, err)
		return
	}
	pg := page{Title: "Threat intelligence", Data: d, Problems: probs}
	if res != nil {
		pg.Notice = fmt.Sprintf("Imported %d indicators; %d skipped, %d errors.", res.Imported, len(res.Skipped), len(res.Errors))
	}
	p.render(w, r, status, "intel.html", pg)
}

func (p *intelPages) intelRetire(w http.ResponseWriter, r *http.Request) {
	in, err := p.Intel.Retire(r.Context(), web.ActorFrom(r.Context()), r.PathValue("id"))
	if err != nil {
		p.fail(w, r, err)
		return
	}
	p.flash(r, "Retired: "+in.Type+" "+in.Value+". It stops matching within seconds.")
	redirect(w, r, "/intel")
}

// intelHuntCreate starts a retro-hunt from an indicator's row (one click)
// or the observable form.
func (p *intelPages) intelHuntCreate(w http.ResponseWriter, r *http.Request) {
	if !parseForm(w, r) {
		return
	}
	from, ok := parseLocal(r.PostFormValue("from"))
	if !ok || from.IsZero() {
		from = time.Now().Add(-7 * 24 * time.Hour)
	}
	in := indicators.NewHunt{IndicatorID: r.PostFormValue("indicator_id"), Type: r.PostFormValue("type"), Value: r.PostFormValue("value"), From: from}
	h, err := p.Intel.CreateHunt(r.Context(), web.ActorFrom(r.Context()), in)
	if err != nil {
		if probs, ok := problemsOf(err, "hunt-", "value"); ok {
			d := &intelData{HuntType: in.Type, HuntValue: in.Value}
			if err := p.loadIntel(r, d); err != nil {
				p.fail(w, r, err)
				return
			}
			p.render(w, r, http.StatusBadRequest, "intel.html", page{Title: "Threat intelligence", Data: d, Problems: probs})
			return
		}
		p.fail(w, r, err)
		return
	}
	p.flash(r, "Retro-hunt started. Its matches appear as ioc alerts marked retro.")
	redirect(w, r, "/intel/hunts/"+url.PathEscape(h.ID))
}

type intelHuntData struct {
	Hunt   indicators.Hunt
	Alerts []detect.Alert
}

func (p *intelPages) intelHunt(w http.ResponseWriter, r *http.Request) {
	ctx, a := r.Context(), web.ActorFrom(r.Context())
	h, err := p.Intel.Hunt(ctx, a, r.PathValue("id"))
	if err != nil {
		p.fail(w, r, err)
		return
	}
	d := &intelHuntData{Hunt: h}
	if p.Monitoring != nil && p.Monitoring.Detect != nil {
		if res, err := p.Monitoring.Detect.ListAlerts(ctx, a, detect.AlertFilter{HuntID: h.ID, Limit: 50}); err == nil {
			d.Alerts = res.Items
		}
	}
	p.render(w, r, http.StatusOK, "intel_hunt.html", page{Title: "Retro-hunt: " + h.Title, Data: d})
}
