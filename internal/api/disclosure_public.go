package api

import (
	"errors"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/kubu-gov/kubu/internal/authz"
	"github.com/kubu-gov/kubu/internal/disclosure"
	"github.com/kubu-gov/kubu/internal/validate"
	"github.com/kubu-gov/kubu/internal/web"
)

// reportBody is a submission as JSON.
type reportBody struct {
	Programme     string `json:"programme"`
	SystemID      string `json:"system_id"`
	Title         string `json:"title"`
	Description   string `json:"description"`
	Steps         string `json:"steps"`
	Impact        string `json:"impact"`
	AffectedURL   string `json:"affected_url"`
	Parameter     string `json:"parameter"`
	AssetType     string `json:"asset_type"`
	CWE           *int   `json:"cwe"`
	CVSSVector    string `json:"cvss_vector"`
	Severity      string `json:"severity"`
	ReporterEmail string `json:"reporter_email"`
}

func (b reportBody) report() disclosure.NewReport {
	return disclosure.NewReport{Programme: b.Programme, SystemID: b.SystemID, Title: b.Title, Description: b.Description,
		Steps: b.Steps, Impact: b.Impact, AffectedURL: b.AffectedURL, Parameter: b.Parameter, AssetType: b.AssetType,
		CWE: b.CWE, CVSSVector: b.CVSSVector, Severity: b.Severity, ReporterEmail: b.ReporterEmail}
}

// maxMultipart bounds a multipart body: the files plus room for the text.
const maxMultipart = disclosure.MaxUploads*disclosure.MaxAttachment + 2<<20

func isMultipart(r *http.Request) bool {
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	return mt == "multipart/form-data"
}

// readMultipart parses a multipart body and returns its files (field
// "attachments", repeatable).
func readMultipart(w http.ResponseWriter, r *http.Request) ([]disclosure.Upload, error) {
	r.Body = http.MaxBytesReader(w, r.Body, maxMultipart)
	if err := r.ParseMultipartForm(4 << 20); err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return nil, err
		}
		return nil, web.BadRequest("bad_multipart", "the multipart body could not be read")
	}
	files := r.MultipartForm.File["attachments"]
	if len(files) > disclosure.MaxUploads {
		return nil, validate.Errors{{Field: "attachments", Message: "at most " + strconv.Itoa(disclosure.MaxUploads) + " files at a time"}}
	}
	var ups []disclosure.Upload
	for _, fh := range files {
		f, err := fh.Open()
		if err != nil {
			return nil, web.BadRequest("bad_multipart", "a file could not be read")
		}
		data, err := io.ReadAll(io.LimitReader(f, disclosure.MaxAttachment+1))
		f.Close()
		if err != nil {
			return nil, web.BadRequest("bad_multipart", "a file could not be read")
		}
		ups = append(ups, disclosure.Upload{Filename: fh.Filename, Data: data})
	}
	return ups, nil
}

// readNewReport reads a submission sent as JSON or as multipart form data
// (text fields plus files named "attachments").
func readNewReport(w http.ResponseWriter, r *http.Request) (disclosure.NewReport, error) {
	if !isMultipart(r) {
		var b reportBody
		if err := web.DecodeJSON(w, r, &b); err != nil {
			return disclosure.NewReport{}, err
		}
		return b.report(), nil
	}
	ups, err := readMultipart(w, r)
	if err != nil {
		return disclosure.NewReport{}, err
	}
	f := r.MultipartForm.Value
	get := func(k string) string {
		if v := f[k]; len(v) > 0 {
			return v[0]
		}
		return ""
	}
	b := reportBody{Programme: get("programme"), SystemID: get("system_id"), Title: get("title"), Description: get("description"),
		Steps: get("steps"), Impact: get("impact"), AffectedURL: get("affected_url"), Parameter: get("parameter"),
		AssetType: get("asset_type"), CVSSVector: get("cvss_vector"), Severity: get("severity"), ReporterEmail: get("reporter_email")}
	if s := strings.TrimSpace(get("cwe")); s != "" {
		n, err := strconv.Atoi(strings.TrimPrefix(strings.ToUpper(s), "CWE-"))
		if err != nil {
			return disclosure.NewReport{}, validate.Errors{{Field: "cwe", Message: "must be a CWE number"}}
		}
		b.CWE = &n
	}
	in := b.report()
	in.Uploads = ups
	return in, nil
}

func (a *api) publicSubmit(w http.ResponseWriter, r *http.Request) {
	in, err := readNewReport(w, r)
	if err != nil {
		web.WriteError(w, r, err)
		return
	}
	rc, err := a.Disclosure.Submit(r.Context(), authz.Anonymous, in)
	if err != nil {
		web.WriteError(w, r, err)
		return
	}
	web.WriteJSON(w, http.StatusCreated, map[string]string{"tracking_id": rc.TrackingID, "token": rc.Token})
}

// publicView is the reporter's view of a report with its thread.
type publicView struct {
	disclosure.Report
	Messages []disclosure.Message `json:"messages"`
}

func (a *api) publicReport(w http.ResponseWriter, r *http.Request) {
	ctx, id, tok := r.Context(), r.PathValue("tracking_id"), publicToken(r)
	rep, err := a.Disclosure.PublicReport(ctx, id, tok)
	if err != nil {
		web.WriteError(w, r, err)
		return
	}
	msgs, err := a.Disclosure.PublicMessages(ctx, id, tok)
	if err != nil {
		web.WriteError(w, r, err)
		return
	}
	web.WriteJSON(w, http.StatusOK, publicView{Report: rep, Messages: msgs})
}

type messageBody struct {
	Body     string `json:"body"`
	Internal bool   `json:"internal"`
}

// readMessage reads a message as JSON ({"body"}) or multipart ("body"
// plus files named "attachments").
func readMessage(w http.ResponseWriter, r *http.Request) (messageBody, []disclosure.Upload, error) {
	var b messageBody
	if !isMultipart(r) {
		err := web.DecodeJSON(w, r, &b)
		return b, nil, err
	}
	ups, err := readMultipart(w, r)
	if err != nil {
		return b, nil, err
	}
	form := url.Values(r.MultipartForm.Value)
	b.Body = form.Get("body")
	b.Internal = form.Get("internal") == "true"
	return b, ups, nil
}

func (a *api) publicReply(w http.ResponseWriter, r *http.Request) {
	// Check the token before reading a large body.
	if _, err := a.Disclosure.PublicReport(r.Context(), r.PathValue("tracking_id"), publicToken(r)); err != nil {
		web.WriteError(w, r, err)
		return
	}
	b, ups, err := readMessage(w, r)
	if err != nil {
		web.WriteError(w, r, err)
		return
	}
	m, err := a.Disclosure.PublicReply(r.Context(), r.PathValue("tracking_id"), publicToken(r), b.Body, ups)
	if err != nil {
		web.WriteError(w, r, err)
		return
	}
	web.WriteJSON(w, http.StatusCreated, m)
}

func (a *api) publicRotate(w http.ResponseWriter, r *http.Request) {
	tok, err := a.Disclosure.RotateToken(r.Context(), r.PathValue("tracking_id"), publicToken(r))
	if err != nil {
		web.WriteError(w, r, err)
		return
	}
	web.WriteJSON(w, http.StatusOK, map[string]string{"tracking_id": r.PathValue("tracking_id"), "token": tok})
}

func (a *api) publicDisclosure(w http.ResponseWriter, r *http.Request) {
	var b struct {
		Consent bool `json:"consent"`
	}
	if _, err := a.Disclosure.PublicReport(r.Context(), r.PathValue("tracking_id"), publicToken(r)); err != nil {
		web.WriteError(w, r, err)
		return
	}
	if err := web.DecodeJSON(w, r, &b); err != nil {
		web.WriteError(w, r, err)
		return
	}
	if err := a.Disclosure.PublicSetDisclosure(r.Context(), r.PathValue("tracking_id"), publicToken(r), b.Consent); err != nil {
		web.WriteError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (a *api) publicAttachment(w http.ResponseWriter, r *http.Request) {
	at, data, err := a.Disclosure.PublicAttachment(r.Context(), r.PathValue("tracking_id"), publicToken(r), r.PathValue("attachment_id"))
	if err != nil {
		web.WriteError(w, r, err)
		return
	}
	web.ServeDownload(w, disclosure.SafeFilename(at.Filename), data)
}

func (a *api) publicStats(w http.ResponseWriter, r *http.Request) {
	m, err := a.Disclosure.PublicStats(r.Context())
	if err != nil {
		web.WriteError(w, r, err)
		return
	}
	web.WriteJSON(w, http.StatusOK, m)
}

func (a *api) publicDisclosures(w http.ResponseWriter, r *http.Request) {
	list, err := a.Disclosure.Disclosures(r.Context())
	if err != nil {
		web.WriteError(w, r, err)
		return
	}
	web.WriteJSON(w, http.StatusOK, map[string]any{"items": list})
}

func (a *api) publicProgrammes(w http.ResponseWriter, r *http.Request) {
	list, err := a.Disclosure.ListProgrammes(r.Context(), authz.Anonymous)
	if err != nil {
		web.WriteError(w, r, err)
		return
	}
	web.WriteJSON(w, http.StatusOK, map[string]any{"items": list})
}

func (a *api) register(w http.ResponseWriter, r *http.Request) {
	var in disclosure.Registration
	if err := web.DecodeJSON(w, r, &in); err != nil {
		web.WriteError(w, r, err)
		return
	}
	if err := a.Disclosure.Register(r.Context(), in); err != nil {
		web.WriteError(w, r, err)
		return
	}
	web.WriteJSON(w, http.StatusAccepted, map[string]string{"status": "check your email to verify your address"})
}

func (a *api) verify(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Token    string `json:"token"`
		Password string `json:"password"`
	}
	if err := web.DecodeJSON(w, r, &in); err != nil {
		web.WriteError(w, r, err)
		return
	}
	rs, err := a.Disclosure.Verify(r.Context(), in.Token, in.Password)
	if err != nil {
		disclosureError(w, r, err)
		return
	}
	web.WriteJSON(w, http.StatusOK, rs)
}
