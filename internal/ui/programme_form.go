package ui

import (
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/kubu-gov/kubu/internal/disclosure"
	"github.com/kubu-gov/kubu/internal/findings"
	"github.com/kubu-gov/kubu/internal/validate"
	"github.com/kubu-gov/kubu/internal/web"
)

// programmeForm is the programme form as typed: its fields, its targets
// and (when creating, or on the reward table form) a reward table.
type programmeForm struct {
	ID, Slug, Kind, Name, Access, Rules string
	StartsAt, EndsAt                    string // yyyy-mm-dd
	AssetTypes                          []string
	InScope, OutOfScope                 string // one entry a line
	FirstResponse, Triage               string // target days
	Reward, Resolution                  string
	BusinessDays                        bool
	Currency, Cap                       string
	Amounts                             map[string]string // by severity
	Editing                             bool

	Kinds, Accesses, AllAssetTypes, Severities []string
}

func newProgrammeForm() programmeForm {
	t := disclosure.DefaultTargets
	return programmeForm{Kind: "bounty", Access: "open", FirstResponse: strconv.Itoa(t.FirstResponseDays), Triage: strconv.Itoa(t.TriageDays),
		Reward: strconv.Itoa(t.RewardDays), Resolution: strconv.Itoa(t.ResolutionDays), BusinessDays: t.BusinessDays,
		Currency: "SGD", Amounts: map[string]string{}}
}

func (f *programmeForm) options() {
	f.Kinds, f.Accesses, f.AllAssetTypes, f.Severities = disclosure.Kinds, disclosure.Accesses, disclosure.AssetTypes, findings.Severities
}

// formOfProgramme fills the form from a stored programme.
func formOfProgramme(p disclosure.Programme) programmeForm {
	f := programmeForm{ID: p.ID, Slug: p.Slug, Kind: p.Kind, Name: p.Name, Access: p.Access, Rules: p.Rules,
		AssetTypes: p.AssetTypes, InScope: strings.Join(p.InScope, "\n"), OutOfScope: strings.Join(p.OutOfScope, "\n"),
		FirstResponse: strconv.Itoa(p.Targets.FirstResponseDays), Triage: strconv.Itoa(p.Targets.TriageDays),
		Reward: strconv.Itoa(p.Targets.RewardDays), Resolution: strconv.Itoa(p.Targets.ResolutionDays), BusinessDays: p.Targets.BusinessDays,
		Currency: "SGD", Amounts: map[string]string{}, Editing: true}
	if p.StartsAt != nil {
		f.StartsAt = p.StartsAt.UTC().Format(time.DateOnly)
	}
	if p.EndsAt != nil {
		f.EndsAt = p.EndsAt.UTC().Format(time.DateOnly)
	}
	if t := p.RewardTable; t != nil {
		f.Currency = t.Currency
		for sev, n := range t.Amounts {
			f.Amounts[sev] = strconv.Itoa(n)
		}
		if t.ExceptionalCap > 0 {
			f.Cap = strconv.Itoa(t.ExceptionalCap)
		}
	}
	return f
}

// readProgrammeForm reads the programme fields of a posted form.
func readProgrammeForm(r *http.Request) programmeForm {
	f := programmeForm{Slug: r.PostFormValue("slug"), Kind: r.PostFormValue("kind"), Name: r.PostFormValue("name"),
		Access: r.PostFormValue("access"), Rules: r.PostFormValue("rules"), StartsAt: strings.TrimSpace(r.PostFormValue("starts_at")),
		EndsAt: strings.TrimSpace(r.PostFormValue("ends_at")), AssetTypes: r.PostForm["asset_types"],
		InScope: r.PostFormValue("in_scope"), OutOfScope: r.PostFormValue("out_of_scope"),
		FirstResponse: strings.TrimSpace(r.PostFormValue("first_response_days")), Triage: strings.TrimSpace(r.PostFormValue("triage_days")),
		Reward: strings.TrimSpace(r.PostFormValue("reward_days")), Resolution: strings.TrimSpace(r.PostFormValue("resolution_days")),
		BusinessDays: r.PostFormValue("business_days") == "yes"}
	f.readTable(r)
	return f
}

func (f *programmeForm) readTable(r *http.Request) {
	f.Currency, f.Cap, f.Amounts = strings.ToUpper(strings.TrimSpace(r.PostFormValue("currency"))), strings.TrimSpace(r.PostFormValue("exceptional_cap")), map[string]string{}
	for _, sev := range findings.Severities {
		if v := strings.TrimSpace(r.PostFormValue("amount_" + sev)); v != "" {
			f.Amounts[sev] = v
		}
	}
}

// input turns the form into the domain's input; c collects what cannot
// be read (numbers, dates).
func (f programmeForm) input(c *check) disclosure.ProgrammeInput {
	in := disclosure.ProgrammeInput{Slug: &f.Slug, Kind: &f.Kind, Name: &f.Name, Access: &f.Access, Rules: &f.Rules}
	for _, d := range []struct {
		field, v string
		dst      **time.Time
	}{{"starts_at", f.StartsAt, &in.StartsAt}, {"ends_at", f.EndsAt, &in.EndsAt}} {
		if d.v == "" {
			continue
		}
		t, err := time.Parse(time.DateOnly, d.v)
		if err != nil {
			c.add(d.field, "must be a date such as 2026-03-31")
			continue
		}
		*d.dst = &t
	}
	types, in1, out := slices.Clone(f.AssetTypes), lines(f.InScope), lines(f.OutOfScope)
	if types == nil {
		types = []string{}
	}
	in.AssetTypes, in.InScope, in.OutOfScope = &types, &in1, &out
	t := disclosure.Targets{BusinessDays: f.BusinessDays}
	for _, n := range []struct {
		field, v string
		dst      *int
	}{{"first_response_days", f.FirstResponse, &t.FirstResponseDays}, {"triage_days", f.Triage, &t.TriageDays},
		{"reward_days", f.Reward, &t.RewardDays}, {"resolution_days", f.Resolution, &t.ResolutionDays}} {
		*n.dst = c.number(n.field, n.v)
	}
	in.Targets = &t
	return in
}

// table reads the reward table; nil when no amount is given.
func (f programmeForm) table(c *check) *disclosure.RewardTable {
	if len(f.Amounts) == 0 && f.Cap == "" {
		return nil
	}
	t := &disclosure.RewardTable{Currency: f.Currency, Amounts: map[string]int{}}
	for sev, v := range f.Amounts {
		t.Amounts[sev] = c.number("amount_"+sev, v)
	}
	t.ExceptionalCap = c.number("exceptional_cap", f.Cap)
	return t
}

// number reads a whole number of at most seven digits ("" is 0).
func (c *check) number(field, v string) int {
	if v == "" {
		return 0
	}
	n, err := strconv.Atoi(strings.ReplaceAll(v, ",", ""))
	if err != nil || n < 0 || n > 99_999_999 {
		c.add(field, "must be a whole number such as 500")
		return 0
	}
	return n
}

func lines(s string) []string {
	out := []string{}
	for _, l := range strings.Split(s, "\n") {
		if l = strings.TrimSpace(l); l != "" {
			out = append(out, l)
		}
	}
	return out
}

func (c *community) renderProgrammeForm(w http.ResponseWriter, r *http.Request, status int, f programmeForm, probs []problem) {
	f.options()
	title := "Create a programme"
	if f.Editing {
		title = "Change " + f.Name
	}
	c.render(w, r, status, "programme_form.html", page{Title: title, Data: f, Problems: probs})
}

func (c *community) programmeNewForm(w http.ResponseWriter, r *http.Request) {
	c.renderProgrammeForm(w, r, http.StatusOK, newProgrammeForm(), nil)
}

func (c *community) programmeCreate(w http.ResponseWriter, r *http.Request) {
	if !parseForm(w, r) {
		return
	}
	f := readProgrammeForm(r)
	var ck check
	in := f.input(&ck)
	in.RewardTable = f.table(&ck)
	if !ck.ok() {
		c.renderProgrammeForm(w, r, http.StatusBadRequest, f, ck.list)
		return
	}
	p, err := c.Disclosure.CreateProgramme(r.Context(), web.ActorFrom(r.Context()), in)
	if err != nil {
		c.programmeFormFail(w, r, err, f)
		return
	}
	c.flash(r, "Programme created.")
	redirect(w, r, "/programmes/"+p.ID)
}

func (c *community) programmeEditForm(w http.ResponseWriter, r *http.Request) {
	p, err := c.Disclosure.Programme(r.Context(), web.ActorFrom(r.Context()), r.PathValue("id"))
	if err != nil {
		c.fail(w, r, err)
		return
	}
	c.renderProgrammeForm(w, r, http.StatusOK, formOfProgramme(p), nil)
}

func (c *community) programmeUpdate(w http.ResponseWriter, r *http.Request) {
	if !parseForm(w, r) {
		return
	}
	a := web.ActorFrom(r.Context())
	old, err := c.Disclosure.Programme(r.Context(), a, r.PathValue("id"))
	if err != nil {
		c.fail(w, r, err)
		return
	}
	f := readProgrammeForm(r)
	f.ID, f.Editing = old.ID, true
	if old.RewardTable != nil { // the table has its own form
		f.Currency, f.Amounts = formOfProgramme(old).Currency, formOfProgramme(old).Amounts
	}
	var ck check
	in := f.input(&ck)
	if !ck.ok() {
		c.renderProgrammeForm(w, r, http.StatusBadRequest, f, ck.list)
		return
	}
	if _, err := c.Disclosure.UpdateProgramme(r.Context(), a, old.ID, in); err != nil {
		c.programmeFormFail(w, r, err, f)
		return
	}
	c.flash(r, "Programme changed.")
	redirect(w, r, "/programmes/"+old.ID)
}

// programmeRewardTable makes a new version of the reward table; reports
// already sent keep the version frozen on them.
func (c *community) programmeRewardTable(w http.ResponseWriter, r *http.Request) {
	if !parseForm(w, r) {
		return
	}
	a := web.ActorFrom(r.Context())
	old, err := c.Disclosure.Programme(r.Context(), a, r.PathValue("id"))
	if err != nil {
		c.fail(w, r, err)
		return
	}
	f := formOfProgramme(old)
	f.readTable(r)
	var ck check
	t := f.table(&ck)
	if t == nil {
		ck.add("amount_critical", "give an amount for at least one severity")
	}
	if !ck.ok() {
		c.renderProgrammeForm(w, r, http.StatusBadRequest, f, ck.list)
		return
	}
	p, err := c.Disclosure.SetRewardTable(r.Context(), a, old.ID, *t)
	if err != nil {
		c.programmeFormFail(w, r, err, f)
		return
	}
	c.flash(r, "Reward table version "+strconv.Itoa(p.RewardVersion)+" is now in force for new reports.")
	redirect(w, r, "/programmes/"+old.ID)
}

func (c *community) programmeFormFail(w http.ResponseWriter, r *http.Request, err error, f programmeForm) {
	probs, ok := problemsOf(err, "", "slug")
	if !ok {
		c.fail(w, r, err)
		return
	}
	if _, isV := validate.As(err); !isV && len(probs) == 0 {
		c.fail(w, r, err)
		return
	}
	c.renderProgrammeForm(w, r, http.StatusBadRequest, f, probs)
}

func init() {
	for k, v := range map[string]string{"slug": "Short name", "kind": "Kind", "access": "Open to", "rules": "Rules",
		"starts_at": "Start date", "ends_at": "End date", "asset_types": "Asset types", "in_scope": "In scope", "out_of_scope": "Out of scope",
		"targets": "Response targets", "first_response_days": "First response", "triage_days": "Triage", "reward_days": "Reward",
		"resolution_days": "Resolution", "reward_table": "Reward table", "exceptional_cap": "Exceptional impact cap",
		"amount_critical": "Critical amount", "amount_high": "High amount", "amount_medium": "Medium amount", "amount_low": "Low amount",
		"amount_info": "Informational amount"} {
		fieldLabels[k] = v
	}
}
