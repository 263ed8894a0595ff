package ui

import (
	"errors"
	"net/http"

	"github.com/kubu-gov/kubu/internal/disclosure"
)

type registerData struct{ Email, Handle string }

func (c *community) registerForm(w http.ResponseWriter, r *http.Request) {
	c.render(w, r, http.StatusOK, "researcher_register.html", page{Title: "Register as a researcher", Data: registerData{}})
}

func (c *community) register(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 16<<10)
	in := disclosure.Registration{Email: r.PostFormValue("email"), Handle: r.PostFormValue("handle"), Password: r.PostFormValue("password")}
	d := registerData{Email: in.Email, Handle: in.Handle}
	if in.Password != r.PostFormValue("confirm_password") {
		c.render(w, r, http.StatusBadRequest, "researcher_register.html", page{Title: "Register as a researcher",
			Problems: []problem{{Anchor: "confirm_password", Label: "Confirm password", Message: "does not match the password"}}, Data: d})
		return
	}
	if err := c.Disclosure.Register(r.Context(), in); err != nil {
		c.formFail(w, r, err, "researcher_register.html", "", "handle", page{Title: "Register as a researcher", Data: d})
		return
	}
	c.render(w, r, http.StatusOK, "researcher_registered.html", page{Title: "Check your email", Data: d})
}

type verifyData struct{ Token string }

// verifyForm asks the person who opened the link to confirm with a
// button: a GET never changes anything (link scanners follow links).
func (c *community) verifyForm(w http.ResponseWriter, r *http.Request) {
	c.render(w, r, http.StatusOK, "researcher_verify.html", page{Title: "Verify your email address", Data: verifyData{Token: r.URL.Query().Get("token")}})
}

func (c *community) verify(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 4<<10)
	if _, err := c.Disclosure.Verify(r.Context(), r.PostFormValue("token")); err != nil {
		if errors.Is(err, disclosure.ErrBadVerification) {
			c.render(w, r, http.StatusBadRequest, "researcher_verify.html", page{Title: "Verify your email address", Error: capitalise(err.Error()) + "."})
			return
		}
		c.fail(w, r, err)
		return
	}
	c.render(w, r, http.StatusOK, "researcher_verified.html", page{Title: "Address verified"})
}
