package ui

import (
	"errors"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/kubu-gov/kubu/internal/authz"
	"github.com/kubu-gov/kubu/internal/detect"
	"github.com/kubu-gov/kubu/internal/severity"
	"github.com/kubu-gov/kubu/internal/store"
	"github.com/kubu-gov/kubu/internal/web"
)

type ruleListData struct {
	Query     url.Values
	Text      string
	Enabled   string // "", "yes", "no"
	Level     string
	Levels    []string
	Cursor    string
	Page      store.Page[detect.Rule]
	CanManage bool
	YAML      string // the upload form's text, kept after a problem
}

func (m *monitoring) ruleListData(r *http.Request) *ruleListData {
	q := r.URL.Query()
	d := &ruleListData{Text: q.Get("q"), Enabled: q.Get("enabled"), Level: q.Get("level"), Cursor: q.Get("cursor"), Levels: severity.Levels,
		Query: url.Values{}, CanManage: authz.Check(web.ActorFrom(r.Context()), authz.RuleManage, authz.Collection()) == nil}
	for _, k := range []string{"q", "enabled", "level"} {
		if v := q.Get(k); v != "" {
			d.Query.Set(k, v)
		}
	}
	return d
}

func (m *monitoring) ruleList(w http.ResponseWriter, r *http.Request) {
	d := m.ruleListData(r)
	if err := m.loadRules(r, d); err != nil {
		if errors.Is(err, store.ErrBadCursor) {
			redirect(w, r, "/rules"+queryWith(d.Query))
			return
		}
		m.fail(w, r, err)
		return
	}
	m.render(w, r, http.StatusOK, "rule_list.html", page{Title: "Detection rules", Data: d})
}

func (m *monitoring) loadRules(r *http.Request, d *ruleListData) error {
	f := detect.RuleFilter{Query: d.Text, Level: d.Level, Cursor: d.Cursor, Limit: pageSize}
	switch d.Enabled {
	case "yes", "no":
		b := d.Enabled == "yes"
		f.Enabled = &b
	}
	page, err := m.Detect.ListRules(r.Context(), web.ActorFrom(r.Context()), f)
	d.Page = page
	return err
}

// ruleCreate adds a rule pasted into the rules page.
func (m *monitoring) ruleCreate(w http.ResponseWriter, r *http.Request) {
	if !parseForm(w, r) {
		return
	}
	yaml := r.PostFormValue("yaml")
	rule, err := m.Detect.CreateRule(r.Context(), web.ActorFrom(r.Context()), []byte(yaml))
	var re *detect.RuleError
	if errors.As(err, &re) || strings.TrimSpace(yaml) == "" {
		d := m.ruleListData(r)
		d.YAML = yaml
		if lerr := m.loadRules(r, d); lerr != nil {
			m.fail(w, r, lerr)
			return
		}
		msg := "Paste a Sigma rule."
		if re != nil {
			msg = re.Msg
		}
		p := page{Title: "Detection rules", Data: d, Problems: []problem{{Anchor: "rule-yaml", Label: "Sigma rule", Message: msg}}}
		m.render(w, r, http.StatusBadRequest, "rule_list.html", p)
		return
	}
	if err != nil {
		m.fail(w, r, err)
		return
	}
	m.flash(r, "Rule added. Every node applies it within seconds.")
	redirect(w, r, "/rules/"+url.PathEscape(rule.ID))
}

type ruleDetailData struct {
	Rule      detect.Rule
	CanManage bool
	CanHunt   bool
	Hunt      huntForm
	Alerts    []detect.Alert
}

func (m *monitoring) ruleDetail(w http.ResponseWriter, r *http.Request) {
	ctx, a := r.Context(), web.ActorFrom(r.Context())
	rule, err := m.Detect.RuleByID(ctx, a, r.PathValue("id"))
	if err != nil {
		m.fail(w, r, err)
		return
	}
	d := &ruleDetailData{Rule: rule, CanManage: authz.Check(a, authz.RuleManage, authz.Collection()) == nil,
		CanHunt: authz.Check(a, authz.HuntCreate, authz.Collection()) == nil, Hunt: newHuntForm(rule.ID, time.Now())}
	if !authz.ScopeOf(a, authz.AlertRead).None() {
		res, err := m.Detect.ListAlerts(ctx, a, detect.AlertFilter{RuleID: rule.ID, Limit: 10})
		if err != nil {
			m.fail(w, r, err)
			return
		}
		d.Alerts = res.Items
	}
	m.render(w, r, http.StatusOK, "rule_detail.html", page{Title: rule.Title, Data: d})
}

func (m *monitoring) ruleEnabled(w http.ResponseWriter, r *http.Request) {
	if !parseForm(w, r) {
		return
	}
	on := r.PostFormValue("enabled") == "yes"
	rule, err := m.Detect.SetRuleEnabled(r.Context(), web.ActorFrom(r.Context()), r.PathValue("id"), on)
	if err != nil {
		m.fail(w, r, err)
		return
	}
	if on {
		m.flash(r, "Rule enabled.")
	} else {
		m.flash(r, "Rule disabled: it no longer raises alerts.")
	}
	redirect(w, r, "/rules/"+url.PathEscape(rule.ID))
}
