package disclosure_test

import (
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/kubu-gov/kubu/internal/authz"
	"github.com/kubu-gov/kubu/internal/disclosure"
	"github.com/kubu-gov/kubu/internal/store"
	"github.com/kubu-gov/kubu/internal/store/storetest"
	"github.com/kubu-gov/kubu/internal/validate"
)

func txt(name string) disclosure.Upload {
	return disclosure.Upload{Filename: name, Data: []byte("contents of " + name + "\n")}
}

func names(atts []disclosure.Attachment) []string {
	var out []string
	for _, a := range atts {
		out = append(out, a.Filename)
	}
	slices.Sort(out)
	return out
}

// TestNoteAttachmentsStayWithTheNote: an attachment belongs to its message
// and is seen by whoever may see that message. The files of a triager's
// internal note are never listed or served to the reporter — a researcher
// or an anonymous reporter — while the files of a staff message are.
func TestNoteAttachmentsStayWithTheNote(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		e := setup(t, db)
		type reporter struct {
			name    string
			receipt disclosure.Receipt
			// what the reporter sees, through their own door
			report func(id string) (disclosure.Report, error)
			thread func(id string) ([]disclosure.Message, error)
			fetch  func(id, aid string) error
		}
		alices := e.submit(t, e.alice, disclosure.NewReport{Title: "IDOR", Description: "d", Uploads: []disclosure.Upload{txt("alice-poc.txt")}})
		anon := e.submit(t, authz.Anonymous, disclosure.NewReport{Title: "XSS", Description: "d", Uploads: []disclosure.Upload{txt("anon-poc.txt")}})
		for _, rp := range []reporter{
			{"researcher", alices,
				func(id string) (disclosure.Report, error) { return e.svc.Report(e.ctx, e.alice, id) },
				func(id string) ([]disclosure.Message, error) { return e.svc.Messages(e.ctx, e.alice, id) },
				func(id, aid string) error { _, _, err := e.svc.Attachment(e.ctx, e.alice, id, aid); return err }},
			{"anonymous", anon,
				func(id string) (disclosure.Report, error) { return e.svc.PublicReport(e.ctx, id, anon.Token) },
				func(id string) ([]disclosure.Message, error) { return e.svc.PublicMessages(e.ctx, id, anon.Token) },
				func(id, aid string) error {
					_, _, err := e.svc.PublicAttachment(e.ctx, id, anon.Token, aid)
					return err
				}},
		} {
			t.Run(rp.name, func(t *testing.T) {
				id := rp.receipt.TrackingID
				note, err := e.svc.AddMessage(e.ctx, e.triager, id, "Internal: the vendor's log", true, []disclosure.Upload{txt("internal-log.txt")})
				if err != nil {
					t.Fatal(err)
				}
				msg, err := e.svc.AddMessage(e.ctx, e.triager, id, "Please retest with this build", false, []disclosure.Upload{txt("retest.txt")})
				if err != nil {
					t.Fatal(err)
				}
				noteFile, msgFile := note.Attachments[0], msg.Attachments[0]
				if noteFile.MessageID != note.ID || msgFile.MessageID != msg.ID {
					t.Fatalf("attachments not tied to their messages: %+v %+v", noteFile, msgFile)
				}

				// Staff see every file, each on its message.
				r, err := e.svc.Report(e.ctx, e.triager, id)
				if err != nil {
					t.Fatal(err)
				}
				if got := names(r.Attachments); !slices.Equal(got, names([]disclosure.Attachment{noteFile, msgFile, r.Attachments[0]})) || len(got) != 3 {
					t.Fatalf("staff see %v", got)
				}
				thread, _ := e.svc.Messages(e.ctx, e.triager, id)
				for _, m := range thread {
					if m.ID == note.ID && (len(m.Attachments) != 1 || m.Attachments[0].ID != noteFile.ID) {
						t.Errorf("staff thread: the note's files are %+v", m.Attachments)
					}
				}
				if _, _, err := e.svc.Attachment(e.ctx, e.triager, id, noteFile.ID); err != nil {
					t.Errorf("triager fetching the note's file: %v", err)
				}

				// The reporter sees the report's and the message's files, never the note's.
				r, err = rp.report(id)
				if err != nil {
					t.Fatal(err)
				}
				if got := names(r.Attachments); len(got) != 2 || slices.Contains(got, "internal-log.txt") {
					t.Errorf("the reporter's report lists %v", got)
				}
				thread, err = rp.thread(id)
				if err != nil {
					t.Fatal(err)
				}
				for _, m := range thread {
					if m.ID == note.ID {
						t.Error("the reporter sees the internal note")
					}
					for _, a := range m.Attachments {
						if a.ID == noteFile.ID {
							t.Error("the reporter's thread carries the note's file")
						}
					}
					if m.ID == msg.ID && (len(m.Attachments) != 1 || m.Attachments[0].ID != msgFile.ID) {
						t.Errorf("the staff message's files in the reporter's thread: %+v", m.Attachments)
					}
				}
				if err := rp.fetch(id, noteFile.ID); !errors.Is(err, authz.ErrNotFound) {
					t.Errorf("the reporter fetching the note's file: %v, want not found", err)
				}
				if err := rp.fetch(id, "01jzzzzzzzzzzzzzzzzzzzzzzz"); !errors.Is(err, authz.ErrNotFound) {
					t.Errorf("a made-up file: %v", err)
				}
				if err := rp.fetch(id, msgFile.ID); err != nil {
					t.Errorf("the reporter fetching the staff message's file: %v", err)
				}
			})
		}
	})
}

// TestReporterLimitDoesNotBlockStaff: the 20-file limit is the reporter's;
// staff notes and messages add files to a report that is full.
func TestReporterLimitDoesNotBlockStaff(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		e := setup(t, db)
		var first []disclosure.Upload
		for i := range disclosure.MaxUploads {
			first = append(first, txt(fmt.Sprintf("r%d.txt", i)))
		}
		rc := e.submit(t, authz.Anonymous, disclosure.NewReport{Title: "Many files", Description: "d", Uploads: first})
		for n := disclosure.MaxUploads; n < disclosure.MaxPerReport; n += disclosure.MaxUploads {
			var more []disclosure.Upload
			for i := range disclosure.MaxUploads {
				more = append(more, txt(fmt.Sprintf("r%d.txt", n+i)))
			}
			if _, err := e.svc.PublicReply(e.ctx, rc.TrackingID, rc.Token, "more", more); err != nil {
				t.Fatalf("reporter's files %d…: %v", n, err)
			}
		}
		// The reporter is at the limit; staff are not held by it.
		if _, err := e.svc.AddMessage(e.ctx, e.triager, rc.TrackingID, "note", true, []disclosure.Upload{txt("n1.txt"), txt("n2.txt")}); err != nil {
			t.Fatalf("a staff note with files on a full report: %v", err)
		}
		if _, err := e.svc.AddMessage(e.ctx, e.triager, rc.TrackingID, "message", false, []disclosure.Upload{txt("m1.txt")}); err != nil {
			t.Fatalf("a staff message with files on a full report: %v", err)
		}
		_, err := e.svc.PublicReply(e.ctx, rc.TrackingID, rc.Token, "one more", []disclosure.Upload{txt("over.txt")})
		if fe, ok := validate.As(err); !ok || fe[0].Field != "attachments" {
			t.Fatalf("the reporter's 21st file: %v, want refused", err)
		}
		// Staff files did not use up the reporter's allowance either.
		rc2 := e.submit(t, authz.Anonymous, disclosure.NewReport{Title: "Few files", Description: "d", Uploads: []disclosure.Upload{txt("a.txt")}})
		for range 5 {
			if _, err := e.svc.AddMessage(e.ctx, e.triager, rc2.TrackingID, "note", true, first); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := e.svc.PublicReply(e.ctx, rc2.TrackingID, rc2.Token, "mine", first); err != nil {
			t.Fatalf("the reporter's files after 25 of staff's: %v", err)
		}
	})
}

// TestAttachmentBackfill: the migration that ties attachments to their
// messages links the files staff uploaded before it to the message or
// note they came with (run here on both engines over rows in the old
// shape), so the notes' files of existing reports stop reaching reporters.
func TestAttachmentBackfill(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		e := setup(t, db)
		rc := e.submit(t, e.alice, disclosure.NewReport{Title: "Old report", Description: "d", Uploads: []disclosure.Upload{txt("poc.txt")}})
		note, err := e.svc.AddMessage(e.ctx, e.triager, rc.TrackingID, "internal", true, []disclosure.Upload{txt("internal.txt")})
		if err != nil {
			t.Fatal(err)
		}
		msg, err := e.svc.AddMessage(e.ctx, e.triager, rc.TrackingID, "hello", false, []disclosure.Upload{txt("hello.txt")})
		if err != nil {
			t.Fatal(err)
		}
		reply, err := e.svc.AddMessage(e.ctx, e.alice, rc.TrackingID, "thanks", false, []disclosure.Upload{txt("reply.txt")})
		if err != nil {
			t.Fatal(err)
		}
		// Back to the shape before the migration: no file knows its message.
		exec := func(q string) error {
			return db.Tx(e.ctx, func(tx *sql.Tx) error { _, err := tx.ExecContext(e.ctx, q); return err })
		}
		if err := exec(`UPDATE report_attachments SET message_id = NULL`); err != nil {
			t.Fatal(err)
		}
		if r, _ := e.svc.Report(e.ctx, e.alice, rc.TrackingID); len(r.Attachments) != 4 {
			t.Fatalf("before the backfill the reporter sees %v (the leak)", names(r.Attachments))
		}
		src, err := os.ReadFile(filepath.Join("..", "store", "migrations", string(db.Engine), "0006_access.sql"))
		if err != nil {
			t.Fatal(err)
		}
		up := string(src)
		start := strings.Index(up, "UPDATE report_attachments")
		update := up[start : start+strings.Index(up[start:], ";")]
		if err := exec(update); err != nil {
			t.Fatalf("backfill: %v", err)
		}
		want := map[string]string{note.Attachments[0].ID: note.ID, msg.Attachments[0].ID: msg.ID,
			reply.Attachments[0].ID: "", rc.Report.Attachments[0].ID: ""} // the reporter's own files stay with the report
		r, _ := e.svc.Report(e.ctx, e.triager, rc.TrackingID)
		for _, a := range r.Attachments {
			if a.MessageID != want[a.ID] {
				t.Errorf("%s linked to %q, want %q", a.Filename, a.MessageID, want[a.ID])
			}
		}
		if r, _ := e.svc.Report(e.ctx, e.alice, rc.TrackingID); slices.Contains(names(r.Attachments), "internal.txt") || len(r.Attachments) != 3 {
			t.Errorf("after the backfill the reporter sees %v", names(r.Attachments))
		}
	})
}
