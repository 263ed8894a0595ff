package ui

import (
	"errors"
	"net/http"
	"net/url"

	"github.com/kubu-gov/kubu/internal/accounts"
	"github.com/kubu-gov/kubu/internal/authz"
	"github.com/kubu-gov/kubu/internal/registry"
	"github.com/kubu-gov/kubu/internal/store"
	"github.com/kubu-gov/kubu/internal/web"
)

type userListData struct {
	Query     url.Values
	Agency    string
	Agencies  []registry.Agency // for the agency filter (wog-admin only)
	Rows      []userRow
	Next      string
	Cursor    string
	CanCreate bool
}

// userRow is an account and what the caller may do to it.
type userRow struct {
	User      accounts.User
	CanManage bool
	IsSelf    bool
	Roles     []authz.Role // the roles this account may be given (none: no role change)
}

func (u *ui) userList(w http.ResponseWriter, r *http.Request) {
	ctx, a := r.Context(), web.ActorFrom(r.Context())
	q := r.URL.Query()
	d := userListData{Agency: q.Get("agency"), Cursor: q.Get("cursor"), Query: url.Values{},
		CanCreate: authz.Check(a, authz.UserManage, authz.Collection()) == nil}
	agencyID := ""
	if authz.ScopeOf(a, authz.UserRead).All {
		var unknown bool
		var err error
		if d.Agencies, agencyID, unknown, err = agencyFilter(ctx, u.Registry, a, authz.UserRead, d.Agency); err != nil {
			u.fail(w, r, err)
			return
		}
		if d.Agency != "" {
			d.Query.Set("agency", d.Agency)
		}
		if unknown {
			agencyID = "-none-"
		}
	}
	res, err := u.Accounts.ListUsers(ctx, a, agencyID, pageSize, d.Cursor)
	if errors.Is(err, store.ErrBadCursor) {
		redirect(w, r, "/users"+queryWith(d.Query))
		return
	}
	if err != nil {
		u.fail(w, r, err)
		return
	}
	d.Next = res.NextCursor
	for _, usr := range res.Items {
		d.Rows = append(d.Rows, userRow{User: usr, IsSelf: usr.ID == a.UserID,
			CanManage: authz.Check(a, authz.UserManage, authz.Record(usr.AgencyID)) == nil, Roles: accounts.RoleChoices(a, usr)})
	}
	u.render(w, r, http.StatusOK, "users.html", page{Title: "People", Data: d})
}
