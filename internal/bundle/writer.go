package bundle

import (
	"archive/zip"
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"io"
	"strings"
	"time"
	"unicode"

	"github.com/kubu-gov/kubu/internal/audit/tlog"
)

// Signer signs a note body with the key that signed the checkpoint (kubu's
// audit.Log.SignNote).
type Signer interface {
	SignNote(body string) ([]byte, error)
}

// Contents is everything in a bundle but the evidence files.
type Contents struct {
	Incident   Incident
	CreatedAt  time.Time
	CreatedBy  string
	Checkpoint []byte          // the signed checkpoint note
	PublicKey  *tlog.PublicKey // the key that signed it
	Audit      []AuditEntry    // oldest first
	Custody    []CustodyEntry  // oldest first
	Timeline   []TimelineEntry // oldest first
}

// Writer streams a bundle into a zip: evidence files pass through in
// fixed-size pieces (never whole in memory) while their SHA-256 is taken;
// Finish writes the rest and the signed manifest.
type Writer struct {
	zw     *zip.Writer
	signer Signer
	files  []File
	names  map[string]bool
	done   bool
}

// NewWriter starts a bundle on w.
func NewWriter(w io.Writer, s Signer) *Writer {
	return &Writer{zw: zip.NewWriter(w), signer: s, names: map[string]bool{}}
}

// AddEvidence streams one evidence file into the bundle. When e.SHA256 is
// set, content that hashes otherwise is an error (a corrupted file is never
// exported as if it were the evidence).
func (w *Writer) AddEvidence(e Evidence, r io.Reader) error {
	if e.ID == "" || strings.ContainsAny(e.ID, "/\\") {
		return fmt.Errorf("bundle: evidence id %q", e.ID)
	}
	path := "evidence/" + e.ID + "/" + safeName(e.Name)
	f, err := w.copy(path, KindEvidence, zip.Store, r)
	if err != nil {
		return err
	}
	if e.SHA256 != "" && !strings.EqualFold(e.SHA256, f.SHA256) {
		return fmt.Errorf("bundle: evidence %s hashes to %s, not the recorded %s", e.ID, f.SHA256, e.SHA256)
	}
	f.EvidenceID, f.Name, f.Description, f.AuditSeq = e.ID, e.Name, e.Description, e.AuditSeq
	w.files[len(w.files)-1] = f
	return nil
}

// Finish writes the audit entries, custody, timeline, checkpoint, public
// key and the signed manifest, and closes the zip (not the underlying
// writer).
func (w *Writer) Finish(c Contents) (Manifest, error) {
	if w.done {
		return Manifest{}, errors.New("bundle: finished twice")
	}
	w.done = true
	if c.PublicKey == nil || len(c.Checkpoint) == 0 {
		return Manifest{}, errors.New("bundle: a checkpoint and its public key are required")
	}
	cp, err := tlog.OpenCheckpoint(c.Checkpoint, c.PublicKey)
	if err != nil {
		return Manifest{}, fmt.Errorf("bundle: checkpoint: %w", err)
	}
	for _, a := range c.Audit {
		if err := a.Proof.Verify(a.Entry.LeafHash(), cp.Root); err != nil || a.Proof.TreeSize != cp.Size {
			return Manifest{}, fmt.Errorf("bundle: audit entry %d: its proof does not lead to the checkpoint", a.Seq)
		}
	}
	if _, err := w.copy(CheckpointFile, KindCheckpoint, zip.Deflate, strings.NewReader(string(c.Checkpoint))); err != nil {
		return Manifest{}, err
	}
	if _, err := w.copy(PublicKeyFile, KindPublicKey, zip.Deflate, strings.NewReader(c.PublicKey.String()+"\n")); err != nil {
		return Manifest{}, err
	}
	if err := writeLines(w, AuditFile, KindAudit, c.Audit, func(a AuditEntry) any {
		a.LeafHash = hex.EncodeToString(a.Entry.LeafHash())
		return a
	}); err != nil {
		return Manifest{}, err
	}
	if err := writeLines(w, CustodyFile, KindCustody, c.Custody, func(x CustodyEntry) any { return x }); err != nil {
		return Manifest{}, err
	}
	if err := writeLines(w, TimelineFile, KindTimeline, c.Timeline, func(x TimelineEntry) any { return x }); err != nil {
		return Manifest{}, err
	}
	at := c.CreatedAt
	if at.IsZero() {
		at = time.Now()
	}
	m := Manifest{Format: Format, CreatedAt: at.UTC().Truncate(time.Millisecond), CreatedBy: c.CreatedBy, Incident: c.Incident,
		KeyFingerprint: c.PublicKey.Fingerprint(), Checkpoint: CheckpointInfo{TreeSize: cp.Size, RootHash: cp.Root}, Files: w.files}
	body, err := json.MarshalIndent(m, "", " ")
	if err != nil {
		return Manifest{}, err
	}
	body = append(body, '\n')
	if err := w.put(ManifestFile, body); err != nil {
		return Manifest{}, err
	}
	sig, err := w.signer.SignNote(manifestNote(body))
	if err != nil {
		return Manifest{}, fmt.Errorf("bundle: sign the manifest: %w", err)
	}
	if err := w.put(ManifestSig, sig); err != nil {
		return Manifest{}, err
	}
	return m, w.zw.Close()
}

// manifestNote is the body manifest.sig signs.
func manifestNote(manifest []byte) string {
	s := sha256.Sum256(manifest)
	return ManifestSigOrigin + "\n" + hex.EncodeToString(s[:]) + "\n"
}

func writeLines[T any](w *Writer, path, kind string, items []T, shape func(T) any) error {
	pr, pw := io.Pipe()
	go func() {
		bw := bufio.NewWriter(pw)
		enc := json.NewEncoder(bw)
		enc.SetEscapeHTML(false)
		for _, it := range items {
			if err := enc.Encode(shape(it)); err != nil {
				pw.CloseWithError(err)
				return
			}
		}
		pw.CloseWithError(bw.Flush())
	}()
	_, err := w.copy(path, kind, zip.Deflate, pr)
	pr.Close()
	return err
}

func (w *Writer) put(path string, b []byte) error {
	if w.names[path] {
		return fmt.Errorf("bundle: %s twice", path)
	}
	w.names[path] = true
	fw, err := w.zw.CreateHeader(&zip.FileHeader{Name: path, Method: zip.Deflate, Modified: time.Now().UTC()})
	if err != nil {
		return err
	}
	_, err = fw.Write(b)
	return err
}

// copy streams r into the zip as path and records its hash and size.
func (w *Writer) copy(path, kind string, method uint16, r io.Reader) (File, error) {
	if w.names[path] {
		return File{}, fmt.Errorf("bundle: %s twice", path)
	}
	w.names[path] = true
	fw, err := w.zw.CreateHeader(&zip.FileHeader{Name: path, Method: method, Modified: time.Now().UTC()})
	if err != nil {
		return File{}, err
	}
	h := sha256.New()
	n, err := io.CopyBuffer(io.MultiWriter(fw, h), r, make([]byte, 256<<10))
	if err != nil {
		return File{}, fmt.Errorf("bundle: %s: %w", path, err)
	}
	f := File{Path: path, Kind: kind, SHA256: hexSum(h), Size: n}
	w.files = append(w.files, f)
	return f, nil
}

func hexSum(h hash.Hash) string { return hex.EncodeToString(h.Sum(nil)) }

// safeName makes a file name safe as one zip path element.
func safeName(name string) string {
	var b strings.Builder
	for _, r := range name {
		switch {
		case r == '/' || r == '\\' || r == ':' || unicode.IsControl(r):
			b.WriteRune('_')
		default:
			b.WriteRune(r)
		}
	}
	s := strings.Trim(b.String(), ". ")
	if s == "" {
		s = "file"
	}
	if len(s) > 200 {
		s = strings.ToValidUTF8(s[:200], "")
	}
	return s
}
