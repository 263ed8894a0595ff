package ui

import (
	"net/http"
	"strings"

	"github.com/kubu-gov/kubu/internal/accounts"
	"github.com/kubu-gov/kubu/internal/authz"
	"github.com/kubu-gov/kubu/internal/registry"
	"github.com/kubu-gov/kubu/internal/web"
)

// userForm is the form that creates an account, as typed (never the
// password).
type userForm struct {
	Email, Name, Role, Agency string

	Roles    []authz.Role      // the roles the caller may give
	Agencies []registry.Agency // the agencies the caller may add people to
}

// userCreated is the page after creating an account.
type userCreated struct {
	User     accounts.User
	Password string // shown once when kubu chose it
}

func (u *ui) userFormOptions(r *http.Request, f *userForm) error {
	a := web.ActorFrom(r.Context())
	ags, err := u.Registry.ListAgencies(r.Context(), a)
	if err != nil {
		return err
	}
	if authz.ScopeOf(a, authz.UserManage).All {
		f.Roles, f.Agencies = authz.Roles(), ags
		return nil
	}
	f.Roles = []authz.Role{authz.AgencyMember, authz.AgencyAdmin}
	for _, ag := range ags {
		if ag.ID == a.AgencyID {
			f.Agencies = []registry.Agency{ag}
			f.Agency = ag.Code
		}
	}
	return nil
}

func (u *ui) userNewForm(w http.ResponseWriter, r *http.Request) {
	f := userForm{Role: string(authz.AgencyMember)}
	if err := u.userFormOptions(r, &f); err != nil {
		u.fail(w, r, err)
		return
	}
	u.render(w, r, http.StatusOK, "user_new.html", page{Title: "Add a person", Data: f})
}

func (u *ui) userCreate(w http.ResponseWriter, r *http.Request) {
	if !parseForm(w, r) {
		return
	}
	a := web.ActorFrom(r.Context())
	f := userForm{Email: r.PostFormValue("email"), Name: r.PostFormValue("name"), Role: r.PostFormValue("role")}
	if err := u.userFormOptions(r, &f); err != nil {
		u.fail(w, r, err)
		return
	}
	manageAll := authz.ScopeOf(a, authz.UserManage).All
	if manageAll {
		f.Agency = r.PostFormValue("agency")
	}
	role := authz.Role(f.Role)
	agency := f.Agency
	if !role.AgencyBound() && manageAll {
		agency = "" // central roles and researchers belong to no agency
	}
	password, chosen := r.PostFormValue("password"), false
	if strings.TrimSpace(password) == "" {
		password, chosen = accounts.RandomPassword(), true
	}
	usr, err := u.Accounts.CreateUser(r.Context(), a, accounts.NewUser{Email: f.Email, Name: f.Name, Role: role, Agency: agency, Password: password})
	if err != nil {
		u.formFail(w, r, err, "user_new.html", "", "email", page{Title: "Add a person", Data: f})
		return
	}
	// The page answers the POST itself rather than redirecting, so that a
	// password kubu chose is shown once and never stored anywhere.
	d := userCreated{User: usr}
	if chosen {
		d.Password = password
	}
	u.render(w, r, http.StatusCreated, "user_created.html", page{Title: "Person added", Data: d})
}

// userAction runs one of the buttons of the people list and goes back to it.
func (u *ui) userAction(w http.ResponseWriter, r *http.Request, do func(a authz.Actor, id string) error, done string) {
	a := web.ActorFrom(r.Context())
	id := r.PathValue("id")
	usr, err := u.Accounts.User(r.Context(), a, id)
	if err != nil {
		u.fail(w, r, err)
		return
	}
	if err := do(a, id); err != nil {
		if probs, ok := problemsOf(err, "", ""); ok {
			msgs := make([]string, len(probs))
			for i, p := range probs {
				msgs[i] = capitalise(p.Message)
			}
			u.flashErr(r, usr.Email+": "+strings.Join(msgs, "; ")+".")
			redirect(w, r, "/users")
			return
		}
		u.fail(w, r, err)
		return
	}
	u.flash(r, usr.Email+": "+done)
	redirect(w, r, "/users")
}

func (u *ui) userDisable(w http.ResponseWriter, r *http.Request) {
	u.userAction(w, r, func(a authz.Actor, id string) error { return u.Accounts.SetDisabled(r.Context(), a, id, true) },
		"account disabled. Their sessions and API tokens stopped working.")
}

func (u *ui) userEnable(w http.ResponseWriter, r *http.Request) {
	u.userAction(w, r, func(a authz.Actor, id string) error { return u.Accounts.SetDisabled(r.Context(), a, id, false) },
		"account enabled.")
}

func (u *ui) userResetTOTP(w http.ResponseWriter, r *http.Request) {
	revoke := r.PostFormValue("revoke_tokens") == "yes"
	done := "two-factor sign-in reset and signed out everywhere. They will set it up again at their next sign-in."
	if revoke {
		done += " Their API tokens were revoked."
	}
	u.userAction(w, r, func(a authz.Actor, id string) error { return u.Accounts.ResetTOTP(r.Context(), a, id, revoke) }, done)
}

func (u *ui) userSetRole(w http.ResponseWriter, r *http.Request) {
	role := authz.Role(r.PostFormValue("role"))
	u.userAction(w, r, func(a authz.Actor, id string) error { return u.Accounts.SetRole(r.Context(), a, id, role) },
		"role changed to "+string(role)+". They were signed out everywhere, so the new role applies at once.")
}
