package ui

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/kubu-gov/kubu/internal/authz"
	"github.com/kubu-gov/kubu/internal/disclosure"
	"github.com/kubu-gov/kubu/internal/web"
)

// defaultSafeHarbour is the VDP's safe-harbour text when none is
// configured.
const defaultSafeHarbour = `If you act in good faith under this policy — you test only what you need to show the problem,
do not access, change, keep or share personal data beyond that, do not disrupt services, and give us reasonable time to
fix the issue before telling anyone else — we will not pursue or support legal action against you for your research,
and we will say so if anyone else does.`

// vdpForm is the public report form's values.
type vdpForm struct {
	Title, AffectedURL, Description, Steps, Impact, CWE, CVSSVector, ReporterEmail string
}

type vdpPolicyData struct {
	Programme   disclosure.Programme
	SafeHarbour string
	Form        vdpForm
	MaxFiles    int
	MaxMiB      int
}

func (c *community) vdpPage(w http.ResponseWriter, r *http.Request, status int, p page, f vdpForm) {
	prog, err := c.Disclosure.Programme(r.Context(), authz.Anonymous, disclosure.VDPSlug)
	if err != nil {
		c.fail(w, r, err)
		return
	}
	sh := c.SafeHarbour
	if sh == "" {
		sh = defaultSafeHarbour
	}
	p.Title = "Report a vulnerability"
	p.Data = vdpPolicyData{Programme: prog, SafeHarbour: sh, Form: f, MaxFiles: disclosure.MaxUploads, MaxMiB: disclosure.MaxAttachment >> 20}
	c.render(w, r, status, "vdp_policy.html", p)
}

func (c *community) vdpPolicy(w http.ResponseWriter, r *http.Request) {
	c.vdpPage(w, r, http.StatusOK, page{}, vdpForm{CVSSVector: r.URL.Query().Get("cvss_vector")})
}

// readUploads reads the files of a multipart form's "attachments" field.
func readUploads(w http.ResponseWriter, r *http.Request) ([]disclosure.Upload, error) {
	r.Body = http.MaxBytesReader(w, r.Body, disclosure.MaxUploads*disclosure.MaxAttachment+2<<20)
	if err := r.ParseMultipartForm(4 << 20); err != nil && !errors.Is(err, http.ErrNotMultipart) {
		return nil, err
	}
	if r.MultipartForm == nil {
		return nil, nil
	}
	var ups []disclosure.Upload
	for _, fh := range r.MultipartForm.File["attachments"] {
		if fh.Size == 0 && fh.Filename == "" {
			continue // the browser's empty file input
		}
		f, err := fh.Open()
		if err != nil {
			return nil, err
		}
		data, err := io.ReadAll(io.LimitReader(f, disclosure.MaxAttachment+1))
		f.Close()
		if err != nil {
			return nil, err
		}
		ups = append(ups, disclosure.Upload{Filename: fh.Filename, Data: data})
	}
	return ups, nil
}

func formCWE(s string) (*int, bool) {
	s = strings.TrimSpace(strings.TrimPrefix(strings.ToUpper(strings.TrimSpace(s)), "CWE-"))
	if s == "" {
		return nil, true
	}
	n, err := strconv.Atoi(s)
	if err != nil {
		return nil, false
	}
	return &n, true
}

func (c *community) vdpSubmit(w http.ResponseWriter, r *http.Request) {
	ups, err := readUploads(w, r)
	if err != nil {
		c.vdpPage(w, r, http.StatusBadRequest, page{Error: "The form could not be read. Attachments may be too large."}, vdpForm{})
		return
	}
	f := vdpForm{Title: r.FormValue("title"), AffectedURL: r.FormValue("affected_url"), Description: r.FormValue("description"),
		Steps: r.FormValue("steps"), Impact: r.FormValue("impact"), CWE: r.FormValue("cwe"), CVSSVector: r.FormValue("cvss_vector"),
		ReporterEmail: r.FormValue("reporter_email")}
	cwe, ok := formCWE(f.CWE)
	if !ok {
		c.vdpPage(w, r, http.StatusBadRequest, page{Problems: []problem{{Anchor: "cwe", Label: "CWE", Message: "must be a number such as 79 or CWE-79"}}}, f)
		return
	}
	rc, err := c.Disclosure.Submit(r.Context(), authz.Anonymous, disclosure.NewReport{Title: f.Title, AffectedURL: f.AffectedURL,
		Description: f.Description, Steps: f.Steps, Impact: f.Impact, CWE: cwe, CVSSVector: strings.TrimSpace(f.CVSSVector),
		ReporterEmail: f.ReporterEmail, Uploads: ups})
	if err != nil {
		probs, ok := problemsOf(err, "", "title")
		if !ok {
			c.fail(w, r, err)
			return
		}
		c.vdpPage(w, r, http.StatusBadRequest, page{Problems: probs}, f)
		return
	}
	c.setTrack(w, r, rc.TrackingID, rc.Token)
	c.render(w, r, http.StatusCreated, "vdp_receipt.html", page{Title: "Report received", Data: rc})
}

// The reporter's browser keeps the follow-up token in a cookie scoped to
// the report's pages, so it never travels in a URL.
const trackCookie = "kubu_vdp"

func (c *community) setTrack(w http.ResponseWriter, r *http.Request, reportID, token string) {
	http.SetCookie(w, &http.Cookie{Name: trackCookie, Value: token, Path: "/vdp/reports/" + reportID, HttpOnly: true,
		SameSite: http.SameSiteStrictMode, Secure: strings.HasPrefix(c.SecurityTxt.BaseURL, "https://"), MaxAge: 90 * 24 * 3600})
}

func trackToken(r *http.Request) string {
	if ck, err := r.Cookie(trackCookie); err == nil {
		return ck.Value
	}
	return ""
}

// vdpReceiptText downloads the receipt (tracking id and token) as a text
// file, for a reporter who cannot copy them: the token comes from this
// browser's cookie for the report, so the file never exists for anyone
// else; without it the answer is the same 404 as an unknown report.
func (c *community) vdpReceiptText(w http.ResponseWriter, r *http.Request) {
	id, tok := r.PathValue("id"), trackToken(r)
	rep, err := c.Disclosure.PublicReport(r.Context(), id, tok)
	if err != nil {
		web.NotFoundPage(w, r)
		return
	}
	base := strings.TrimSuffix(c.SecurityTxt.BaseURL, "/")
	if base == "" {
		base = "http://" + r.Host
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="kubu-report-`+rep.ID+`.txt"`)
	w.Header().Set("Cache-Control", "no-store")
	fmt.Fprintf(w, "Vulnerability report receipt\n\nTitle: %s\nSubmitted: %s\nTracking id: %s\nToken: %s\n\n"+
		"Keep this file private: with the tracking id, the token lets anyone read and reply to the report.\n"+
		"Follow the report at %s/vdp/track\n", oneLine(rep.Title), rep.SubmittedAt.UTC().Format(time.RFC3339), rep.ID, tok, base)
}

// oneLine keeps a stranger's text to one line of a plain-text file.
func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

type trackData struct{ TrackingID string }

func (c *community) vdpTrackForm(w http.ResponseWriter, r *http.Request) {
	c.render(w, r, http.StatusOK, "vdp_track.html", page{Title: "Follow a report", Data: trackData{}})
}

func (c *community) vdpTrack(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 8<<10)
	id, tok := strings.TrimSpace(r.PostFormValue("tracking_id")), strings.TrimSpace(r.PostFormValue("token"))
	if _, err := c.Disclosure.PublicReport(r.Context(), id, tok); err != nil {
		c.render(w, r, http.StatusNotFound, "vdp_track.html", page{Title: "Follow a report",
			Error: "No report matches that tracking id and token.", Data: trackData{TrackingID: id}})
		return
	}
	c.setTrack(w, r, id, tok)
	redirect(w, r, "/vdp/reports/"+id)
}

type vdpReportData struct {
	Report   disclosure.Report
	Messages []disclosure.Message
	NewToken string
}

func (c *community) vdpReport(w http.ResponseWriter, r *http.Request) {
	c.showVDPReport(w, r, http.StatusOK, "", page{})
}

func (c *community) showVDPReport(w http.ResponseWriter, r *http.Request, status int, newToken string, p page) {
	id, tok := r.PathValue("id"), trackToken(r)
	if newToken != "" {
		tok = newToken
	}
	rep, err := c.Disclosure.PublicReport(r.Context(), id, tok)
	if err != nil {
		web.NotFoundPage(w, r)
		return
	}
	msgs, err := c.Disclosure.PublicMessages(r.Context(), id, tok)
	if err != nil {
		c.fail(w, r, err)
		return
	}
	p.Title = rep.Title
	p.Data = vdpReportData{Report: rep, Messages: msgs, NewToken: newToken}
	c.render(w, r, status, "vdp_report.html", p)
}

func (c *community) vdpReply(w http.ResponseWriter, r *http.Request) {
	id, tok := r.PathValue("id"), trackToken(r)
	if _, err := c.Disclosure.PublicReport(r.Context(), id, tok); err != nil {
		web.NotFoundPage(w, r)
		return
	}
	ups, err := readUploads(w, r)
	if err != nil {
		c.showVDPReport(w, r, http.StatusBadRequest, "", page{Error: "The form could not be read. Attachments may be too large."})
		return
	}
	if _, err := c.Disclosure.PublicReply(r.Context(), id, tok, r.FormValue("body"), ups); err != nil {
		if probs, ok := problemsOf(err, "", "body"); ok {
			c.showVDPReport(w, r, http.StatusBadRequest, "", page{Problems: probs})
			return
		}
		c.fail(w, r, err)
		return
	}
	redirect(w, r, "/vdp/reports/"+id+"#thread")
}

func (c *community) vdpRotate(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	next, err := c.Disclosure.RotateToken(r.Context(), id, trackToken(r))
	if err != nil {
		web.NotFoundPage(w, r)
		return
	}
	c.setTrack(w, r, id, next)
	c.showVDPReport(w, r, http.StatusOK, next, page{Notice: "Your token was replaced. The old one no longer works."})
}

func (c *community) vdpConsent(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	if err := c.Disclosure.PublicSetDisclosure(r.Context(), id, trackToken(r), r.PostFormValue("consent") == "yes"); err != nil {
		if errors.Is(err, authz.ErrNotFound) {
			web.NotFoundPage(w, r)
			return
		}
		c.showVDPReport(w, r, http.StatusBadRequest, "", page{Error: capitalise(err.Error()) + "."})
		return
	}
	redirect(w, r, "/vdp/reports/"+id)
}

func (c *community) vdpAttachment(w http.ResponseWriter, r *http.Request) {
	at, data, err := c.Disclosure.PublicAttachment(r.Context(), r.PathValue("id"), trackToken(r), r.PathValue("aid"))
	if err != nil {
		web.NotFoundPage(w, r)
		return
	}
	web.ServeDownload(w, disclosure.SafeFilename(at.Filename), data)
}

func (c *community) vdpStats(w http.ResponseWriter, r *http.Request) {
	m, err := c.Disclosure.PublicStats(r.Context())
	if err != nil {
		c.fail(w, r, err)
		return
	}
	c.render(w, r, http.StatusOK, "vdp_stats.html", page{Title: "VDP statistics", Data: m})
}

func (c *community) vdpDisclosures(w http.ResponseWriter, r *http.Request) {
	list, err := c.Disclosure.Disclosures(r.Context())
	if err != nil {
		c.fail(w, r, err)
		return
	}
	c.render(w, r, http.StatusOK, "vdp_disclosures.html", page{Title: "Disclosed vulnerabilities", Data: list})
}
