package ui

import (
	"encoding/json"
	"errors"
	"net/http"

	"github.com/go-webauthn/webauthn/webauthn"

	"github.com/kubu-gov/kubu/internal/accounts"
	"github.com/kubu-gov/kubu/internal/authz"
	"github.com/kubu-gov/kubu/internal/ratelimit"
	"github.com/kubu-gov/kubu/internal/validate"
	"github.com/kubu-gov/kubu/internal/web"
)

// Passkey pages and the JSON steps their script (static/passkeys.js)
// calls: the browser's WebAuthn API needs script, so these pages say so
// when it is missing, and the password sign-in keeps working without it.
const (
	PasskeysPath        = "/account/passkeys"
	passkeyLoginPath    = "/login/passkey"
	sessPasskeyRegister = "passkey_register" // webauthn.SessionData of a registration under way
	sessPasskeyLogin    = "passkey_login"    // webauthn.SessionData of a sign-in under way
)

func (u *ui) registerPasskeys(rt *web.Router) {
	rt.Handle(web.UI, "GET "+PasskeysPath, authz.SignedIn, u.passkeyList)
	rt.Handle(web.UI, "POST "+PasskeysPath+"/options", authz.SignedIn, u.passkeyRegisterOptions)
	rt.Handle(web.UI, "POST "+PasskeysPath, authz.SignedIn, u.passkeyRegister)
	rt.Handle(web.UI, "POST "+PasskeysPath+"/{id}/remove", authz.SignedIn, u.passkeyRemove)
	rt.Handle(web.UI, "POST "+passkeyLoginPath+"/options", authz.Public, u.passkeyLoginOptions)
	rt.Handle(web.UI, "POST "+passkeyLoginPath, authz.Public, u.passkeyLogin)
}

type passkeysData struct {
	Passkeys []accounts.Passkey
	On       bool
}

func (u *ui) passkeyList(w http.ResponseWriter, r *http.Request) {
	keys, err := u.Accounts.Passkeys(r.Context(), web.ActorFrom(r.Context()))
	if err != nil {
		u.fail(w, r, err)
		return
	}
	u.render(w, r, http.StatusOK, "passkeys.html", page{Title: "Passkeys", Data: passkeysData{Passkeys: keys, On: u.Accounts.PasskeysOn()}})
}

// jsonError answers the script with a message it shows.
func scriptError(w http.ResponseWriter, status int, msg string) {
	web.WriteJSON(w, status, map[string]string{"error": msg})
}

func (u *ui) putCeremony(r *http.Request, key string, sess *webauthn.SessionData) {
	b, _ := json.Marshal(sess)
	u.Auth.Sessions.Put(r.Context(), key, string(b))
}

// popCeremony takes the ceremony's session data out of the session: each
// challenge is answered once.
func (u *ui) popCeremony(r *http.Request, key string) (webauthn.SessionData, bool) {
	var sess webauthn.SessionData
	raw := u.Auth.Sessions.PopString(r.Context(), key)
	if raw == "" || json.Unmarshal([]byte(raw), &sess) != nil {
		return sess, false
	}
	return sess, true
}

func (u *ui) passkeyRegisterOptions(w http.ResponseWriter, r *http.Request) {
	opts, sess, err := u.Accounts.BeginPasskeyRegistration(r.Context(), web.ActorFrom(r.Context()))
	var verr validate.Errors
	switch {
	case errors.Is(err, accounts.ErrPasskeysOff):
		scriptError(w, http.StatusNotFound, capitalise(err.Error())+".")
		return
	case errors.As(err, &verr):
		scriptError(w, http.StatusBadRequest, capitalise(verr.Error())+".")
		return
	case err != nil:
		u.Log.Error("passkey registration", "err", err)
		scriptError(w, http.StatusInternalServerError, "Something went wrong. Try again later.")
		return
	}
	u.putCeremony(r, sessPasskeyRegister, sess)
	web.WriteJSON(w, http.StatusOK, opts)
}

func (u *ui) passkeyRegister(w http.ResponseWriter, r *http.Request) {
	sess, ok := u.popCeremony(r, sessPasskeyRegister)
	if !ok {
		scriptError(w, http.StatusBadRequest, "Start again: the registration was not begun here or has ended.")
		return
	}
	p, err := u.Accounts.FinishPasskeyRegistration(r.Context(), web.ActorFrom(r.Context()), sess, r.URL.Query().Get("name"), r.Body)
	var verr validate.Errors
	switch {
	case errors.As(err, &verr):
		scriptError(w, http.StatusBadRequest, capitalise(verr.Error())+".")
		return
	case errors.Is(err, accounts.ErrPasskeyFailed):
		u.Log.Info("passkey registration refused", "err", err)
		scriptError(w, http.StatusBadRequest, "Your browser's answer did not check out, so no passkey was added. Try again.")
		return
	case err != nil:
		u.Log.Error("passkey registration", "err", err)
		scriptError(w, http.StatusInternalServerError, "Something went wrong. Try again later.")
		return
	}
	u.flash(r, "Passkey “"+p.Name+"” added. You can sign in with it instead of your password.")
	web.WriteJSON(w, http.StatusCreated, p)
}

func (u *ui) passkeyRemove(w http.ResponseWriter, r *http.Request) {
	err := u.Accounts.RemovePasskey(r.Context(), web.ActorFrom(r.Context()), r.PathValue("id"))
	if errors.Is(err, authz.ErrNotFound) {
		web.NotFoundPage(w, r)
		return
	}
	if err != nil {
		u.fail(w, r, err)
		return
	}
	u.flash(r, "Passkey removed.")
	http.Redirect(w, r, PasskeysPath, http.StatusSeeOther)
}

func (u *ui) passkeyLoginOptions(w http.ResponseWriter, r *http.Request) {
	opts, sess, err := u.Accounts.BeginPasskeyLogin()
	if errors.Is(err, accounts.ErrPasskeysOff) {
		scriptError(w, http.StatusNotFound, capitalise(err.Error())+".")
		return
	}
	if err != nil {
		u.Log.Error("passkey sign-in", "err", err)
		scriptError(w, http.StatusInternalServerError, "Something went wrong. Try again later.")
		return
	}
	u.putCeremony(r, sessPasskeyLogin, sess)
	web.WriteJSON(w, http.StatusOK, opts)
}

// passkeyLogin signs in with a passkey: the account's password and TOTP
// are not asked for (the passkey with its PIN or biometric is both
// factors).
func (u *ui) passkeyLogin(w http.ResponseWriter, r *http.Request) {
	sess, ok := u.popCeremony(r, sessPasskeyLogin)
	if !ok {
		scriptError(w, http.StatusBadRequest, "Start again: the sign-in was not begun here or has ended.")
		return
	}
	client := ratelimit.ClientAddr(r, u.TrustProxy)
	user, err := u.Accounts.FinishPasskeyLogin(r.Context(), sess, r.Body, client)
	switch {
	case errors.Is(err, accounts.ErrPasskeyCloned), errors.Is(err, accounts.ErrUseSSO):
		scriptError(w, http.StatusUnauthorized, capitalise(err.Error())+".")
		return
	case errors.Is(err, accounts.ErrPasskeyFailed):
		scriptError(w, http.StatusUnauthorized, "That passkey did not sign you in. Use another, or your password.")
		return
	case err != nil:
		u.Log.Error("passkey sign-in", "err", err)
		scriptError(w, http.StatusInternalServerError, "Sign-in failed. Try again later.")
		return
	}
	notice, err := u.Accounts.CompleteLogin(r.Context(), user, "passkey", client)
	if err == nil {
		err = u.Auth.SignIn(r.Context(), user, false)
	}
	if err != nil {
		u.Log.Error("passkey sign-in", "err", err)
		scriptError(w, http.StatusInternalServerError, "Sign-in failed. Try again later.")
		return
	}
	if msg := notice.Message(); msg != "" {
		u.flash(r, msg)
	}
	web.WriteJSON(w, http.StatusOK, map[string]string{"redirect": localPath(r.URL.Query().Get("next"))})
}
