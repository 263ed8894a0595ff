package bundle

import (
	"archive/zip"
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"strings"
	"time"

	"github.com/kubu-gov/kubu/internal/audit/tlog"
)

// Problem names the first bad item of a bundle.
type Problem struct {
	Item   string // a file in the zip, or an entry such as "audit entry 57 (audit.jsonl line 3)"
	Reason string
}

func (p *Problem) Error() string { return p.Item + ": " + p.Reason }

func bad(item, format string, args ...any) *Problem {
	return &Problem{Item: item, Reason: fmt.Sprintf(format, args...)}
}

// Summary describes a bundle that verified.
type Summary struct {
	Incident        Incident
	CreatedAt       time.Time
	KeyFingerprint  string
	TreeSize        uint64
	RootHash        []byte
	Files           int
	EvidenceFiles   int
	EvidenceBytes   int64
	AuditEntries    int
	CustodyEntries  int
	TimelineEntries int
}

// Limits on what Verify reads into memory (everything else streams).
const (
	maxManifest = 64 << 20
	maxSmall    = 1 << 20  // checkpoint, public key, manifest.sig
	maxLine     = 64 << 20 // one JSON line
)

// Verify checks the bundle at path without a database and returns a
// *Problem naming the first bad item, or a summary when all of it checks.
func Verify(path string) (Summary, error) {
	f, err := os.Open(path)
	if err != nil {
		return Summary{}, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return Summary{}, err
	}
	return VerifyReader(f, st.Size())
}

// VerifyReader is Verify over an open zip.
func VerifyReader(r io.ReaderAt, size int64) (Summary, error) {
	zr, err := zip.NewReader(r, size)
	if err != nil {
		return Summary{}, bad("the zip file", "cannot be read as a zip: %v", err)
	}
	v := &verifier{zip: map[string]*zip.File{}, audit: map[int64]string{}}
	for _, f := range zr.File {
		if v.zip[f.Name] != nil {
			return Summary{}, bad(f.Name, "appears twice in the zip")
		}
		v.zip[f.Name] = f
	}
	return v.run()
}

type verifier struct {
	zip    map[string]*zip.File
	m      Manifest
	raw    []byte // manifest.json as stored
	key    *tlog.PublicKey
	cp     tlog.Checkpoint
	audit  map[int64]string // seq → after_json
	sum    Summary
	byKind map[string][]File
	listed map[string]File
}

func (v *verifier) run() (Summary, error) {
	steps := []func() error{v.manifest, v.files, v.publicKey, v.checkpoint, v.auditEntries, v.custody, v.timeline, v.evidence, v.signature}
	for _, s := range steps {
		if err := s(); err != nil {
			return Summary{}, err
		}
	}
	v.sum.Incident, v.sum.CreatedAt, v.sum.KeyFingerprint = v.m.Incident, v.m.CreatedAt, v.key.Fingerprint()
	v.sum.TreeSize, v.sum.RootHash, v.sum.Files = v.cp.Size, v.cp.Root, len(v.m.Files)
	return v.sum, nil
}

func (v *verifier) manifest() error {
	zf := v.zip[ManifestFile]
	if zf == nil {
		return bad(ManifestFile, "missing from the zip")
	}
	raw, err := readAll(zf, maxManifest)
	if err != nil {
		return bad(ManifestFile, "%v", err)
	}
	v.raw = raw
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&v.m); err != nil {
		return bad(ManifestFile, "not a manifest: %v", err)
	}
	if dec.More() {
		return bad(ManifestFile, "has data after the manifest")
	}
	if v.m.Format != Format {
		return bad(ManifestFile, "format %q is not %q", v.m.Format, Format)
	}
	return nil
}

// files checks that the zip holds exactly the listed files, at safe paths.
func (v *verifier) files() error {
	v.byKind, v.listed = map[string][]File{}, map[string]File{}
	for i, f := range v.m.Files {
		item := fmt.Sprintf("%s (file %d of the manifest)", ManifestFile, i+1)
		if f.Path == "" || f.Path == ManifestFile || f.Path == ManifestSig || strings.HasPrefix(f.Path, "/") ||
			strings.Contains(f.Path, "\\") || path.Clean(f.Path) != f.Path || strings.HasPrefix(f.Path, "../") {
			return bad(item, "bad path %q", f.Path)
		}
		if _, dup := v.listed[f.Path]; dup {
			return bad(item, "lists %s twice", f.Path)
		}
		if _, err := hex.DecodeString(f.SHA256); err != nil || len(f.SHA256) != 64 || f.Size < 0 {
			return bad(item, "bad SHA-256 or size for %s", f.Path)
		}
		switch f.Kind {
		case KindCheckpoint, KindPublicKey, KindAudit, KindCustody, KindTimeline:
			if len(v.byKind[f.Kind]) > 0 {
				return bad(item, "a second %s file", f.Kind)
			}
		case KindEvidence:
			if f.EvidenceID == "" || !strings.HasPrefix(f.Path, "evidence/"+f.EvidenceID+"/") {
				return bad(item, "evidence file %s without its evidence id in its path", f.Path)
			}
		default:
			return bad(item, "unknown kind %q", f.Kind)
		}
		v.byKind[f.Kind] = append(v.byKind[f.Kind], f)
		v.listed[f.Path] = f
		if v.zip[f.Path] == nil {
			return bad(f.Path, "listed in the manifest but missing from the zip")
		}
	}
	for name := range v.zip {
		if _, ok := v.listed[name]; !ok && name != ManifestFile && name != ManifestSig {
			return bad(name, "in the zip but not in the manifest")
		}
	}
	for _, k := range []string{KindCheckpoint, KindPublicKey, KindAudit} {
		if len(v.byKind[k]) == 0 {
			return bad(ManifestFile, "lists no %s file", k)
		}
	}
	return nil
}

// small reads a small listed file and checks it against the manifest.
func (v *verifier) small(f File) ([]byte, error) {
	b, err := readAll(v.zip[f.Path], maxSmall)
	if err != nil {
		return nil, bad(f.Path, "%v", err)
	}
	if err := matches(f, int64(len(b)), sha256.Sum256(b)); err != nil {
		return nil, err
	}
	return b, nil
}

func matches(f File, n int64, sum [32]byte) error {
	if got := hex.EncodeToString(sum[:]); got != strings.ToLower(f.SHA256) || n != f.Size {
		return bad(f.Path, "SHA-256 %s (%d bytes) does not match the manifest's %s (%d bytes): the file or its manifest line was changed",
			got, n, f.SHA256, f.Size)
	}
	return nil
}

func (v *verifier) publicKey() error {
	f := v.byKind[KindPublicKey][0]
	b, err := v.small(f)
	if err != nil {
		return err
	}
	k, err := tlog.ParsePublicKey(string(b))
	if err != nil {
		return bad(f.Path, "%v", err)
	}
	if k.Fingerprint() != v.m.KeyFingerprint {
		return bad(f.Path, "the key's fingerprint %s is not the manifest's key_fingerprint %s", k.Fingerprint(), v.m.KeyFingerprint)
	}
	v.key = k
	return nil
}

func (v *verifier) checkpoint() error {
	f := v.byKind[KindCheckpoint][0]
	b, err := v.small(f)
	if err != nil {
		return err
	}
	cp, err := tlog.OpenCheckpoint(b, v.key)
	if err != nil {
		return bad(f.Path, "%v", err)
	}
	if cp.Origin != tlog.Origin {
		return bad(f.Path, "a checkpoint of %q, not of %q", cp.Origin, tlog.Origin)
	}
	if cp.Size != v.m.Checkpoint.TreeSize || !bytes.Equal(cp.Root, v.m.Checkpoint.RootHash) {
		return bad(ManifestFile, "its checkpoint (tree size %d) is not the one in %s (tree size %d)", v.m.Checkpoint.TreeSize, f.Path, cp.Size)
	}
	v.cp = cp
	return nil
}

// lines streams a listed JSON Lines file, hands each line to fn, and then
// checks the whole file against the manifest.
func (v *verifier) lines(f File, fn func(n int, line []byte) error) error {
	rc, err := v.zip[f.Path].Open()
	if err != nil {
		return bad(f.Path, "%v", err)
	}
	defer rc.Close()
	h := sha256.New()
	cr := &countReader{r: io.LimitReader(rc, f.Size+1)}
	br := bufio.NewReaderSize(io.TeeReader(cr, h), 64<<10)
	for n := 1; ; n++ {
		line, err := readLine(br)
		if len(line) > 0 {
			if lerr := fn(n, line); lerr != nil {
				return lerr
			}
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			return bad(fmt.Sprintf("%s line %d", f.Path, n), "%v", err)
		}
	}
	var sum [32]byte
	copy(sum[:], h.Sum(nil))
	return matches(f, cr.n, sum)
}

func readLine(br *bufio.Reader) ([]byte, error) {
	var out []byte
	for {
		chunk, err := br.ReadSlice('\n')
		out = append(out, chunk...)
		if len(out) > maxLine {
			return nil, fmt.Errorf("line longer than %d bytes", maxLine)
		}
		if err == bufio.ErrBufferFull {
			continue
		}
		return out, err
	}
}

func strict(line []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(line))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if dec.More() {
		return errors.New("more than one JSON value on the line")
	}
	return nil
}

func (v *verifier) auditEntries() error {
	f := v.byKind[KindAudit][0]
	var last int64
	return v.lines(f, func(n int, line []byte) error {
		var a AuditEntry
		if err := strict(line, &a); err != nil {
			return bad(fmt.Sprintf("%s line %d", f.Path, n), "not an audit entry: %v", err)
		}
		item := fmt.Sprintf("audit entry %d (%s line %d)", a.Seq, f.Path, n)
		if a.Seq <= last {
			return bad(item, "out of order or repeated (after entry %d)", last)
		}
		last = a.Seq
		leaf := a.Entry.LeafHash()
		if hex.EncodeToString(leaf) != a.LeafHash {
			return bad(item, "its content does not match its leaf hash (the entry was changed)")
		}
		if a.Proof.TreeSize != v.cp.Size || a.Proof.LeafIndex != uint64(a.Seq-1) {
			return bad(item, "its proof is for leaf %d of a tree of %d, not leaf %d of the checkpoint's %d",
				a.Proof.LeafIndex, a.Proof.TreeSize, a.Seq-1, v.cp.Size)
		}
		if err := a.Proof.Verify(leaf, v.cp.Root); err != nil {
			return bad(item, "its inclusion proof does not lead to the signed checkpoint's root (the proof or the entry was changed)")
		}
		v.audit[a.Seq] = a.After
		v.sum.AuditEntries++
		return nil
	})
}

// custodyRecord is what a custody entry's audit entry records.
type custodyRecord struct {
	EvidenceID string    `json:"evidence_id"`
	At         time.Time `json:"at"`
	Actor      string    `json:"actor"`
	Action     string    `json:"action"`
	Note       string    `json:"note"`
	To         string    `json:"to"`
}

func (v *verifier) custody() error {
	fs := v.byKind[KindCustody]
	if len(fs) == 0 {
		return nil
	}
	f := fs[0]
	return v.lines(f, func(n int, line []byte) error {
		var c CustodyEntry
		if err := strict(line, &c); err != nil {
			return bad(fmt.Sprintf("custody entry %d (%s line %d)", n, f.Path, n), "not a custody entry: %v", err)
		}
		item := fmt.Sprintf("custody entry %d (%s line %d, evidence %s)", n, f.Path, n, c.EvidenceID)
		after, ok := v.audit[c.AuditSeq]
		if !ok {
			return bad(item, "cites audit entry %d, which is not in the bundle", c.AuditSeq)
		}
		var rec custodyRecord
		if err := json.Unmarshal([]byte(after), &rec); err != nil {
			return bad(item, "audit entry %d does not record a custody entry", c.AuditSeq)
		}
		got := custodyRecord{c.EvidenceID, c.At, c.Actor, c.Action, c.Note, c.To}
		if !got.At.Equal(rec.At) || got.EvidenceID != rec.EvidenceID || got.Actor != rec.Actor || got.Action != rec.Action ||
			got.Note != rec.Note || got.To != rec.To {
			return bad(item, "differs from what audit entry %d recorded", c.AuditSeq)
		}
		v.sum.CustodyEntries++
		return nil
	})
}

func (v *verifier) timeline() error {
	fs := v.byKind[KindTimeline]
	if len(fs) == 0 {
		return nil
	}
	f := fs[0]
	return v.lines(f, func(n int, line []byte) error {
		var e TimelineEntry
		if err := strict(line, &e); err != nil {
			return bad(fmt.Sprintf("timeline entry %d (%s line %d)", n, f.Path, n), "not a timeline entry: %v", err)
		}
		v.sum.TimelineEntries++
		return nil
	})
}

func (v *verifier) evidence() error {
	for _, f := range v.byKind[KindEvidence] {
		rc, err := v.zip[f.Path].Open()
		if err != nil {
			return bad(f.Path, "%v", err)
		}
		h := sha256.New()
		n, err := io.CopyBuffer(h, io.LimitReader(rc, f.Size+1), make([]byte, 256<<10))
		rc.Close()
		if err != nil {
			return bad(f.Path, "cannot be read: %v (the zip data was changed)", err)
		}
		var sum [32]byte
		copy(sum[:], h.Sum(nil))
		if err := matches(f, n, sum); err != nil {
			return err
		}
		if f.AuditSeq != 0 {
			after, ok := v.audit[f.AuditSeq]
			if !ok {
				return bad(f.Path, "cites audit entry %d, which is not in the bundle", f.AuditSeq)
			}
			var rec struct {
				SHA256 string `json:"sha256"`
				Size   int64  `json:"size"`
			}
			if json.Unmarshal([]byte(after), &rec) != nil || !strings.EqualFold(rec.SHA256, f.SHA256) || rec.Size != f.Size {
				return bad(f.Path, "its SHA-256 is not the one audit entry %d recorded at intake", f.AuditSeq)
			}
		}
		v.sum.EvidenceFiles++
		v.sum.EvidenceBytes += n
	}
	return nil
}

func (v *verifier) signature() error {
	zf := v.zip[ManifestSig]
	if zf == nil {
		return bad(ManifestSig, "missing from the zip")
	}
	b, err := readAll(zf, maxSmall)
	if err != nil {
		return bad(ManifestSig, "%v", err)
	}
	text, err := tlog.Open(b, v.key)
	if err != nil {
		return bad(ManifestSig, "%v", err)
	}
	if text != manifestNote(v.raw) {
		return bad(ManifestFile, "changed after it was signed (%s signs another manifest)", ManifestSig)
	}
	return nil
}

func readAll(zf *zip.File, limit int64) ([]byte, error) {
	if zf.UncompressedSize64 > uint64(limit) {
		return nil, fmt.Errorf("larger than %d bytes", limit)
	}
	rc, err := zf.Open()
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	b, err := io.ReadAll(io.LimitReader(rc, limit+1))
	if err != nil {
		return nil, fmt.Errorf("cannot be read: %v (the zip data was changed)", err)
	}
	if int64(len(b)) > limit {
		return nil, fmt.Errorf("larger than %d bytes", limit)
	}
	return b, nil
}

type countReader struct {
	r io.Reader
	n int64
}

func (c *countReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}
