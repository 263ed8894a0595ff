package api

import (
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/kubu-gov/kubu/internal/authz"
	"github.com/kubu-gov/kubu/internal/evidence"
	"github.com/kubu-gov/kubu/internal/web"
)

// Resumable evidence uploads, in the manner of tus 1.0 (creation, core,
// termination): begin with the metadata, PATCH the bytes at the offset the
// upload is at (a dropped connection keeps what arrived; ask for the offset
// and go on from there), then finish, which records the evidence item as
// the multipart upload does. Only the user who began an upload sees it.
func registerEvidenceUploads(rt *web.Router, a *api) {
	rt.Handle(web.API, "POST /api/v1/incidents/{id}/uploads", authz.EvidenceCreate, a.beginUpload)
	rt.Handle(web.API, "GET /api/v1/uploads/{id}", authz.EvidenceCreate, a.uploadOffset)
	rt.Handle(web.API, "PATCH /api/v1/uploads/{id}", authz.EvidenceCreate, a.appendUpload)
	rt.Handle(web.API, "POST /api/v1/uploads/{id}/finish", authz.EvidenceCreate, a.finishUpload)
	rt.Handle(web.API, "DELETE /api/v1/uploads/{id}", authz.EvidenceCreate, a.abortUpload)
}

// uploadOffsetHeader is tus's header for where an upload stands.
const uploadOffsetHeader = "Upload-Offset"

type uploadBegin struct {
	Name         string     `json:"name"`
	ContentType  string     `json:"content_type"`
	Description  string     `json:"description"`
	CollectedAt  *time.Time `json:"collected_at"`
	CollectedBy  string     `json:"collected_by"`
	SourceSystem string     `json:"source_system"`
	Method       string     `json:"method"`
	Length       int64      `json:"length"` // total bytes when known; 0 or absent: unknown
}

func (a *api) beginUpload(w http.ResponseWriter, r *http.Request) {
	var in uploadBegin
	if err := web.DecodeJSON(w, r, &in); err != nil {
		web.WriteError(w, r, err)
		return
	}
	if in.Length < 0 {
		web.WriteError(w, r, web.BadRequest("invalid", "length must not be negative (0 or absent: not known yet)"))
		return
	}
	up, err := a.Evidence.BeginUpload(r.Context(), web.ActorFrom(r.Context()), r.PathValue("id"), evidence.Intake{
		Name: in.Name, ContentType: in.ContentType, Description: in.Description, CollectedAt: in.CollectedAt,
		CollectedBy: in.CollectedBy, SourceSystem: in.SourceSystem, Method: in.Method}, in.Length)
	if err == nil {
		w.Header().Set("Location", "/api/v1/uploads/"+up.ID)
		w.Header().Set(uploadOffsetHeader, "0")
	}
	write(w, r, http.StatusCreated, up, err)
}

func (a *api) uploadOffset(w http.ResponseWriter, r *http.Request) {
	up, err := a.Evidence.UploadOffset(r.Context(), web.ActorFrom(r.Context()), r.PathValue("id"))
	if err == nil {
		w.Header().Set(uploadOffsetHeader, strconv.FormatInt(up.Offset, 10))
		w.Header().Set("Cache-Control", "no-store")
	}
	write(w, r, http.StatusOK, up, err)
}

// appendUpload takes the bytes at Upload-Offset. The body is streamed to
// the store (it may take longer than the server's request timeouts); the
// answer is 204 with the new offset, or 409 offset_mismatch with the
// upload's offset when the client is behind or ahead.
func (a *api) appendUpload(w http.ResponseWriter, r *http.Request) {
	web.LongBody(w, r, web.StreamIdle)
	offset, err := strconv.ParseInt(r.Header.Get(uploadOffsetHeader), 10, 64)
	if err != nil || offset < 0 {
		web.WriteError(w, r, web.BadRequest("bad_offset", "send the Upload-Offset header: the offset these bytes start at (GET the upload for it)"))
		return
	}
	if ct := r.Header.Get("Content-Type"); ct != "application/offset+octet-stream" && ct != "application/octet-stream" {
		web.WriteError(w, r, &web.BadRequestError{Status: http.StatusUnsupportedMediaType, Code: "unsupported_media_type",
			Message: "send the bytes as application/offset+octet-stream"})
		return
	}
	ctx, actor, id := r.Context(), web.ActorFrom(r.Context()), r.PathValue("id")
	n, err := a.Evidence.AppendUpload(ctx, actor, id, offset, r.Body)
	if errors.Is(err, evidence.ErrUploadOffset) {
		w.Header().Set(uploadOffsetHeader, strconv.FormatInt(n, 10))
		web.WriteError(w, r, &web.BadRequestError{Status: http.StatusConflict, Code: "offset_mismatch", Message: err.Error()})
		return
	}
	if err != nil {
		web.WriteError(w, r, err)
		return
	}
	w.Header().Set(uploadOffsetHeader, strconv.FormatInt(n, 10))
	w.WriteHeader(http.StatusNoContent)
}

func (a *api) finishUpload(w http.ResponseWriter, r *http.Request) {
	it, err := a.Evidence.FinishUpload(r.Context(), web.ActorFrom(r.Context()), r.PathValue("id"))
	write(w, r, http.StatusCreated, it, evidenceError(err))
}

func (a *api) abortUpload(w http.ResponseWriter, r *http.Request) {
	if err := a.Evidence.AbortUpload(r.Context(), web.ActorFrom(r.Context()), r.PathValue("id")); err != nil {
		web.WriteError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
