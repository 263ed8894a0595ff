package ui

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/kubu-gov/kubu/internal/accounts"
	"github.com/kubu-gov/kubu/internal/web"
)

// accountData is the account page, with what was typed into the token
// form when it comes back with a problem (never the passwords).
type accountData struct {
	User      accounts.User
	Tokens    []tokenRow
	TokenName string
	TokenDays string
}

// tokenRow is an API token with its state for people.
type tokenRow struct {
	Token accounts.Token
	State string // "active", "expired" or "revoked"
}

// tokenCreated is the page that shows a new token's secret, once.
type tokenCreated struct {
	Token  accounts.Token
	Secret string
}

// defaultTokenDays is the expiry offered for a new API token.
const defaultTokenDays = 90

func (u *ui) accountPage(r *http.Request) (*accountData, error) {
	ctx, a := r.Context(), web.ActorFrom(r.Context())
	usr, err := u.Accounts.User(ctx, a, a.UserID)
	if err != nil {
		return nil, err
	}
	toks, err := u.Accounts.Tokens(ctx, a, a.UserID)
	if err != nil {
		return nil, err
	}
	d := &accountData{User: usr, TokenDays: strconv.Itoa(defaultTokenDays)}
	now := time.Now()
	for _, t := range toks {
		st := "active"
		switch {
		case t.RevokedAt != nil:
			st = "revoked"
		case t.ExpiresAt != nil && !t.ExpiresAt.After(now):
			st = "expired"
		}
		d.Tokens = append(d.Tokens, tokenRow{Token: t, State: st})
	}
	return d, nil
}

func (u *ui) account(w http.ResponseWriter, r *http.Request) {
	d, err := u.accountPage(r)
	if err != nil {
		u.fail(w, r, err)
		return
	}
	u.render(w, r, http.StatusOK, "account.html", page{Title: "Your account", Data: d})
}

func (u *ui) accountPassword(w http.ResponseWriter, r *http.Request) {
	if !parseForm(w, r) {
		return
	}
	d, err := u.accountPage(r)
	if err != nil {
		u.fail(w, r, err)
		return
	}
	p := page{Title: "Your account", Data: d}
	next := r.PostFormValue("new_password")
	if next != r.PostFormValue("confirm_password") {
		p.Problems = []problem{{Anchor: "confirm_password", Label: fieldLabel("confirm_password"), Message: "must match the new password"}}
		u.render(w, r, http.StatusBadRequest, "account.html", p)
		return
	}
	revoke := r.PostFormValue("revoke_tokens") == "yes"
	usr, err := u.Accounts.ChangePassword(r.Context(), web.ActorFrom(r.Context()),
		accounts.PasswordChange{Current: r.PostFormValue("current_password"), New: next, RevokeTokens: revoke})
	if err != nil {
		u.formFail(w, r, err, "account.html", "", "new_password", p)
		return
	}
	// Every other session of the account ended; this one goes on.
	if err := u.Auth.KeepSession(r.Context(), usr); err != nil {
		u.fail(w, r, err)
		return
	}
	msg := "Your password has been changed and you were signed out everywhere else."
	if revoke {
		msg += " Your API tokens were revoked."
	}
	u.flash(r, msg)
	redirect(w, r, "/account")
}

func (u *ui) tokenCreate(w http.ResponseWriter, r *http.Request) {
	if !parseForm(w, r) {
		return
	}
	d, err := u.accountPage(r)
	if err != nil {
		u.fail(w, r, err)
		return
	}
	d.TokenName, d.TokenDays = r.PostFormValue("name"), strings.TrimSpace(r.PostFormValue("days"))
	p := page{Title: "Your account", Data: d}
	days, err := strconv.Atoi(d.TokenDays)
	if err != nil || days < 1 || days > int(accounts.MaxTokenTTL/(24*time.Hour)) {
		p.Problems = []problem{{Anchor: "token-days", Label: "Expires in", Message: "must be a number of days from 1 to 366"}}
		u.render(w, r, http.StatusBadRequest, "account.html", p)
		return
	}
	a := web.ActorFrom(r.Context())
	secret, tok, err := u.Accounts.CreateToken(r.Context(), a, a.UserID, d.TokenName, time.Duration(days)*24*time.Hour)
	if err != nil {
		u.formFail(w, r, err, "account.html", "token-", "name", p)
		return
	}
	// The secret is shown on the answer to this POST and nowhere else: it
	// is not kept in the session for a redirect.
	u.render(w, r, http.StatusCreated, "token_created.html", page{Title: "Your new API token", Data: tokenCreated{Token: tok, Secret: secret}})
}

func (u *ui) tokenRevoke(w http.ResponseWriter, r *http.Request) {
	a := web.ActorFrom(r.Context())
	id := r.PathValue("id")
	toks, err := u.Accounts.Tokens(r.Context(), a, a.UserID)
	if err != nil {
		u.fail(w, r, err)
		return
	}
	name := ""
	for _, t := range toks {
		if t.ID == id {
			name = t.Name
		}
	}
	if name == "" { // only your own tokens, from this page
		web.NotFoundPage(w, r)
		return
	}
	if err := u.Accounts.RevokeToken(r.Context(), a, id); err != nil {
		u.fail(w, r, err)
		return
	}
	u.flash(r, "API token “"+name+"” revoked.")
	redirect(w, r, "/account")
}
