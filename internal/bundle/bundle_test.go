package bundle

import (
	"archive/zip"
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kubu-gov/kubu/internal/audit/tlog"
)

// noteSigner signs like audit.Log.SignNote.
type noteSigner struct{ s *tlog.Signer }

func (n noteSigner) SignNote(body string) ([]byte, error) { return tlog.Sign(body, n.s) }

func signer(t testing.TB, seed byte) noteSigner {
	s, err := tlog.NewSigner(tlog.KeyName, ed25519.NewKeyFromSeed(bytes.Repeat([]byte{seed}, 32)))
	if err != nil {
		t.Fatal(err)
	}
	return noteSigner{s}
}

var t0 = time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)

// fixture builds what kubu would put in a bundle: a log of 20 entries of
// which the incident's are intake, custody and other entries, a checkpoint
// over all of them and the proofs.
type fixture struct {
	contents Contents
	files    map[string][]byte // evidence id → content
	evidence []Evidence
}

func newFixture(t testing.TB, s noteSigner) fixture {
	files := map[string][]byte{"ev1": []byte("MZ\x90\x00 a disk image, in short"), "ev2": bytes.Repeat([]byte("memory "), 5000)}
	var entries []tlog.Entry
	add := func(code, ttype, tid string, after any) int64 {
		b, _ := json.Marshal(after)
		seq := int64(len(entries) + 1)
		entries = append(entries, tlog.Entry{Seq: seq, At: t0.Add(time.Duration(seq) * time.Minute), Code: code, ActorID: "u1",
			ActorLabel: "ana@csa.example", AgencyID: "moh", TargetType: ttype, TargetID: tid, After: string(b)})
		return seq
	}
	add("A1000I", "agency", "moh", map[string]string{"code": "MOH"})
	add("Z1000I", "incident", "inc1", map[string]string{"title": "Ransomware at HealthHub"})
	var ev []Evidence
	var custody []CustodyEntry
	for _, id := range []string{"ev1", "ev2"} {
		sum := sha256.Sum256(files[id])
		seq := add("E1000I", "evidence", id, map[string]any{"sha256": hex.EncodeToString(sum[:]), "size": len(files[id])})
		ev = append(ev, Evidence{ID: id, Name: id + ".bin", Description: "taken from the server", SHA256: hex.EncodeToString(sum[:]), AuditSeq: seq})
		for _, action := range []string{"sealed", "transferred"} {
			c := CustodyEntry{EvidenceID: id, At: t0.Add(time.Hour + time.Duration(len(entries))*time.Second), Actor: "ana@csa.example", Action: action, Note: "bag 17 " + action}
			if action == "transferred" {
				c.To = "lab@police.example"
			}
			c.AuditSeq = add("E1001I", "evidence", id, custodyRecord{c.EvidenceID, c.At, c.Actor, c.Action, c.Note, c.To})
			custody = append(custody, c)
		}
	}
	for i := range 12 {
		add("S1000I", "system", fmt.Sprint("s", i), map[string]int{"n": i})
	}
	p := tlog.NewProver(uint64(len(entries)))
	var mine []tlog.Entry
	for _, e := range entries {
		if e.TargetType == "incident" || e.TargetType == "evidence" {
			mine = append(mine, e)
			p.WantInclusion(uint64(e.Seq - 1))
		}
	}
	for _, e := range entries {
		p.Add(e.LeafHash())
	}
	root, _ := p.Root()
	cp := tlog.Checkpoint{Origin: tlog.Origin, Size: uint64(len(entries)), Root: root, Extensions: []string{"1772355600000"}}
	note, err := tlog.Sign(cp.Body(), s.s)
	if err != nil {
		t.Fatal(err)
	}
	var audit []AuditEntry
	for _, e := range mine {
		hs, _ := p.Inclusion(uint64(e.Seq - 1))
		audit = append(audit, AuditEntry{Entry: e, Name: "x", Proof: tlog.InclusionProof{LeafIndex: uint64(e.Seq - 1), TreeSize: cp.Size, Hashes: hs}})
	}
	return fixture{
		contents: Contents{Incident: Incident{ID: "inc1", Title: "Ransomware at HealthHub", Agencies: []string{"MOH"}}, CreatedAt: t0.Add(2 * time.Hour),
			CreatedBy: "ana@csa.example", Checkpoint: note, PublicKey: s.s.Public(), Audit: audit, Custody: custody,
			Timeline: []TimelineEntry{{At: t0, Kind: "status", Actor: "ana@csa.example", Text: "new → analysing"}}},
		files: files, evidence: ev,
	}
}

func (f fixture) write(t testing.TB, s noteSigner) string {
	path := filepath.Join(t.TempDir(), "bundle.zip")
	out, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer out.Close()
	w := NewWriter(out, s)
	for _, e := range f.evidence {
		if err := w.AddEvidence(e, bytes.NewReader(f.files[e.ID])); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := w.Finish(f.contents); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestBundleVerifies(t *testing.T) {
	s := signer(t, 1)
	path := newFixture(t, s).write(t, s)
	sum, err := Verify(path)
	if err != nil {
		t.Fatal(err)
	}
	want := Summary{Incident: Incident{ID: "inc1", Title: "Ransomware at HealthHub", Agencies: []string{"MOH"}}, KeyFingerprint: s.s.Public().Fingerprint(),
		TreeSize: 20, Files: 7, EvidenceFiles: 2, EvidenceBytes: int64(27 + 35000), AuditEntries: 7, CustodyEntries: 4, TimelineEntries: 1}
	sum.CreatedAt, sum.RootHash = time.Time{}, nil
	if fmt.Sprint(sum) != fmt.Sprint(want) {
		t.Fatalf("summary\n%+v\nwant\n%+v", sum, want)
	}
}

// Each case changes one thing in the zip, as someone holding the bundle
// could, and Verify must name it.
func TestTamperingIsNamed(t *testing.T) {
	s := signer(t, 1)
	good := newFixture(t, s).write(t, s)
	flipIn := func(needle string) func([]byte) []byte {
		return func(b []byte) []byte {
			i := bytes.Index(b, []byte(needle))
			if i < 0 {
				panic("no " + needle)
			}
			out := bytes.Clone(b)
			out[i] ^= 0x01
			return out
		}
	}
	replace := func(old, new string) func([]byte) []byte {
		return func(b []byte) []byte {
			if !bytes.Contains(b, []byte(old)) {
				panic("no " + old)
			}
			return bytes.Replace(b, []byte(old), []byte(new), 1)
		}
	}
	cases := []struct {
		name, member string
		change       func([]byte) []byte
		item         string // what the Problem's Item must contain
	}{
		// any byte of any file
		{"evidence byte", "evidence/ev1/ev1.bin", flipIn("disk"), "evidence/ev1/ev1.bin"},
		{"evidence last byte", "evidence/ev2/ev2.bin", func(b []byte) []byte { c := bytes.Clone(b); c[len(c)-1] ^= 0x80; return c }, "evidence/ev2/ev2.bin"},
		{"timeline byte", "timeline.jsonl", flipIn("analysing"), "timeline.jsonl"},
		{"checkpoint byte", "checkpoint.txt", replace("\n20\n", "\n21\n"), "checkpoint.txt"},
		{"public key", "public-key.txt", func([]byte) []byte { return []byte(signer(t, 2).s.Public().String() + "\n") }, "public-key.txt"},
		{"manifest.sig byte", "manifest.sig", flipSig, "manifest.sig"},
		// any manifest line
		{"manifest title", "manifest.json", replace("Ransomware at HealthHub", "Phishing at HealthHub"), "manifest.json"},
		{"manifest evidence hash", "manifest.json", manifestLine("evidence/ev2/ev2.bin", "sha256"), "evidence/ev2/ev2.bin"},
		{"manifest evidence size", "manifest.json", manifestLine("evidence/ev1/ev1.bin", "size"), "evidence/ev1/ev1.bin"},
		{"manifest custody hash", "manifest.json", manifestLine("custody.jsonl", "sha256"), "custody.jsonl"},
		{"manifest description", "manifest.json", replace("taken from the server", "taken from the laptop"), "manifest.json"},
		{"manifest fingerprint", "manifest.json", replace(`"key_fingerprint": "SHA256:`, `"key_fingerprint": "SHA256:0`), "public-key.txt"},
		{"manifest checkpoint size", "manifest.json", replace(`"tree_size": 20`, `"tree_size": 19`), "manifest.json"},
		// any custody entry
		{"custody note", "custody.jsonl", replace("bag 17 transferred", "bag 18 transferred"), "custody entry 2 "},
		{"custody recipient", "custody.jsonl", replace("lab@police.example", "lab@thief.example"), "custody entry 2 "},
		{"custody time", "custody.jsonl", replace("T10:00:03Z", "T10:00:09Z"), "custody entry 1 "},
		// any proof
		{"proof hash", "audit.jsonl", flipProof(2), "audit entry 3 (audit.jsonl line 2)"},
		{"proof leaf index", "audit.jsonl", replace(`"leaf_index":3,`, `"leaf_index":4,`), "audit entry 4 (audit.jsonl line 3)"},
		// audit entries themselves
		{"audit entry content", "audit.jsonl", replace(`bag 17 sealed`, `bag 71 sealed`), "audit entry 4 (audit.jsonl line 3)"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			path := rewrite(t, good, c.member, c.change)
			_, err := Verify(path)
			var p *Problem
			if !errors.As(err, &p) || !strings.Contains(p.Item, c.item) {
				t.Fatalf("Verify = %v, want a Problem naming %q", err, c.item)
			}
		})
	}
}

// A consistent forgery of the evidence: new content, its hash put into the
// manifest and the manifest re-signed by another key that also re-signed the
// checkpoint. The audit entry that recorded the intake hash still names it,
// and so does the key fingerprint.
func TestForgeryByAnotherKey(t *testing.T) {
	s, other := signer(t, 1), signer(t, 2)
	f := newFixture(t, s)
	forged := newFixture(t, other) // the same log, signed by another key
	path := forged.write(t, other)
	sum, err := Verify(path)
	if err != nil {
		t.Fatal(err)
	}
	if sum.KeyFingerprint == s.s.Public().Fingerprint() {
		t.Fatal("a bundle signed by another key shows kubu's fingerprint")
	}
	// Swapping the evidence for other bytes with a matching manifest line but
	// the original audit entry is caught at that file.
	f.files["ev1"] = []byte("a different disk image")
	f.evidence[0].SHA256 = ""
	_, err = Verify(f.write(t, s))
	var p *Problem
	if !errors.As(err, &p) || p.Item != "evidence/ev1/ev1.bin" || !strings.Contains(p.Reason, "audit entry 3") {
		t.Fatalf("swapped evidence = %v", err)
	}
}

func TestZipStructure(t *testing.T) {
	s := signer(t, 1)
	good := newFixture(t, s).write(t, s)
	t.Run("extra file", func(t *testing.T) {
		path := rewriteZip(t, good, func(zw *zip.Writer, name string, b []byte) bool {
			if name == AuditFile {
				w, _ := zw.Create("evidence/ev1/extra.txt")
				w.Write([]byte("hello"))
			}
			return false
		})
		wantItem(t, path, "evidence/ev1/extra.txt")
	})
	t.Run("missing file", func(t *testing.T) {
		path := rewriteZip(t, good, func(zw *zip.Writer, name string, b []byte) bool { return name == CustodyFile })
		wantItem(t, path, CustodyFile)
	})
	t.Run("raw byte of a stored member", func(t *testing.T) {
		raw, _ := os.ReadFile(good)
		i := bytes.Index(raw, []byte("a disk image"))
		raw[i] ^= 0x20
		path := filepath.Join(t.TempDir(), "b.zip")
		os.WriteFile(path, raw, 0o644)
		wantItem(t, path, "evidence/ev1/ev1.bin")
	})
	t.Run("truncated", func(t *testing.T) {
		raw, _ := os.ReadFile(good)
		path := filepath.Join(t.TempDir(), "b.zip")
		os.WriteFile(path, raw[:len(raw)-30], 0o644)
		wantItem(t, path, "the zip file")
	})
	t.Run("corrupted evidence refused at export", func(t *testing.T) {
		w := NewWriter(io.Discard, s)
		err := w.AddEvidence(Evidence{ID: "ev1", Name: "a", SHA256: strings.Repeat("0", 64)}, strings.NewReader("x"))
		if err == nil {
			t.Fatal("evidence that does not hash to its recorded SHA-256 was exported")
		}
	})
}

func wantItem(t *testing.T, path, item string) {
	t.Helper()
	_, err := Verify(path)
	var p *Problem
	if !errors.As(err, &p) || !strings.Contains(p.Item, item) {
		t.Fatalf("Verify = %v, want a Problem naming %q", err, item)
	}
}

// manifestLine changes one field of the manifest entry for path.
func manifestLine(path, field string) func([]byte) []byte {
	return func(b []byte) []byte {
		var m map[string]any
		json.Unmarshal(b, &m)
		for _, f := range m["files"].([]any) {
			f := f.(map[string]any)
			if f["path"] == path {
				switch v := f[field].(type) {
				case string:
					f[field] = strings.Repeat("a", len(v))
				case float64:
					f[field] = v + 1
				}
			}
		}
		out, _ := json.MarshalIndent(m, "", " ")
		return append(out, '\n')
	}
}

// flipSig changes one base64 character of a note's signature.
func flipSig(b []byte) []byte {
	i := bytes.LastIndexByte(b, ' ') + 10
	c := bytes.Clone(b)
	if c[i] == 'A' {
		c[i] = 'B'
	} else {
		c[i] = 'A'
	}
	return c
}

// flipProof flips a bit of the first proof hash on line n of audit.jsonl.
func flipProof(n int) func([]byte) []byte {
	return func(b []byte) []byte {
		lines := bytes.SplitAfter(b, []byte("\n"))
		var a map[string]any
		json.Unmarshal(lines[n-1], &a)
		p := a["proof"].(map[string]any)
		hs := p["hashes"].([]any)
		h := []byte(hs[0].(string))
		if h[0] == 'A' {
			h[0] = 'B'
		} else {
			h[0] = 'A'
		}
		hs[0] = string(h)
		out, _ := json.Marshal(a)
		lines[n-1] = append(out, '\n')
		return bytes.Join(lines, nil)
	}
}

// rewrite copies the zip with member changed.
func rewrite(t *testing.T, src, member string, change func([]byte) []byte) string {
	t.Helper()
	found := false
	path := rewriteZip(t, src, func(zw *zip.Writer, name string, b []byte) bool {
		if name != member {
			return false
		}
		found = true
		w, _ := zw.Create(name)
		w.Write(change(b))
		return true
	})
	if !found {
		t.Fatalf("no %s in the bundle", member)
	}
	return path
}

// rewriteZip copies src member by member; each is handed to fn first, which
// answers whether it took care of it (wrote or dropped it).
func rewriteZip(t *testing.T, src string, fn func(zw *zip.Writer, name string, b []byte) bool) string {
	t.Helper()
	zr, err := zip.OpenReader(src)
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()
	path := filepath.Join(t.TempDir(), "tampered.zip")
	out, _ := os.Create(path)
	defer out.Close()
	zw := zip.NewWriter(out)
	for _, f := range zr.File {
		rc, _ := f.Open()
		b, _ := io.ReadAll(rc)
		rc.Close()
		if fn(zw, f.Name, b) {
			continue
		}
		w, _ := zw.Create(f.Name)
		w.Write(b)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return path
}

func FuzzVerifyReader(f *testing.F) {
	s := signer(f, 1)
	good, _ := os.ReadFile(newFixture(f, s).write(f, s))
	f.Add(good)
	f.Add([]byte("PK\x05\x06" + strings.Repeat("\x00", 18)))
	f.Fuzz(func(t *testing.T, b []byte) {
		sum, err := VerifyReader(bytes.NewReader(b), int64(len(b)))
		if err == nil && !bytes.Equal(b, good) && sum.TreeSize != 20 {
			t.Fatalf("a changed bundle verified: %+v", sum)
		}
	})
}
