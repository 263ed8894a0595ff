package ui

import (
	"net/http"

	"github.com/kubu-gov/kubu/internal/authz"
	"github.com/kubu-gov/kubu/internal/detect"
	"github.com/kubu-gov/kubu/internal/intake"
	"github.com/kubu-gov/kubu/internal/registry"
	"github.com/kubu-gov/kubu/internal/web"
)

type intakeData struct {
	Stats          intake.StatsReport
	Sources        []detect.Source
	Tokens         []intake.Token
	CanManage      bool
	Agencies       []registry.Agency // agencies a token may be made for
	Unassigned     []intake.UnassignedSource
	ShowUnassigned bool
	Created        string // a token just made, shown once
	CreatedFor     string
	Endpoints      []intakeEndpoint
	Snippets       []shipperSnippet
	Managers       []string // the roles that may create intake tokens
	Placeholder    string   // the snippets' stand-in for the token
}

func (m *monitoring) intakeData(r *http.Request) (*intakeData, error) {
	ctx, a := r.Context(), web.ActorFrom(r.Context())
	d := &intakeData{Endpoints: m.Endpoints.endpoints(), Snippets: m.Endpoints.snippets(), Managers: intakeManagers(), Placeholder: tokenPlaceholder}
	var err error
	if d.Stats, err = m.Intake.Stats(ctx, a); err != nil {
		return nil, err
	}
	if !authz.ScopeOf(a, authz.AlertRead).None() {
		if d.Sources, err = m.Detect.Sources(ctx, a); err != nil {
			return nil, err
		}
	}
	if !authz.ScopeOf(a, authz.IntakeManage).None() {
		d.CanManage = true
		if d.Tokens, err = m.Intake.Tokens(ctx, a); err != nil {
			return nil, err
		}
		if d.Agencies, err = m.Registry.ListAgencies(ctx, a); err != nil {
			return nil, err
		}
	}
	if authz.Check(a, authz.IntakeUnassigned, authz.Collection()) == nil {
		d.ShowUnassigned = true
		if d.Unassigned, err = m.Intake.Unassigned(ctx, a); err != nil {
			return nil, err
		}
	}
	return d, nil
}

func (m *monitoring) intakeOverview(w http.ResponseWriter, r *http.Request) {
	d, err := m.intakeData(r)
	if err != nil {
		m.fail(w, r, err)
		return
	}
	m.render(w, r, http.StatusOK, "intake_overview.html", page{Title: "Log intake", Data: d})
}

// intakeTokenCreate makes an intake token and shows it once.
func (m *monitoring) intakeTokenCreate(w http.ResponseWriter, r *http.Request) {
	if !parseForm(w, r) {
		return
	}
	agency := r.PostFormValue("agency")
	secret, _, err := m.Intake.CreateToken(r.Context(), web.ActorFrom(r.Context()), agency, r.PostFormValue("name"))
	if err != nil {
		d, derr := m.intakeData(r)
		if derr != nil {
			m.fail(w, r, derr)
			return
		}
		m.formFail(w, r, err, "intake_overview.html", "token-", "agency", page{Title: "Log intake", Data: d})
		return
	}
	d, err := m.intakeData(r)
	if err != nil {
		m.fail(w, r, err)
		return
	}
	d.Created, d.CreatedFor = secret, agency
	m.render(w, r, http.StatusCreated, "intake_token_created.html", page{Title: "Intake token created", Data: d})
}

func (m *monitoring) intakeTokenRevoke(w http.ResponseWriter, r *http.Request) {
	if err := m.Intake.RevokeToken(r.Context(), web.ActorFrom(r.Context()), r.PathValue("id")); err != nil {
		m.fail(w, r, err)
		return
	}
	m.flash(r, "Intake token revoked: shippers using it are refused within seconds.")
	redirect(w, r, "/intake")
}
