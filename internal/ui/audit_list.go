package ui

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/kubu-gov/kubu/internal/audit"
	"github.com/kubu-gov/kubu/internal/authz"
	"github.com/kubu-gov/kubu/internal/registry"
	"github.com/kubu-gov/kubu/internal/web"
)

type auditData struct {
	Query      url.Values
	Code       string
	TargetType string
	TargetID   string
	Agency     string
	Before     int64 // the page shows entries older than this sequence number (0: the newest)
	Entries    []auditEntry
	Older      int64 // the "before" of the next page, 0 at the end
	Checkpoint *audit.Checkpoint

	Codes       []audit.Code
	TargetTypes []string
	Agencies    []registry.Agency // for the agency filter (wog-admin only)
}

// auditEntry is an audit record laid out for reading.
type auditEntry struct {
	audit.Record
	Agency        string // the agency's code
	Link          string // the page of the target, if it has one
	Before, After string // pretty-printed JSON
}

// auditTargetTypes are offered as suggestions in the target type filter.
var auditTargetTypes = []string{"agency", "system", "finding", "user", "api_token"}

func (u *ui) auditList(w http.ResponseWriter, r *http.Request) {
	ctx, a := r.Context(), web.ActorFrom(r.Context())
	q := r.URL.Query()
	d := auditData{Code: strings.TrimSpace(q.Get("code")), TargetType: strings.TrimSpace(q.Get("target_type")),
		TargetID: strings.TrimSpace(q.Get("target_id")), Agency: q.Get("agency"), Query: url.Values{},
		Codes: audit.Codes(), TargetTypes: auditTargetTypes}
	for _, k := range []string{"code", "target_type", "target_id", "agency"} {
		if v := strings.TrimSpace(q.Get(k)); v != "" {
			d.Query.Set(k, v)
		}
	}
	if s := q.Get("before"); s != "" {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil || n < 1 {
			redirect(w, r, "/audit"+queryWith(d.Query))
			return
		}
		d.Before = n
	}
	f := audit.Filter{Code: d.Code, TargetType: d.TargetType, TargetID: d.TargetID, BeforeSeq: d.Before, Limit: pageSize + 1}
	view, err := authz.AuditViewOf(a)
	if err != nil {
		u.fail(w, r, err)
		return
	}
	codes, err := u.Registry.AgencyCodes(ctx, a)
	if err != nil {
		u.fail(w, r, err)
		return
	}
	switch {
	case view.All:
		f.AllAgencies = true
		var unknown bool
		if d.Agencies, f.AgencyID, unknown, err = agencyFilter(ctx, u.Registry, a, authz.AuditRead, d.Agency); err != nil {
			u.fail(w, r, err)
			return
		}
		if d.Agency != "" {
			f.AllAgencies = false
		}
		if unknown {
			f.AgencyID = "-none-"
		}
		cps, err := u.Audit.Checkpoints(ctx)
		if err != nil {
			u.fail(w, r, err)
			return
		}
		if len(cps) > 0 {
			d.Checkpoint = &cps[len(cps)-1]
		}
	case !view.None():
		// An entry is visible with the visibility of what it is about.
		f.AgencyID, f.TargetTypes = view.AgencyID, view.TargetTypes
	default:
		web.NotFoundPage(w, r)
		return
	}
	recs, err := u.Audit.List(ctx, f)
	if err != nil {
		u.fail(w, r, err)
		return
	}
	if len(recs) > pageSize {
		recs = recs[:pageSize]
		d.Older = recs[pageSize-1].Seq
	}
	for _, rec := range recs {
		d.Entries = append(d.Entries, auditEntry{Record: rec, Agency: codes[rec.AgencyID], Link: targetLink(rec),
			Before: prettyJSON(rec.Before), After: prettyJSON(rec.After)})
	}
	u.render(w, r, http.StatusOK, "audit.html", page{Title: "Audit log", Data: d})
}

// targetLink is the page of an audit record's target, where kubu has one.
func targetLink(rec audit.Record) string {
	if rec.TargetID == "" {
		return ""
	}
	switch rec.TargetType {
	case "agency":
		return "/agencies/" + url.PathEscape(rec.TargetID)
	case "system":
		return "/systems/" + url.PathEscape(rec.TargetID)
	case "finding":
		return "/findings/" + url.PathEscape(rec.TargetID)
	}
	return ""
}

// prettyJSON indents a snapshot for reading ("" for none).
func prettyJSON(raw []byte) string {
	if len(raw) == 0 {
		return ""
	}
	var b bytes.Buffer
	if err := json.Indent(&b, raw, "", "  "); err != nil {
		return string(raw)
	}
	return b.String()
}
