package api

import (
	"errors"
	"io"
	"mime"
	"net/http"
	"strconv"

	"github.com/kubu-gov/kubu/internal/authz"
	"github.com/kubu-gov/kubu/internal/evidence"
	"github.com/kubu-gov/kubu/internal/web"
)

// registerEvidence adds the evidence locker (contract §8).
func registerEvidence(rt *web.Router, a *api) {
	if a.Evidence == nil {
		return
	}
	rt.Handle(web.API, "GET /api/v1/incidents/{id}/evidence", authz.EvidenceRead, a.listEvidence)
	rt.Handle(web.API, "POST /api/v1/incidents/{id}/evidence", authz.EvidenceCreate, a.addEvidence)
	rt.Handle(web.API, "GET /api/v1/incidents/{id}/bundle", authz.EvidenceRead, a.exportBundle)
	rt.Handle(web.API, "GET /api/v1/evidence/{id}", authz.EvidenceRead, a.getEvidence)
	rt.Handle(web.API, "GET /api/v1/evidence/{id}/content", authz.EvidenceRead, a.evidenceContent)
	rt.Handle(web.API, "POST /api/v1/evidence/{id}/custody", authz.EvidenceCustody, a.addCustody)
	registerEvidenceUploads(rt, a)
}

// evidenceError maps the locker's errors: stored bytes that are not what
// was received answer 409 integrity_failed.
func evidenceError(err error) error {
	if errors.Is(err, evidence.ErrIntegrity) {
		return &web.BadRequestError{Status: http.StatusConflict, Code: "integrity_failed",
			Message: "the stored evidence is not what was received; the failure has been recorded in the audit log"}
	}
	return err
}

func (a *api) listEvidence(w http.ResponseWriter, r *http.Request) {
	items, err := a.Evidence.List(r.Context(), web.ActorFrom(r.Context()), r.PathValue("id"))
	write(w, r, http.StatusOK, map[string]any{"items": items}, err)
}

func (a *api) addEvidence(w http.ResponseWriter, r *http.Request) {
	web.LongBody(w, r, web.StreamIdle)
	mr, err := r.MultipartReader()
	if err != nil {
		web.WriteError(w, r, web.BadRequest("bad_multipart", "send multipart/form-data with the fields, then the part named file"))
		return
	}
	it, err := a.Evidence.AddMultipart(r.Context(), web.ActorFrom(r.Context()), r.PathValue("id"), mr)
	write(w, r, http.StatusCreated, it, err)
}

func (a *api) getEvidence(w http.ResponseWriter, r *http.Request) {
	it, err := a.Evidence.Get(r.Context(), web.ActorFrom(r.Context()), r.PathValue("id"))
	write(w, r, http.StatusOK, it, err)
}

func (a *api) evidenceContent(w http.ResponseWriter, r *http.Request) {
	it, rc, err := a.Evidence.Open(r.Context(), web.ActorFrom(r.Context()), r.PathValue("id"), r.URL.Query().Get("reason"))
	if err != nil {
		web.WriteError(w, r, evidenceError(err))
		return
	}
	defer rc.Close()
	w.Header().Set("Content-Type", "application/octet-stream")
	w.Header().Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": it.Name}))
	w.Header().Set("Content-Length", strconv.FormatInt(it.Size, 10))
	w.Header().Set("X-Content-SHA256", it.SHA256)
	w.Header().Set("Cache-Control", "no-store")
	if _, err := io.Copy(web.LongResponse(w, web.StreamIdle), rc); err != nil {
		// The bytes went wrong while streaming (checked again as they go):
		// the failure is audited; the client sees a cut connection.
		panic(http.ErrAbortHandler)
	}
}

func (a *api) addCustody(w http.ResponseWriter, r *http.Request) {
	var in evidence.CustodyInput
	if err := web.DecodeJSON(w, r, &in); err != nil {
		web.WriteError(w, r, err)
		return
	}
	c, err := a.Evidence.AddCustody(r.Context(), web.ActorFrom(r.Context()), r.PathValue("id"), in)
	write(w, r, http.StatusCreated, c, err)
}

// lazyZip sets the zip headers at the first byte, so an error found before
// anything is written still answers JSON.
type lazyZip struct {
	w       http.ResponseWriter
	out     io.Writer // w, with the write deadline moving forward
	name    string
	started bool
}

func (z *lazyZip) Write(p []byte) (int, error) {
	if !z.started {
		z.started = true
		z.w.Header().Set("Content-Type", "application/zip")
		z.w.Header().Set("Content-Disposition", `attachment; filename="`+z.name+`"`)
		z.w.Header().Set("Cache-Control", "no-store")
		z.w.WriteHeader(http.StatusOK)
	}
	return z.out.Write(p)
}

func (a *api) exportBundle(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	z := &lazyZip{w: w, out: web.LongResponse(w, web.StreamIdle), name: "incident-" + id + "-bundle.zip"}
	if _, err := a.Evidence.ExportBundle(r.Context(), web.ActorFrom(r.Context()), id, z); err != nil {
		if !z.started {
			web.WriteError(w, r, evidenceError(err))
			return
		}
		panic(http.ErrAbortHandler) // a cut download, never a valid-looking partial zip
	}
}
