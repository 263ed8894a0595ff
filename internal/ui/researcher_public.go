package ui

import (
	"errors"
	"net/http"

	"github.com/kubu-gov/kubu/internal/accounts"
	"github.com/kubu-gov/kubu/internal/disclosure"
)

type registerData struct{ Email, Handle string }

func (c *community) registerForm(w http.ResponseWriter, r *http.Request) {
	c.render(w, r, http.StatusOK, "researcher_register.html", page{Title: "Register as a researcher", Data: registerData{}})
}

// register takes an address and a handle only: the password is chosen
// when the emailed link is opened. The answer is the same whether or not
// the address has an account.
func (c *community) register(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 16<<10)
	in := disclosure.Registration{Email: r.PostFormValue("email"), Handle: r.PostFormValue("handle")}
	d := registerData{Email: in.Email, Handle: in.Handle}
	if err := c.Disclosure.Register(r.Context(), in); err != nil {
		c.formFail(w, r, err, "researcher_register.html", "", "handle", page{Title: "Register as a researcher", Data: d})
		return
	}
	c.render(w, r, http.StatusOK, "researcher_registered.html", page{Title: "Check your email", Data: d})
}

type verifyData struct {
	Token, Email  string
	NeedsPassword bool
	Bad           bool // the link cannot be used
}

// verifyForm shows what the link will do and asks for the password: a GET
// never uses the link (mail scanners follow links).
func (c *community) verifyForm(w http.ResponseWriter, r *http.Request) {
	token := r.URL.Query().Get("token")
	st, err := c.Accounts.CheckLink(r.Context(), accounts.PurposeVerify, token)
	if errors.Is(err, accounts.ErrBadLink) {
		c.render(w, r, http.StatusBadRequest, "researcher_verify.html", page{Title: "Verify your email address", Data: verifyData{Bad: true}})
		return
	}
	if err != nil {
		c.fail(w, r, err)
		return
	}
	c.render(w, r, http.StatusOK, "researcher_verify.html", page{Title: "Verify your email address",
		Data: verifyData{Token: token, Email: st.Email, NeedsPassword: st.NeedsPassword}})
}

func (c *community) verify(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 4<<10)
	token, pw := r.PostFormValue("token"), r.PostFormValue("password")
	st, err := c.Accounts.CheckLink(r.Context(), accounts.PurposeVerify, token)
	if errors.Is(err, accounts.ErrBadLink) {
		c.render(w, r, http.StatusBadRequest, "researcher_verify.html", page{Title: "Verify your email address",
			Error: capitalise(err.Error()) + ".", Data: verifyData{Bad: true}})
		return
	}
	if err != nil {
		c.fail(w, r, err)
		return
	}
	d := verifyData{Token: token, Email: st.Email, NeedsPassword: st.NeedsPassword}
	if pw != r.PostFormValue("confirm_password") {
		c.render(w, r, http.StatusBadRequest, "researcher_verify.html", page{Title: "Verify your email address",
			Problems: []problem{{Anchor: "confirm_password", Label: "Confirm password", Message: "does not match the password"}}, Data: d})
		return
	}
	if _, err := c.Disclosure.Verify(r.Context(), token, pw); err != nil {
		if errors.Is(err, disclosure.ErrBadVerification) {
			c.render(w, r, http.StatusBadRequest, "researcher_verify.html", page{Title: "Verify your email address",
				Error: capitalise(err.Error()) + ".", Data: verifyData{Bad: true}})
			return
		}
		c.formFail(w, r, err, "researcher_verify.html", "", "password", page{Title: "Verify your email address", Data: d})
		return
	}
	c.render(w, r, http.StatusOK, "researcher_verified.html", page{Title: "Address verified"})
}

// resendForm asks for the address to send a new verification link to.
func (c *community) resendForm(w http.ResponseWriter, r *http.Request) {
	c.render(w, r, http.StatusOK, "link_request.html", page{Title: "Send the link again", Data: linkRequestData{Resend: true}})
}

func (c *community) resend(w http.ResponseWriter, r *http.Request) {
	c.requestLink(w, r, linkRequestData{Resend: true})
}
