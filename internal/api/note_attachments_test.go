package api_test

import (
	"bytes"
	"mime/multipart"
	"strings"
	"testing"

	"github.com/kubu-gov/kubu/internal/authz"
	"github.com/kubu-gov/kubu/internal/disclosure"
	"github.com/kubu-gov/kubu/internal/store"
	"github.com/kubu-gov/kubu/internal/store/storetest"
)

// TestNoteAttachmentsOverHTTP: the file of a triager's internal note
// (posted over the API as multipart with internal=true) is listed and
// served to staff, and to neither a researcher (their API) nor an anonymous
// reporter (the public follow-up API): not in the report, not in the
// thread, and its download answers exactly like a missing file.
func TestNoteAttachmentsOverHTTP(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		s := newServer(t, db, nil)
		note := func(id string) string {
			var b bytes.Buffer
			mw := multipart.NewWriter(&b)
			mw.WriteField("body", "vendor log, do not share")
			mw.WriteField("internal", "true")
			fw, _ := mw.CreateFormFile("attachments", "internal-log.txt")
			fw.Write([]byte("the vendor's internal log\n"))
			mw.Close()
			a := s.call(t, "triager", "POST", "/api/v1/reports/"+id+"/messages", &b, "Content-Type", mw.FormDataContentType())
			if a.code != 201 {
				t.Fatalf("triager's note: %d %s", a.code, a.raw)
			}
			if a.body["kind"] != disclosure.KindNote {
				t.Fatalf("not a note: %s", a.raw)
			}
			return a.body["attachments"].([]any)[0].(map[string]any)["id"].(string)
		}

		rep := s.call(t, "researcher", "POST", "/api/v1/reports", map[string]any{"title": "IDOR", "description": "d", "affected_url": "https://healthhub.example.sg/x"})
		if rep.code != 201 {
			t.Fatalf("submit: %d %s", rep.code, rep.raw)
		}
		rid, _ := rep.body["tracking_id"].(string)
		if rid == "" {
			rid, _ = rep.body["id"].(string)
		}
		naid := note(rid)
		if a := s.call(t, "triager", "GET", "/api/v1/reports/"+rid+"/attachments/"+naid, nil); a.code != 200 || !strings.Contains(string(a.raw), "internal log") {
			t.Fatalf("triager downloading the note's file: %d", a.code)
		}
		for _, path := range []string{"/api/v1/reports/" + rid, "/api/v1/reports/" + rid + "/messages"} {
			if a := s.call(t, "researcher", "GET", path, nil); a.code != 200 || strings.Contains(string(a.raw), naid) ||
				strings.Contains(string(a.raw), "internal-log") || strings.Contains(string(a.raw), "vendor log") {
				t.Errorf("the researcher's %s shows the note or its file: %d %s", path, a.code, a.raw)
			}
		}
		hidden := s.call(t, "researcher", "GET", "/api/v1/reports/"+rid+"/attachments/"+naid, nil)
		missing := s.call(t, "researcher", "GET", "/api/v1/reports/"+rid+"/attachments/01jzzzzzzzzzzzzzzzzzzzzzzz", nil)
		if hidden.code != 404 || string(hidden.raw) != string(missing.raw) {
			t.Errorf("the researcher downloading the note's file: %d %s (a missing file: %s)", hidden.code, hidden.raw, missing.raw)
		}

		// An anonymous report, followed with its token.
		rc, err := s.svc.Submit(t.Context(), authz.Anonymous, disclosure.NewReport{Title: "XSS", Description: "d"})
		if err != nil {
			t.Fatal(err)
		}
		naid = note(rc.TrackingID)
		view := s.call(t, "bearer:"+rc.Token, "GET", "/api/v1/public/vdp/reports/"+rc.TrackingID, nil)
		if view.code != 200 || strings.Contains(string(view.raw), naid) || strings.Contains(string(view.raw), "internal-log") {
			t.Errorf("the anonymous reporter's view shows the note's file: %d %s", view.code, view.raw)
		}
		hidden = s.call(t, "bearer:"+rc.Token, "GET", "/api/v1/public/vdp/reports/"+rc.TrackingID+"/attachments/"+naid, nil)
		missing = s.call(t, "bearer:"+rc.Token, "GET", "/api/v1/public/vdp/reports/"+rc.TrackingID+"/attachments/01jzzzzzzzzzzzzzzzzzzzzzzz", nil)
		if hidden.code != 404 || string(hidden.raw) != string(missing.raw) {
			t.Errorf("the anonymous reporter downloading the note's file: %d %s", hidden.code, hidden.raw)
		}
	})
}
