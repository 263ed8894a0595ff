package ui

import (
	"errors"
	"net/http"

	"github.com/kubu-gov/kubu/internal/accounts"
	"github.com/kubu-gov/kubu/internal/ratelimit"
	"github.com/kubu-gov/kubu/internal/web"
)

type loginData struct {
	Email    string
	Next     string
	SSOName  string // "Sign in with …" when single sign-on is on
	Passkeys bool   // offer "Sign in with a passkey"
}

func (u *ui) loginForm(w http.ResponseWriter, r *http.Request) {
	if web.ActorFrom(r.Context()).Authenticated() {
		http.Redirect(w, r, localPath(r.URL.Query().Get("next")), http.StatusSeeOther)
		return
	}
	u.render(w, r, http.StatusOK, "login.html", page{Title: "Sign in", Data: loginData{Next: r.URL.Query().Get("next"), SSOName: u.ssoName(), Passkeys: u.Accounts.PasskeysOn()}})
}

func (u *ui) login(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 16<<10)
	email, password, next := r.PostFormValue("email"), r.PostFormValue("password"), localPath(r.PostFormValue("next"))
	client := ratelimit.ClientAddr(r, u.TrustProxy)
	user, err := u.Accounts.Login(r.Context(), email, password, client)
	if err != nil {
		msg := "Sign-in failed. Try again later."
		if errors.Is(err, accounts.ErrBadCredentials) || errors.Is(err, accounts.ErrLocked) || errors.Is(err, accounts.ErrUseSSO) {
			msg = capitalise(err.Error()) + "."
		} else {
			u.Log.Error("login", "err", err)
		}
		u.render(w, r, http.StatusUnauthorized, "login.html", page{Title: "Sign in", Error: msg, Data: loginData{Email: email, Next: next, SSOName: u.ssoName(), Passkeys: u.Accounts.PasskeysOn()}})
		return
	}
	hasPasskeys, err := u.Accounts.HasPasskeys(r.Context(), user.ID)
	if err != nil {
		u.fail(w, r, err)
		return
	}
	if user.TOTPEnabled || hasPasskeys {
		if err := u.Auth.SetPending(r.Context(), user); err != nil {
			u.fail(w, r, err)
			return
		}
		second := "/login/totp"
		if hasPasskeys {
			second = secondFactorPath // a passkey, or the TOTP code from there
		}
		http.Redirect(w, r, second+"?next="+urlQueryEscape(next), http.StatusSeeOther)
		return
	}
	needsEnrol := u.Accounts.TOTPRequired(user)
	notice, err := u.Accounts.CompleteLogin(r.Context(), user, "password", client)
	if err != nil {
		u.fail(w, r, err)
		return
	}
	if err := u.Auth.SignIn(r.Context(), user, needsEnrol); err != nil {
		u.fail(w, r, err)
		return
	}
	if msg := notice.Message(); msg != "" {
		u.flash(r, msg)
	}
	if needsEnrol {
		next = EnrolPath
	}
	http.Redirect(w, r, next, http.StatusSeeOther)
}

func (u *ui) totpForm(w http.ResponseWriter, r *http.Request) {
	if u.Auth.Pending(r.Context()) == "" {
		http.Redirect(w, r, "/login", http.StatusSeeOther)
		return
	}
	u.render(w, r, http.StatusOK, "totp.html", page{Title: "Enter your code", Data: loginData{Next: r.URL.Query().Get("next")}})
}

func (u *ui) totpLogin(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 4<<10)
	user, ok := u.Auth.PendingUser(r.Context())
	if !ok {
		http.Redirect(w, r, "/login", http.StatusSeeOther)
		return
	}
	next := localPath(r.PostFormValue("next"))
	client := ratelimit.ClientAddr(r, u.TrustProxy)
	if err := u.Accounts.CheckTOTP(r.Context(), user, r.PostFormValue("code"), client); err != nil {
		msg := "That code is not right. Check the time on your phone and try the newest code."
		if errors.Is(err, accounts.ErrLocked) {
			msg = capitalise(err.Error()) + "."
		} else if !errors.Is(err, accounts.ErrBadCode) {
			u.Log.Error("totp", "err", err)
			msg = "Sign-in failed. Try again later."
		}
		u.render(w, r, http.StatusUnauthorized, "totp.html", page{Title: "Enter your code", Error: msg, Data: loginData{Next: next}})
		return
	}
	notice, err := u.Accounts.CompleteLogin(r.Context(), user, "password+totp", client)
	if err != nil {
		u.fail(w, r, err)
		return
	}
	if err := u.Auth.SignIn(r.Context(), user, false); err != nil {
		u.fail(w, r, err)
		return
	}
	if msg := notice.Message(); msg != "" {
		u.flash(r, msg)
	}
	http.Redirect(w, r, next, http.StatusSeeOther)
}

func (u *ui) logout(w http.ResponseWriter, r *http.Request) {
	sso := u.oidcLogoutURL(r) // signed in by the identity provider: offer to sign out there too
	u.Auth.SignOut(r.Context())
	if sso != "" {
		// A page with a link rather than a redirect: the CSP's form-action
		// 'self' rightly stops a form's redirect to another origin.
		u.render(w, r, http.StatusOK, "signed_out.html", page{Title: "Signed out", Data: signedOutData{Name: u.OIDC.Name, URL: sso}})
		return
	}
	http.Redirect(w, r, "/login", http.StatusSeeOther)
}

type enrolData struct {
	Secret   string
	Required bool
}

func (u *ui) enrolForm(w http.ResponseWriter, r *http.Request) {
	a := web.ActorFrom(r.Context())
	user, err := u.Accounts.ActiveUser(r.Context(), a.UserID)
	if err != nil {
		u.fail(w, r, err)
		return
	}
	if user.TOTPEnabled {
		u.render(w, r, http.StatusOK, "enrol.html", page{Title: "Two-factor sign-in", Notice: "Two-factor sign-in is set up for your account."})
		return
	}
	e, ok, err := u.Accounts.PendingTOTP(r.Context(), a)
	if err == nil && !ok {
		e, err = u.Accounts.BeginTOTP(r.Context(), a)
	}
	if err != nil {
		u.fail(w, r, err)
		return
	}
	u.render(w, r, http.StatusOK, "enrol.html", page{Title: "Set up two-factor sign-in", Data: enrolData{Secret: e.Secret, Required: u.Accounts.TOTPRequired(user)}})
}

func (u *ui) enrol(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 4<<10)
	a := web.ActorFrom(r.Context())
	if err := u.Accounts.ConfirmTOTP(r.Context(), a, r.PostFormValue("code")); err != nil {
		if !errors.Is(err, accounts.ErrBadCode) {
			u.fail(w, r, err)
			return
		}
		e, _, _ := u.Accounts.PendingTOTP(r.Context(), a)
		u.render(w, r, http.StatusBadRequest, "enrol.html", page{Title: "Set up two-factor sign-in",
			Error: "That code is not right. Enter the 6-digit code your app shows now.", Data: enrolData{Secret: e.Secret, Required: true}})
		return
	}
	u.Auth.EnrolDone(r.Context())
	http.Redirect(w, r, "/", http.StatusSeeOther)
}

func (u *ui) enrolQR(w http.ResponseWriter, r *http.Request) {
	e, ok, err := u.Accounts.PendingTOTP(r.Context(), web.ActorFrom(r.Context()))
	if err != nil || !ok {
		web.NotFoundPage(w, r)
		return
	}
	png, err := e.QRCode()
	if err != nil {
		u.fail(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "image/png")
	w.Header().Set("Cache-Control", "no-store")
	w.Write(png)
}

type signedOutData struct {
	Name string
	URL  string
}
