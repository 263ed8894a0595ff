package ui

import (
	"errors"
	"net/http"
	"net/url"

	"github.com/kubu-gov/kubu/internal/authz"
	"github.com/kubu-gov/kubu/internal/registry"
	"github.com/kubu-gov/kubu/internal/store"
	"github.com/kubu-gov/kubu/internal/web"
)

type systemListData struct {
	Query         url.Values // the filters, kept in the pagination links
	Agency        string     // agency code filter
	AssetType     string
	Criticality   string
	Text          string
	Sort          string
	Cursor        string
	Page          store.Page[registry.System]
	Agencies      []registry.Agency // for the agency filter (central roles only)
	AssetTypes    []string
	Criticalities []string
	CanCreate     bool
	UnknownAgency bool
}

func (u *ui) systemList(w http.ResponseWriter, r *http.Request) {
	ctx, a := r.Context(), web.ActorFrom(r.Context())
	q := r.URL.Query()
	d := systemListData{Agency: q.Get("agency"), AssetType: q.Get("asset_type"), Criticality: q.Get("criticality"),
		Text: q.Get("q"), Sort: q.Get("sort"), Cursor: q.Get("cursor"),
		AssetTypes: registry.AssetTypes, Criticalities: registry.Criticalities,
		CanCreate: authz.Check(a, authz.SystemCreate, authz.Collection()) == nil}
	if d.Sort != "-created" {
		d.Sort = ""
	}
	d.Query = url.Values{}
	for _, k := range []string{"agency", "asset_type", "criticality", "q", "sort"} {
		if v := q.Get(k); v != "" {
			d.Query.Set(k, v)
		}
	}
	f := registry.SystemFilter{AssetType: d.AssetType, Criticality: d.Criticality, Query: d.Text, Sort: d.Sort, Cursor: d.Cursor, Limit: pageSize}
	var err error
	if d.Agencies, f.AgencyID, d.UnknownAgency, err = agencyFilter(ctx, u.Registry, a, authz.SystemRead, d.Agency); err != nil {
		u.fail(w, r, err)
		return
	}
	if !d.UnknownAgency {
		page, err := u.Registry.ListSystems(ctx, a, f)
		if errors.Is(err, store.ErrBadCursor) {
			redirect(w, r, "/systems"+queryWith(d.Query))
			return
		}
		if err != nil {
			u.fail(w, r, err)
			return
		}
		d.Page = page
	}
	u.render(w, r, http.StatusOK, "systems.html", page{Title: "Systems", Data: d})
}
