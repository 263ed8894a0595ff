package ui

import (
	"net/http"

	"github.com/kubu-gov/kubu/internal/web"
)

// registerPages adds the pages of the shared model.
func (u *ui) registerPages(rt *web.Router) {}

func (u *ui) home(w http.ResponseWriter, r *http.Request) {
	u.render(w, r, http.StatusOK, "home.html", page{Title: "Home"})
}
