package ui

import (
	"encoding/json"
	"errors"
	"net/http"

	"github.com/kubu-gov/kubu/internal/accounts"
	"github.com/kubu-gov/kubu/internal/authz"
	"github.com/kubu-gov/kubu/internal/oidc"
	"github.com/kubu-gov/kubu/internal/ratelimit"
	"github.com/kubu-gov/kubu/internal/web"
)

// Single sign-on paths: the start, and where the identity provider sends
// the browser back (register BASE_URL + OIDCCallbackPath there).
const (
	OIDCStartPath    = "/login/oidc"
	OIDCCallbackPath = "/login/oidc/callback"
)

// Session keys of single sign-on.
const (
	sessOIDCPending = "oidc_pending"  // the sign-in on its way to the provider (oidc.Pending as JSON)
	sessOIDCIDToken = "oidc_id_token" // the ID token, as id_token_hint at sign-out
)

// OIDCDeps configure staff single sign-on.
type OIDCDeps struct {
	Client  *oidc.Client
	Mapping oidc.Mapping // claims → role and agency for accounts made at first sign-in
	Name    string       // on the sign-in button: "Sign in with NAME"
	// AfterLogout is where the provider sends the browser after signing it
	// out (BASE_URL/login); empty leaves it to the provider.
	AfterLogout string
}

func (u *ui) registerOIDC(rt *web.Router) {
	if u.OIDC == nil {
		return
	}
	rt.Handle(web.UI, "GET "+OIDCStartPath, authz.Public, u.oidcStart)
	rt.Handle(web.UI, "GET "+OIDCCallbackPath, authz.Public, u.oidcCallback)
}

// ssoName is the provider's name for the sign-in page ("" when off).
func (u *ui) ssoName() string {
	if u.OIDC == nil {
		return ""
	}
	return u.OIDC.Name
}

func (u *ui) ssoFailed(w http.ResponseWriter, r *http.Request, msg string) {
	u.render(w, r, http.StatusUnauthorized, "login.html", page{Title: "Sign in", Error: msg, Data: loginData{SSOName: u.ssoName(), Passkeys: u.Accounts.PasskeysOn()}})
}

// oidcStart sends the browser to the identity provider, keeping state,
// nonce and the PKCE verifier in the session.
func (u *ui) oidcStart(w http.ResponseWriter, r *http.Request) {
	pend, to, err := u.OIDC.Client.Begin(r.Context(), localPath(r.URL.Query().Get("next")))
	if err != nil {
		u.Log.Error("single sign-on", "err", err)
		u.ssoFailed(w, r, "Single sign-on is not available now. Try again later.")
		return
	}
	b, _ := json.Marshal(pend)
	if err := u.Auth.Sessions.RenewToken(r.Context()); err != nil {
		u.fail(w, r, err)
		return
	}
	u.Auth.Sessions.Put(r.Context(), sessOIDCPending, string(b))
	http.Redirect(w, r, to, http.StatusSeeOther)
}

// oidcCallback finishes the sign-in the provider sends back: the pending
// sign-in is taken out of the session first, so a callback works once.
func (u *ui) oidcCallback(w http.ResponseWriter, r *http.Request) {
	var pend oidc.Pending
	if raw := u.Auth.Sessions.PopString(r.Context(), sessOIDCPending); raw != "" {
		json.Unmarshal([]byte(raw), &pend)
	}
	id, err := u.OIDC.Client.Finish(r.Context(), pend, r.URL.Query())
	if err != nil {
		u.Log.Warn("single sign-on refused", "err", err)
		msg := "Your organisation's sign-in could not be verified, so you are not signed in. Start again."
		switch {
		case errors.Is(err, oidc.ErrState), errors.Is(err, oidc.ErrExpired), errors.Is(err, oidc.ErrDenied):
			msg = capitalise(err.Error()) + "."
		case !errors.Is(err, oidc.ErrToken) && !errors.Is(err, oidc.ErrNonce):
			msg = "Single sign-on is not available now. Try again later."
		}
		u.ssoFailed(w, r, msg)
		return
	}
	x := accounts.ExternalIdentity{Issuer: id.Issuer, Subject: id.Subject, Email: id.Email, EmailVerified: id.EmailVerified, Name: id.Name}
	if role, agency, _, ok := u.OIDC.Mapping.Map(id.Claims); ok {
		x.Role, x.Agency = authz.Role(role), agency
	}
	user, err := u.Accounts.SignInExternal(r.Context(), x)
	if err != nil {
		known := []error{accounts.ErrNoExternalAccount, accounts.ErrUnverifiedEmail, accounts.ErrExternalNotStaff, accounts.ErrExternalDisabled}
		for _, k := range known {
			if errors.Is(err, k) {
				u.ssoFailed(w, r, capitalise(err.Error())+".")
				return
			}
		}
		u.Log.Error("single sign-on", "err", err)
		u.ssoFailed(w, r, "Sign-in failed. Try again later.")
		return
	}
	client := ratelimit.ClientAddr(r, u.TrustProxy)
	notice, err := u.Accounts.CompleteLogin(r.Context(), user, "oidc", client)
	if err != nil {
		u.fail(w, r, err)
		return
	}
	// The identity provider is the second factor's keeper: kubu's TOTP is
	// not asked for on top.
	if err := u.Auth.SignIn(r.Context(), user, false); err != nil {
		u.fail(w, r, err)
		return
	}
	u.Auth.Sessions.Put(r.Context(), sessOIDCIDToken, id.IDToken)
	if msg := notice.Message(); msg != "" {
		u.flash(r, msg)
	}
	http.Redirect(w, r, localPath(pend.Next), http.StatusSeeOther)
}

// oidcLogoutURL is where to send a browser signing out of a session made
// by single sign-on ("" when none or the provider has no end-session
// endpoint). Call it before the session is destroyed.
func (u *ui) oidcLogoutURL(r *http.Request) string {
	if u.OIDC == nil {
		return ""
	}
	tok := u.Auth.Sessions.GetString(r.Context(), sessOIDCIDToken)
	if tok == "" {
		return ""
	}
	return u.OIDC.Client.LogoutURL(r.Context(), tok, u.OIDC.AfterLogout)
}
