// Package bundle writes and verifies case bundles: one zip per incident that
// a court or another agency can check offline, without kubu's database,
// server or secret.
//
// A bundle holds
//
//	manifest.json    every other file with its SHA-256 and size, the incident's id and title,
//	                 the checkpoint (tree size, root) and the fingerprint of the key that signed it
//	manifest.sig     a signed note over the SHA-256 of manifest.json, by the same key
//	checkpoint.txt   a signed checkpoint of kubu's audit log (C2SP signed note)
//	public-key.txt   the key that signed both, as a signed-note verifier key
//	audit.jsonl      the incident's audit entries, each with its RFC 9162 inclusion proof
//	custody.jsonl    the chain of custody of every evidence item; each entry cites its audit entry
//	timeline.jsonl   the incident's timeline
//	evidence/ID/NAME the evidence files; each cites the audit entry that recorded its hash at intake
//
// Verify checks all of it and names the first bad item. What it proves: every
// file is the one the manifest lists, the manifest is the one kubu signed,
// every audit entry is in kubu's log at the signed checkpoint, every custody
// entry and every evidence hash is the one the audit log recorded. What it
// cannot prove offline: that no entry was left out (compare the checkpoint
// with one kept elsewhere for that), and that the key is kubu's (compare the
// fingerprint with one obtained from the agency).
//
// The package depends on nothing else in kubu but the offline audit package
// tlog: anyone can fill its plain input structs.
package bundle

import (
	"time"

	"github.com/kubu-gov/kubu/internal/audit/tlog"
)

// Format names this bundle format in manifest.json.
const Format = "kubu-case-bundle/1"

// ManifestSigOrigin is the first line of the note manifest.sig signs.
const ManifestSigOrigin = "kubu case bundle manifest"

// Fixed file names.
const (
	ManifestFile   = "manifest.json"
	ManifestSig    = "manifest.sig"
	CheckpointFile = "checkpoint.txt"
	PublicKeyFile  = "public-key.txt"
	AuditFile      = "audit.jsonl"
	CustodyFile    = "custody.jsonl"
	TimelineFile   = "timeline.jsonl"
)

// File kinds in the manifest.
const (
	KindCheckpoint = "checkpoint"
	KindPublicKey  = "public_key"
	KindAudit      = "audit"
	KindCustody    = "custody"
	KindTimeline   = "timeline"
	KindEvidence   = "evidence"
)

// Incident is what the bundle is about.
type Incident struct {
	ID       string   `json:"id"`
	Title    string   `json:"title"`
	Agencies []string `json:"agencies,omitempty"`
}

// TimelineEntry is one line of the incident's timeline (contract §6).
type TimelineEntry struct {
	At    time.Time `json:"at"`
	Kind  string    `json:"kind"`
	Actor string    `json:"actor"`
	Text  string    `json:"text"`
}

// CustodyEntry is one chain-of-custody entry of an evidence item. The audit
// entry it cites (AuditSeq) must carry the same fields in its after
// snapshot: {"evidence_id","at","actor","action","note","to"}.
type CustodyEntry struct {
	EvidenceID string    `json:"evidence_id"`
	At         time.Time `json:"at"`
	Actor      string    `json:"actor"`
	Action     string    `json:"action"`
	Note       string    `json:"note"`
	To         string    `json:"to,omitempty"`
	AuditSeq   int64     `json:"audit_seq"`
}

// AuditEntry is an audit log entry with its inclusion proof against the
// bundle's checkpoint.
type AuditEntry struct {
	tlog.Entry
	Name     string              `json:"name,omitempty"` // the code's name, for readers
	LeafHash string              `json:"leaf_hash"`      // hex; recomputed by Verify
	Proof    tlog.InclusionProof `json:"proof"`
}

// Evidence describes one evidence file going into the bundle.
type Evidence struct {
	ID          string `json:"evidence_id"`
	Name        string `json:"name"`                  // the original file name
	Description string `json:"description,omitempty"` // shown to readers
	SHA256      string `json:"-"`                     // when set, the streamed content must hash to it
	AuditSeq    int64  `json:"audit_seq,omitempty"`   // the audit entry whose after snapshot records {"sha256","size"} at intake
}

// Manifest is manifest.json.
type Manifest struct {
	Format         string         `json:"format"`
	CreatedAt      time.Time      `json:"created_at"`
	CreatedBy      string         `json:"created_by,omitempty"`
	Incident       Incident       `json:"incident"`
	KeyFingerprint string         `json:"key_fingerprint"`
	Checkpoint     CheckpointInfo `json:"checkpoint"`
	Files          []File         `json:"files"`
}

// CheckpointInfo repeats the checkpoint's tree size and root for readers.
type CheckpointInfo struct {
	TreeSize uint64 `json:"tree_size"`
	RootHash []byte `json:"root_hash"` // base64, as in the checkpoint
}

// File is one manifest entry.
type File struct {
	Path        string `json:"path"`
	Kind        string `json:"kind"`
	SHA256      string `json:"sha256"`
	Size        int64  `json:"size"`
	EvidenceID  string `json:"evidence_id,omitempty"`
	Name        string `json:"name,omitempty"`
	Description string `json:"description,omitempty"`
	AuditSeq    int64  `json:"audit_seq,omitempty"`
}
