package ui

import (
	"errors"
	"net/http"

	"github.com/kubu-gov/kubu/internal/accounts"
	"github.com/kubu-gov/kubu/internal/authz"
	"github.com/kubu-gov/kubu/internal/ratelimit"
	"github.com/kubu-gov/kubu/internal/web"
)

// The password reset pages: ask for a link by email, then choose a new
// password on the page the link opens. The first answers the same
// whether or not the address has an account; the link works once, for an
// hour, and using it signs the account out everywhere.

func (u *ui) registerPasswordReset(rt *web.Router) {
	rt.Handle(web.UI, "GET "+accounts.ForgotPath, authz.Public, u.forgotForm)
	rt.Handle(web.UI, "POST "+accounts.ForgotPath, authz.Public, u.emailLimit(u.forgot))
	rt.Handle(web.UI, "GET "+accounts.ResetPath, authz.Public, u.resetForm)
	rt.Handle(web.UI, "POST "+accounts.ResetPath, authz.Public, u.emailLimit(u.reset))
}

// emailLimit applies the public-write limits (per address and overall)
// to pages that send email or check a secret.
func (u *ui) emailLimit(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if ok, wait := u.Limits.CheckSubmit(r); !ok {
			w.Header().Set("Retry-After", ratelimit.RetryAfter(wait))
			u.render(w, r, http.StatusTooManyRequests, "error.html", page{Title: "Too many requests",
				Error: "You have sent too many requests. Please wait a minute and try again."})
			return
		}
		h(w, r)
	}
}

// linkRequestData is the form that asks for an emailed link: a password
// reset, or (Resend) a new verification link after registering.
type linkRequestData struct {
	Email  string
	Resend bool
	Sent   bool
}

func (u *ui) forgotForm(w http.ResponseWriter, r *http.Request) {
	u.render(w, r, http.StatusOK, "link_request.html", page{Title: "Forgotten your password?", Data: linkRequestData{}})
}

func (u *ui) forgot(w http.ResponseWriter, r *http.Request) { u.requestLink(w, r, linkRequestData{}) }

// requestLink sends the link and answers "check your email", the same
// for every address.
func (u *ui) requestLink(w http.ResponseWriter, r *http.Request, d linkRequestData) {
	r.Body = http.MaxBytesReader(w, r.Body, 4<<10)
	d.Email = r.PostFormValue("email")
	title := "Forgotten your password?"
	if d.Resend {
		title = "Send the link again"
	}
	if err := u.Accounts.RequestLink(r.Context(), d.Email); err != nil {
		u.formFail(w, r, err, "link_request.html", "", "email", page{Title: title, Data: d})
		return
	}
	d.Sent = true
	u.render(w, r, http.StatusOK, "link_request.html", page{Title: "Check your email", Data: d})
}

type resetData struct {
	Token string
	Email string
	Bad   bool // the link cannot be used
	Done  bool
}

// resetForm shows the form for a new password: a GET never uses the link
// (mail scanners follow links).
func (u *ui) resetForm(w http.ResponseWriter, r *http.Request) {
	token := r.URL.Query().Get("token")
	st, err := u.Accounts.CheckLink(r.Context(), accounts.PurposeReset, token)
	if errors.Is(err, accounts.ErrBadLink) {
		u.render(w, r, http.StatusBadRequest, "password_reset.html", page{Title: "Choose a new password", Data: resetData{Bad: true}})
		return
	}
	if err != nil {
		u.fail(w, r, err)
		return
	}
	u.render(w, r, http.StatusOK, "password_reset.html", page{Title: "Choose a new password", Data: resetData{Token: token, Email: st.Email}})
}

func (u *ui) reset(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 4<<10)
	token, pw := r.PostFormValue("token"), r.PostFormValue("password")
	st, err := u.Accounts.CheckLink(r.Context(), accounts.PurposeReset, token)
	bad := page{Title: "Choose a new password", Data: resetData{Bad: true}}
	if errors.Is(err, accounts.ErrBadLink) {
		u.render(w, r, http.StatusBadRequest, "password_reset.html", bad)
		return
	}
	if err != nil {
		u.fail(w, r, err)
		return
	}
	p := page{Title: "Choose a new password", Data: resetData{Token: token, Email: st.Email}}
	if pw != r.PostFormValue("confirm_password") {
		p.Problems = []problem{{Anchor: "confirm_password", Label: "Confirm password", Message: "does not match the password"}}
		u.render(w, r, http.StatusBadRequest, "password_reset.html", p)
		return
	}
	revoke := r.PostFormValue("revoke_tokens") == "yes"
	_, err = u.Accounts.UseLink(r.Context(), accounts.LinkUse{Purpose: accounts.PurposeReset, Token: token, Password: pw, RevokeTokens: revoke})
	if errors.Is(err, accounts.ErrBadLink) {
		u.render(w, r, http.StatusBadRequest, "password_reset.html", bad)
		return
	}
	if err != nil {
		u.formFail(w, r, err, "password_reset.html", "", "password", p)
		return
	}
	u.render(w, r, http.StatusOK, "password_reset.html", page{Title: "Password changed", Data: resetData{Done: true}})
}
