package api

import (
	"net/http"
	"strconv"

	"github.com/kubu-gov/kubu/internal/disclosure"
	"github.com/kubu-gov/kubu/internal/web"
)

func (a *api) listReports(w http.ResponseWriter, r *http.Request) {
	limit, cursor, err := listParams(r)
	if err != nil {
		web.WriteError(w, r, err)
		return
	}
	q := r.URL.Query()
	f := disclosure.ReportFilter{ProgrammeID: q.Get("programme"), SystemID: q.Get("system"), Statuses: multi(r, "status"),
		Severities: multi(r, "severity"), Query: q.Get("q"), Cursor: cursor, Limit: limit}
	if s := q.Get("overdue"); s != "" {
		b, err := strconv.ParseBool(s)
		if err != nil {
			web.WriteError(w, r, web.BadRequest("invalid", "overdue must be true or false"))
			return
		}
		f.Overdue = b
	}
	if code := q.Get("agency"); code != "" {
		ag, err := a.Registry.AgencyByCode(r.Context(), web.ActorFrom(r.Context()), code)
		if err != nil {
			web.WriteJSON(w, http.StatusOK, map[string]any{"items": []any{}})
			return
		}
		f.AgencyID = ag.ID
	}
	page, err := a.Disclosure.ListReports(r.Context(), web.ActorFrom(r.Context()), f)
	if err != nil {
		web.WriteError(w, r, err)
		return
	}
	web.WriteJSON(w, http.StatusOK, page)
}

func (a *api) submitReport(w http.ResponseWriter, r *http.Request) {
	in, err := readNewReport(w, r)
	if err != nil {
		web.WriteError(w, r, err)
		return
	}
	rc, err := a.Disclosure.Submit(r.Context(), web.ActorFrom(r.Context()), in)
	if err != nil {
		web.WriteError(w, r, err)
		return
	}
	rep, err := a.Disclosure.Report(r.Context(), web.ActorFrom(r.Context()), rc.TrackingID)
	if err != nil {
		web.WriteError(w, r, err)
		return
	}
	web.WriteJSON(w, http.StatusCreated, rep)
}

func (a *api) getReport(w http.ResponseWriter, r *http.Request) {
	rep, err := a.Disclosure.Report(r.Context(), web.ActorFrom(r.Context()), r.PathValue("id"))
	if err != nil {
		web.WriteError(w, r, err)
		return
	}
	web.WriteJSON(w, http.StatusOK, rep)
}

func (a *api) triageReport(w http.ResponseWriter, r *http.Request) {
	var u disclosure.TriageUpdate
	if err := web.DecodeJSON(w, r, &u); err != nil {
		web.WriteError(w, r, err)
		return
	}
	rep, err := a.Disclosure.UpdateTriage(r.Context(), web.ActorFrom(r.Context()), r.PathValue("id"), u)
	if err != nil {
		web.WriteError(w, r, err)
		return
	}
	web.WriteJSON(w, http.StatusOK, rep)
}

func (a *api) transitionReport(w http.ResponseWriter, r *http.Request) {
	var t disclosure.Transition
	if err := web.DecodeJSON(w, r, &t); err != nil {
		web.WriteError(w, r, err)
		return
	}
	rep, err := a.Disclosure.Transition(r.Context(), web.ActorFrom(r.Context()), r.PathValue("id"), t)
	if err != nil {
		web.WriteError(w, r, err)
		return
	}
	web.WriteJSON(w, http.StatusOK, rep)
}

func (a *api) reportSeverity(w http.ResponseWriter, r *http.Request) {
	var c disclosure.SeverityChange
	if err := web.DecodeJSON(w, r, &c); err != nil {
		web.WriteError(w, r, err)
		return
	}
	rep, err := a.Disclosure.SetSeverity(r.Context(), web.ActorFrom(r.Context()), r.PathValue("id"), c)
	if err != nil {
		web.WriteError(w, r, err)
		return
	}
	web.WriteJSON(w, http.StatusOK, rep)
}

func (a *api) reportMessages(w http.ResponseWriter, r *http.Request) {
	msgs, err := a.Disclosure.Messages(r.Context(), web.ActorFrom(r.Context()), r.PathValue("id"))
	if err != nil {
		web.WriteError(w, r, err)
		return
	}
	web.WriteJSON(w, http.StatusOK, map[string]any{"items": msgs})
}

func (a *api) addReportMessage(w http.ResponseWriter, r *http.Request) {
	actor := web.ActorFrom(r.Context())
	if _, err := a.Disclosure.Report(r.Context(), actor, r.PathValue("id")); err != nil {
		web.WriteError(w, r, err)
		return
	}
	b, ups, err := readMessage(w, r)
	if err != nil {
		web.WriteError(w, r, err)
		return
	}
	m, err := a.Disclosure.AddMessage(r.Context(), actor, r.PathValue("id"), b.Body, b.Internal, ups)
	if err != nil {
		web.WriteError(w, r, err)
		return
	}
	web.WriteJSON(w, http.StatusCreated, m)
}

func (a *api) addReportAttachments(w http.ResponseWriter, r *http.Request) {
	actor := web.ActorFrom(r.Context())
	if _, err := a.Disclosure.Report(r.Context(), actor, r.PathValue("id")); err != nil {
		web.WriteError(w, r, err)
		return
	}
	if !isMultipart(r) {
		web.WriteError(w, r, &web.BadRequestError{Status: http.StatusUnsupportedMediaType, Code: "unsupported_media_type", Message: "send multipart/form-data with files named attachments"})
		return
	}
	ups, err := readMultipart(w, r)
	if err != nil {
		web.WriteError(w, r, err)
		return
	}
	atts, err := a.Disclosure.AddAttachments(r.Context(), actor, r.PathValue("id"), ups)
	if err != nil {
		web.WriteError(w, r, err)
		return
	}
	web.WriteJSON(w, http.StatusCreated, map[string]any{"items": atts})
}

func (a *api) reportAttachment(w http.ResponseWriter, r *http.Request) {
	at, data, err := a.Disclosure.Attachment(r.Context(), web.ActorFrom(r.Context()), r.PathValue("id"), r.PathValue("attachment_id"))
	if err != nil {
		web.WriteError(w, r, err)
		return
	}
	web.ServeDownload(w, disclosure.SafeFilename(at.Filename), data)
}

func (a *api) reportDuplicates(w http.ResponseWriter, r *http.Request) {
	list, err := a.Disclosure.Duplicates(r.Context(), web.ActorFrom(r.Context()), r.PathValue("id"))
	if err != nil {
		web.WriteError(w, r, err)
		return
	}
	web.WriteJSON(w, http.StatusOK, map[string]any{"items": list})
}

func (a *api) reportDisclosure(w http.ResponseWriter, r *http.Request) {
	var c disclosure.DisclosureChange
	if err := web.DecodeJSON(w, r, &c); err != nil {
		web.WriteError(w, r, err)
		return
	}
	rep, err := a.Disclosure.SetDisclosure(r.Context(), web.ActorFrom(r.Context()), r.PathValue("id"), c)
	if err != nil {
		web.WriteError(w, r, err)
		return
	}
	web.WriteJSON(w, http.StatusOK, rep)
}

func (a *api) proposeReward(w http.ResponseWriter, r *http.Request) {
	var p disclosure.RewardProposal
	if err := web.DecodeJSON(w, r, &p); err != nil {
		web.WriteError(w, r, err)
		return
	}
	rw, err := a.Disclosure.ProposeReward(r.Context(), web.ActorFrom(r.Context()), r.PathValue("id"), p)
	if err != nil {
		disclosureError(w, r, err)
		return
	}
	web.WriteJSON(w, http.StatusCreated, rw)
}
