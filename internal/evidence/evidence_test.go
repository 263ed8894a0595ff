package evidence_test

import (
	"bytes"
	"context"
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kubu-gov/kubu/internal/audit"
	"github.com/kubu-gov/kubu/internal/authz"
	"github.com/kubu-gov/kubu/internal/bundle"
	"github.com/kubu-gov/kubu/internal/evidence"
	"github.com/kubu-gov/kubu/internal/evidence/blob"
	"github.com/kubu-gov/kubu/internal/keys"
	"github.com/kubu-gov/kubu/internal/store"
	"github.com/kubu-gov/kubu/internal/store/storetest"
	"github.com/kubu-gov/kubu/internal/validate"
)

// fakeIncidents stands in for the incidents package.
type fakeIncidents map[string]evidence.Incident

func (f fakeIncidents) Incident(_ context.Context, id string) (evidence.Incident, error) {
	inc, ok := f[id]
	if !ok {
		return evidence.Incident{}, evidence.ErrIncidentNotFound
	}
	return inc, nil
}

func (f fakeIncidents) Timeline(_ context.Context, id string) ([]bundle.TimelineEntry, error) {
	return []bundle.TimelineEntry{{At: time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC), Kind: "status", Actor: "ana@csa.gov", Text: "new → analysing"}}, nil
}

var (
	analyst  = authz.Actor{UserID: "u-ana", Email: "ana@csa.gov", Role: authz.Analyst}
	mohUser  = authz.Actor{UserID: "u-moh", Email: "mo@moh.gov", Role: authz.AgencyMember, AgencyID: "ag-moh"}
	mofUser  = authz.Actor{UserID: "u-mof", Email: "fi@mof.gov", Role: authz.AgencyAdmin, AgencyID: "ag-mof"}
	outsider = authz.Actor{UserID: "u-res", Email: "r@example.com", Role: authz.Researcher}
)

type env struct {
	svc   *evidence.Service
	log   *audit.Log
	blobs *blob.Local
	db    *store.DB
}

func newEnv(t *testing.T, db *store.DB, opts evidence.Options) env {
	t.Helper()
	ring, err := keys.New(bytes.Repeat([]byte{3}, 32))
	if err != nil {
		t.Fatal(err)
	}
	l := audit.New(db, ring)
	blobs, err := evidence.LocalStore(t.TempDir(), ring)
	if err != nil {
		t.Fatal(err)
	}
	inc := fakeIncidents{
		"inc1": {ID: "inc1", Title: "Ransomware at HealthHub", AgencyIDs: []string{"ag-moh", "ag-mom"}},
		"inc2": {ID: "inc2", Title: "Phishing at MOF", AgencyIDs: []string{"ag-mof"}},
	}
	return env{svc: evidence.New(db, l, blobs, "local", inc, opts), log: l, blobs: blobs, db: db}
}

func intake(name string) evidence.Intake {
	at := time.Date(2026, 3, 1, 8, 30, 0, 0, time.UTC)
	return evidence.Intake{Name: name, Description: "disk image of the file server", CollectedAt: &at, CollectedBy: "ana@csa.gov",
		SourceSystem: "fs01.moh.gov", Method: "FTK Imager 4.7, E01, write blocker"}
}

func TestIntakeCustodyAndAudit(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		e := newEnv(t, db, evidence.Options{})
		content := bytes.Repeat([]byte("evidence bytes "), 10000)
		it, err := e.svc.Add(ctx, mohUser, "inc1", intake("fs01.E01"), bytes.NewReader(content))
		if err != nil {
			t.Fatal(err)
		}
		s256, s1, m5 := sha256.Sum256(content), sha1.Sum(content), md5.Sum(content)
		if it.Size != int64(len(content)) || it.SHA256 != hex.EncodeToString(s256[:]) || it.SHA1 != hex.EncodeToString(s1[:]) || it.MD5 != hex.EncodeToString(m5[:]) {
			t.Fatalf("intake hashes: %+v", it)
		}
		if _, err := e.svc.AddCustody(ctx, analyst, it.ID, evidence.CustodyInput{Action: "sealed", Note: "bag 17"}); err != nil {
			t.Fatal(err)
		}
		if _, err := e.svc.AddCustody(ctx, analyst, it.ID, evidence.CustodyInput{Action: "transferred", Note: "to the lab", To: "lab@police.gov"}); err != nil {
			t.Fatal(err)
		}
		for _, bad := range []evidence.CustodyInput{{Action: "destroyed"}, {Action: ""}, {Action: "transferred", Note: "to nobody"}} {
			if _, err := e.svc.AddCustody(ctx, analyst, it.ID, bad); err == nil {
				t.Fatalf("custody %+v accepted", bad)
			} else if _, ok := validate.As(err); !ok {
				t.Fatalf("custody %+v: %v, want a validation error", bad, err)
			}
		}
		got, err := e.svc.Get(ctx, mohUser, it.ID)
		if err != nil {
			t.Fatal(err)
		}
		if len(got.Custody) != 2 || got.Custody[0].Action != "sealed" || got.Custody[1].To != "lab@police.gov" || got.Custody[1].Actor != "ana@csa.gov" ||
			got.SourceSystem != "fs01.moh.gov" || got.Method == "" || got.CollectedAt == nil || got.IntakeSeq == 0 {
			t.Fatalf("Get: %+v", got)
		}
		_, rc, err := e.svc.Open(ctx, analyst, it.ID, "examination for the report")
		if err != nil {
			t.Fatal(err)
		}
		var buf bytes.Buffer
		buf.ReadFrom(rc)
		rc.Close()
		if !bytes.Equal(buf.Bytes(), content) {
			t.Fatal("content read back differs")
		}
		// Every event is an audit entry: intake (with its hashes), two
		// custody entries and the read (with its reason).
		recs, err := e.log.Entries(ctx, 0, audit.Target{Type: "evidence", IDs: []string{it.ID}})
		if err != nil {
			t.Fatal(err)
		}
		var codes []string
		for _, r := range recs {
			codes = append(codes, r.Code)
		}
		if strings.Join(codes, " ") != "V1000I V1001I V1001I V1002I" {
			t.Fatalf("audit codes %v", codes)
		}
		var intakeRec map[string]any
		json.Unmarshal(recs[0].After, &intakeRec)
		if intakeRec["sha256"] != it.SHA256 || intakeRec["size"] != float64(it.Size) || recs[0].Seq != it.IntakeSeq || recs[0].AgencyID != "ag-moh" {
			t.Fatalf("intake audit entry %s", recs[0].After)
		}
		if !strings.Contains(string(recs[3].After), "examination for the report") {
			t.Fatalf("read audit entry %s", recs[3].After)
		}
		items, err := e.svc.List(ctx, mohUser, "inc1")
		if err != nil || len(items) != 1 || len(items[0].Custody) != 2 {
			t.Fatalf("List: %+v %v", items, err)
		}
		if _, err := e.svc.Add(ctx, analyst, "inc1", evidence.Intake{Name: ""}, strings.NewReader("x")); err == nil {
			t.Fatal("an intake without a file name was accepted")
		}
	})
}

// Flip one byte of a stored file on disk: the next read fails with the
// integrity error (the API's 409 integrity_failed) and an audit entry
// records it; a bundle export fails the same way.
func TestIntegrityFailureIsReportedAndAudited(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		e := newEnv(t, db, evidence.Options{})
		it, err := e.svc.Add(ctx, analyst, "inc1", intake("mem.raw"), bytes.NewReader(bytes.Repeat([]byte{7}, 300_000)))
		if err != nil {
			t.Fatal(err)
		}
		path := e.blobs.Path(it.ID)
		raw, _ := os.ReadFile(path)
		raw[len(raw)/2] ^= 0x01
		os.Chmod(path, 0o600)
		if err := os.WriteFile(path, raw, 0o600); err != nil {
			t.Fatal(err)
		}
		_, _, err = e.svc.Open(ctx, analyst, it.ID, "look")
		var ie *blob.IntegrityError
		if !errors.Is(err, evidence.ErrIntegrity) || !errors.As(err, &ie) {
			t.Fatalf("Open after a flipped byte = %v, want ErrIntegrity", err)
		}
		if err := e.svc.ExportBundleTo(t, ctx, analyst, "inc1"); !errors.Is(err, evidence.ErrIntegrity) {
			t.Fatalf("bundle export after a flipped byte = %v", err)
		}
		recs, _ := e.log.Entries(ctx, 0, audit.Target{Type: "evidence", IDs: []string{it.ID}})
		failures := 0
		for _, r := range recs {
			if r.Code == evidence.IntegrityFailed.ID {
				failures++
			}
			if r.Code == evidence.ContentRead.ID {
				t.Fatal("a failed read was recorded as a read")
			}
		}
		if failures != 2 {
			t.Fatalf("%d integrity failures audited, want 2 (the read and the export)", failures)
		}
	})
}

// An agency not on the incident gets 404 (authz's ErrNotFound, like a
// missing record) for its evidence, its content, its custody and its bundle;
// a role with no evidence grant at all (a researcher) gets authz's 403, and
// the anonymous caller 401 (the access model of issue 8).
func TestAccess(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		e := newEnv(t, db, evidence.Options{})
		it, err := e.svc.Add(ctx, mohUser, "inc1", intake("a.log"), strings.NewReader("log lines"))
		if err != nil {
			t.Fatal(err)
		}
		for _, a := range []authz.Actor{mofUser, outsider, authz.Anonymous} {
			calls := map[string]error{}
			_, calls["get"] = e.svc.Get(ctx, a, it.ID)
			_, _, calls["content"] = e.svc.Open(ctx, a, it.ID, "curious")
			_, calls["custody"] = e.svc.AddCustody(ctx, a, it.ID, evidence.CustodyInput{Action: "examined"})
			_, calls["list"] = e.svc.List(ctx, a, "inc1")
			_, calls["add"] = e.svc.Add(ctx, a, "inc1", intake("b.log"), strings.NewReader("x"))
			calls["bundle"] = e.svc.ExportBundleTo(t, ctx, a, "inc1")
			for name, err := range calls {
				want := authz.ErrNotFound
				switch a {
				case authz.Anonymous:
					want = authz.ErrUnauthenticated
				case outsider:
					want = authz.ErrForbidden
				}
				if !errors.Is(err, want) {
					t.Errorf("%s %s: %v, want %v", a.Role, name, err, want)
				}
			}
		}
		// The same answer as for evidence and incidents that do not exist.
		if _, err := e.svc.Get(ctx, analyst, "nope"); !errors.Is(err, authz.ErrNotFound) {
			t.Fatalf("missing evidence: %v", err)
		}
		if _, err := e.svc.List(ctx, analyst, "nope"); !errors.Is(err, authz.ErrNotFound) {
			t.Fatalf("missing incident: %v", err)
		}
		// The second agency of a two-agency incident sees it.
		mom := authz.Actor{UserID: "u-mom", Email: "m@mom.gov", Role: authz.AgencyMember, AgencyID: "ag-mom"}
		if _, err := e.svc.Get(ctx, mom, it.ID); err != nil {
			t.Fatalf("second agency of the incident: %v", err)
		}
		if _, err := e.svc.Get(ctx, mofUser, it.ID); !errors.Is(err, authz.ErrNotFound) {
			t.Fatal("recheck")
		}
	})
}

func TestSizeLimit(t *testing.T) {
	db := storetest.Open(t, store.SQLite)
	ctx := context.Background()
	e := newEnv(t, db, evidence.Options{MaxSize: 1000})
	_, err := e.svc.Add(ctx, analyst, "inc1", intake("big.bin"), bytes.NewReader(make([]byte, 1001)))
	if v, ok := validate.As(err); !ok || v[0].Field != "file" {
		t.Fatalf("over the limit: %v", err)
	}
	if items, _ := e.svc.List(ctx, analyst, "inc1"); len(items) != 0 {
		t.Fatal("an item over the limit was recorded")
	}
	if _, err := e.svc.Add(ctx, analyst, "inc1", intake("ok.bin"), bytes.NewReader(make([]byte, 1000))); err != nil {
		t.Fatal(err)
	}
}

func TestConcurrentCustody(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		e := newEnv(t, db, evidence.Options{})
		it, err := e.svc.Add(ctx, analyst, "inc1", intake("a"), strings.NewReader("a"))
		if err != nil {
			t.Fatal(err)
		}
		var wg sync.WaitGroup
		for range 6 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if _, err := e.svc.AddCustody(ctx, analyst, it.ID, evidence.CustodyInput{Action: "examined"}); err != nil {
					t.Error(err)
				}
			}()
		}
		wg.Wait()
		got, _ := e.svc.Get(ctx, analyst, it.ID)
		if len(got.Custody) != 6 {
			t.Fatalf("%d custody entries", len(got.Custody))
		}
		for i := 1; i < 6; i++ {
			if got.Custody[i].AuditSeq <= got.Custody[i-1].AuditSeq {
				t.Fatal("custody order differs from the audit log's")
			}
		}
	})
}

// The bundle of an incident verifies offline and carries every evidence
// event; another incident's evidence is not in it.
func TestBundleExport(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		e := newEnv(t, db, evidence.Options{})
		a, err := e.svc.Add(ctx, mohUser, "inc1", intake("fs01.E01"), bytes.NewReader(bytes.Repeat([]byte("disk"), 100_000)))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.svc.Add(ctx, analyst, "inc1", intake("notes/../x.txt"), strings.NewReader("notes")); err == nil {
			t.Fatal("a file name with a slash was accepted")
		}
		b, err := e.svc.Add(ctx, analyst, "inc1", intake("memory.raw"), bytes.NewReader(bytes.Repeat([]byte("mem"), 50_000)))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.svc.Add(ctx, mofUser, "inc2", intake("other.txt"), strings.NewReader("not in inc1")); err != nil {
			t.Fatal(err)
		}
		e.svc.AddCustody(ctx, analyst, a.ID, evidence.CustodyInput{Action: "sealed", Note: "bag 1"})
		e.svc.AddCustody(ctx, analyst, b.ID, evidence.CustodyInput{Action: "copied", Note: "working copy"})
		path := filepath.Join(t.TempDir(), "inc1.zip")
		f, _ := os.Create(path)
		m, err := e.svc.ExportBundle(ctx, mohUser, "inc1", f)
		f.Close()
		if err != nil {
			t.Fatal(err)
		}
		sum, err := bundle.Verify(path)
		if err != nil {
			t.Fatal(err)
		}
		// intake ×2, custody ×2, the export itself
		if sum.EvidenceFiles != 2 || sum.CustodyEntries != 2 || sum.AuditEntries != 5 || sum.TimelineEntries != 1 ||
			sum.Incident.Title != "Ransomware at HealthHub" || sum.KeyFingerprint != e.log.VerifierKey().Fingerprint() || sum.EvidenceBytes != 550_000 {
			t.Fatalf("summary %+v", sum)
		}
		if m.Checkpoint.TreeSize != sum.TreeSize {
			t.Fatalf("manifest %+v", m.Checkpoint)
		}
	})
}
