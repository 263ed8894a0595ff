package api

import (
	"errors"
	"net/http"

	"github.com/kubu-gov/kubu/internal/accounts"
	"github.com/kubu-gov/kubu/internal/web"
)

// requestPasswordReset emails a password reset link (or a new
// verification link for an unfinished registration) to the address. The
// answer is the same whether or not the address has an account.
func (a *api) requestPasswordReset(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Email string `json:"email"`
	}
	if err := web.DecodeJSON(w, r, &in); err != nil {
		web.WriteError(w, r, err)
		return
	}
	if err := a.Accounts.RequestLink(r.Context(), in.Email); err != nil {
		web.WriteError(w, r, err)
		return
	}
	web.WriteJSON(w, http.StatusAccepted, map[string]string{"status": "if the address has an account, a link to choose a new password is on its way"})
}

// confirmPasswordReset sets a new password with the token of an emailed
// reset link. Every session of the account ends; revoke_tokens also
// revokes its API tokens.
func (a *api) confirmPasswordReset(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Token        string `json:"token"`
		Password     string `json:"password"`
		RevokeTokens bool   `json:"revoke_tokens"`
	}
	if err := web.DecodeJSON(w, r, &in); err != nil {
		web.WriteError(w, r, err)
		return
	}
	_, err := a.Accounts.UseLink(r.Context(), accounts.LinkUse{Purpose: accounts.PurposeReset, Token: in.Token, Password: in.Password, RevokeTokens: in.RevokeTokens})
	if errors.Is(err, accounts.ErrBadLink) {
		err = web.BadRequest("invalid_token", "%s", err.Error())
	}
	if err != nil {
		web.WriteError(w, r, err)
		return
	}
	web.WriteJSON(w, http.StatusOK, map[string]string{"status": "password changed; sign in with the new password"})
}
