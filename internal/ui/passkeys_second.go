package ui

import (
	"errors"
	"net/http"

	"github.com/kubu-gov/kubu/internal/accounts"
	"github.com/kubu-gov/kubu/internal/authz"
	"github.com/kubu-gov/kubu/internal/ratelimit"
	"github.com/kubu-gov/kubu/internal/web"
)

// A passkey as the second factor: after the right password, an account
// with passkeys is asked for one (or, when it has TOTP too, may give the
// code instead).
const (
	secondFactorPath     = "/login/second"
	sessPasskeySecond    = "passkey_second" // webauthn.SessionData of a second step under way
	secondFactorTemplate = "login_second.html"
)

func (u *ui) registerPasskeySecond(rt *web.Router) {
	rt.Handle(web.UI, "GET "+secondFactorPath, authz.Public, u.secondFactorForm)
	rt.Handle(web.UI, "POST "+secondFactorPath+"/options", authz.Public, u.secondFactorOptions)
	rt.Handle(web.UI, "POST "+secondFactorPath, authz.Public, u.secondFactor)
}

type secondFactorData struct {
	Next string
	TOTP bool
}

func (u *ui) secondFactorForm(w http.ResponseWriter, r *http.Request) {
	user, ok := u.Auth.PendingUser(r.Context())
	if !ok {
		http.Redirect(w, r, "/login", http.StatusSeeOther)
		return
	}
	u.render(w, r, http.StatusOK, secondFactorTemplate, page{Title: "Use your passkey",
		Data: secondFactorData{Next: localPath(r.URL.Query().Get("next")), TOTP: user.TOTPEnabled}})
}

func (u *ui) secondFactorOptions(w http.ResponseWriter, r *http.Request) {
	user, ok := u.Auth.PendingUser(r.Context())
	if !ok {
		scriptError(w, http.StatusUnauthorized, "Sign in with your password first.")
		return
	}
	opts, sess, err := u.Accounts.BeginPasskeySecondFactor(r.Context(), user)
	if err != nil {
		u.Log.Error("passkey second factor", "err", err)
		scriptError(w, http.StatusBadRequest, "Passkeys cannot be used now. Use your authenticator app code, or try again later.")
		return
	}
	u.putCeremony(r, sessPasskeySecond, sess)
	web.WriteJSON(w, http.StatusOK, opts)
}

func (u *ui) secondFactor(w http.ResponseWriter, r *http.Request) {
	user, ok := u.Auth.PendingUser(r.Context())
	if !ok {
		scriptError(w, http.StatusUnauthorized, "Sign in with your password first.")
		return
	}
	sess, ok := u.popCeremony(r, sessPasskeySecond)
	if !ok {
		scriptError(w, http.StatusBadRequest, "Start again: the passkey step was not begun here or has ended.")
		return
	}
	client := ratelimit.ClientAddr(r, u.TrustProxy)
	err := u.Accounts.FinishPasskeySecondFactor(r.Context(), user, sess, r.Body, client)
	switch {
	case errors.Is(err, accounts.ErrPasskeyCloned), errors.Is(err, accounts.ErrUseSSO):
		scriptError(w, http.StatusUnauthorized, capitalise(err.Error())+".")
		return
	case errors.Is(err, accounts.ErrPasskeyFailed):
		scriptError(w, http.StatusUnauthorized, "That passkey did not sign you in. Use another one of yours.")
		return
	case err != nil:
		u.Log.Error("passkey second factor", "err", err)
		scriptError(w, http.StatusInternalServerError, "Sign-in failed. Try again later.")
		return
	}
	notice, err := u.Accounts.CompleteLogin(r.Context(), user, "password+passkey", client)
	if err == nil {
		err = u.Auth.SignIn(r.Context(), user, false)
	}
	if err != nil {
		u.Log.Error("passkey second factor", "err", err)
		scriptError(w, http.StatusInternalServerError, "Sign-in failed. Try again later.")
		return
	}
	if msg := notice.Message(); msg != "" {
		u.flash(r, msg)
	}
	web.WriteJSON(w, http.StatusOK, map[string]string{"redirect": localPath(r.URL.Query().Get("next"))})
}
