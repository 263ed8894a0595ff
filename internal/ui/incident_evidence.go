package ui

import (
	"errors"
	"io"
	"mime"
	"net/http"
	"strconv"

	"github.com/kubu-gov/kubu/internal/authz"
	"github.com/kubu-gov/kubu/internal/evidence"
	"github.com/kubu-gov/kubu/internal/incident"
	"github.com/kubu-gov/kubu/internal/web"
)

// maxEvidenceUpload bounds an upload through the browser form (the API has
// resumable uploads for larger files).
const maxEvidenceUpload = 2 << 30

type incidentEvidenceData struct {
	Inc        incident.Incident
	Tabs       incidentTabs
	Items      []evidence.Item
	CanAdd     bool
	CanCustody bool
	Actions    []string
}

func (u *ui) evidencePage(r *http.Request) (*incidentEvidenceData, error) {
	ctx, a, id := r.Context(), web.ActorFrom(r.Context()), r.PathValue("id")
	inc, err := u.Incidents.Get(ctx, a, id)
	if err != nil {
		return nil, err
	}
	items, err := u.Evidence.List(ctx, a, id)
	if err != nil {
		return nil, err
	}
	res := authz.Record(inc.AgencyIDs...)
	return &incidentEvidenceData{Inc: inc, Tabs: u.tabs(id, "evidence"), Items: items, Actions: evidence.Actions,
		CanAdd: authz.Check(a, authz.EvidenceCreate, res) == nil, CanCustody: authz.Check(a, authz.EvidenceCustody, res) == nil}, nil
}

func (u *ui) incidentEvidence(w http.ResponseWriter, r *http.Request) {
	d, err := u.evidencePage(r)
	if err != nil {
		u.fail(w, r, err)
		return
	}
	u.render(w, r, http.StatusOK, "incident_evidence.html", page{Title: "Evidence: " + d.Inc.Title, Data: d})
}

// evidenceUpload takes the upload form (multipart: the fields, then the
// file) straight into the locker.
func (u *ui) evidenceUpload(w http.ResponseWriter, r *http.Request) {
	web.LongBody(w, r, web.StreamIdle)
	r.Body = http.MaxBytesReader(w, r.Body, maxEvidenceUpload)
	mr, err := r.MultipartReader()
	if err != nil {
		http.Error(w, "The form could not be read.", http.StatusBadRequest)
		return
	}
	it, err := u.Evidence.AddMultipart(r.Context(), web.ActorFrom(r.Context()), r.PathValue("id"), mr)
	if err != nil {
		d, derr := u.evidencePage(r)
		if derr != nil {
			u.fail(w, r, derr)
			return
		}
		u.formFail(w, r, err, "incident_evidence.html", "ev-", "file", page{Title: "Evidence: " + d.Inc.Title, Data: d})
		return
	}
	u.flash(r, "Evidence "+it.Name+" received; SHA-256 "+it.SHA256+".")
	redirect(w, r, "/incidents/"+r.PathValue("id")+"/evidence")
}

func (u *ui) evidenceCustody(w http.ResponseWriter, r *http.Request) {
	if !parseForm(w, r) {
		return
	}
	ctx, a, evID := r.Context(), web.ActorFrom(r.Context()), r.PathValue("id")
	it, err := u.Evidence.Get(ctx, a, evID)
	if err != nil {
		u.fail(w, r, err)
		return
	}
	in := evidence.CustodyInput{Action: r.PostFormValue("action"), Note: r.PostFormValue("note"), To: r.PostFormValue("to")}
	if _, err := u.Evidence.AddCustody(ctx, a, evID, in); err != nil {
		r.SetPathValue("id", it.IncidentID)
		d, derr := u.evidencePage(r)
		if derr != nil {
			u.fail(w, r, derr)
			return
		}
		u.formFail(w, r, err, "incident_evidence.html", "c-"+evID+"-", "action", page{Title: "Evidence: " + d.Inc.Title, Data: d})
		return
	}
	u.flash(r, "Custody entry recorded.")
	redirect(w, r, "/incidents/"+it.IncidentID+"/evidence#ev-"+evID)
}

// evidenceDownload sends the bytes after re-hashing them, with the reason
// recorded in the audit log.
func (u *ui) evidenceDownload(w http.ResponseWriter, r *http.Request) {
	reason := r.URL.Query().Get("reason")
	if reason == "" {
		u.render(w, r, http.StatusBadRequest, "error.html", page{Title: "A reason is needed", Error: "Say why you download the evidence: the reason is recorded in the audit log."})
		return
	}
	it, rc, err := u.Evidence.Open(r.Context(), web.ActorFrom(r.Context()), r.PathValue("id"), reason)
	if errors.Is(err, evidence.ErrIntegrity) {
		u.render(w, r, http.StatusConflict, "error.html", page{Title: "Integrity check failed",
			Error: "The stored evidence is not what was received. Nothing was sent; the failure is recorded in the audit log. Restore the object from a backup."})
		return
	}
	if err != nil {
		u.fail(w, r, err)
		return
	}
	defer rc.Close()
	w.Header().Set("Content-Type", "application/octet-stream")
	w.Header().Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": it.Name}))
	w.Header().Set("Content-Length", strconv.FormatInt(it.Size, 10))
	w.Header().Set("Cache-Control", "no-store")
	if _, err := io.Copy(web.LongResponse(w, web.StreamIdle), rc); err != nil {
		panic(http.ErrAbortHandler)
	}
}

func (u *ui) evidenceBundle(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	z := &lazyDownload{w: w, out: web.LongResponse(w, web.StreamIdle), ctype: "application/zip", name: "incident-" + id + "-bundle.zip"}
	if _, err := u.Evidence.ExportBundle(r.Context(), web.ActorFrom(r.Context()), id, z); err != nil {
		if z.started {
			panic(http.ErrAbortHandler)
		}
		if errors.Is(err, evidence.ErrIntegrity) {
			u.render(w, r, http.StatusConflict, "error.html", page{Title: "Integrity check failed",
				Error: "An evidence file is not what was received, so no bundle was made. The failure is recorded in the audit log."})
			return
		}
		u.fail(w, r, err)
	}
}

// lazyDownload sets download headers at the first byte, so an error found
// before then can still answer a page.
type lazyDownload struct {
	w           http.ResponseWriter
	out         io.Writer // w, with the write deadline moving forward
	ctype, name string
	started     bool
}

func (z *lazyDownload) Write(p []byte) (int, error) {
	if !z.started {
		z.started = true
		z.w.Header().Set("Content-Type", z.ctype)
		z.w.Header().Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": z.name}))
		z.w.Header().Set("Cache-Control", "no-store")
		z.w.WriteHeader(http.StatusOK)
	}
	return z.out.Write(p)
}
