// Package tlog is the offline half of kubu's audit log: everything a party
// without kubu's database or secret needs to check what the log says.
//
//   - Entry and its RFC 9162 leaf hash (the canonical bytes of an audit entry);
//   - Checkpoint: a signed tree head in the C2SP tlog-checkpoint format, signed
//     as a C2SP signed note with an ed25519 key (the format of the Go checksum
//     database and of Sigstore/Trillian witnesses);
//   - verifier keys and key fingerprints;
//   - building RFC 9162 inclusion and consistency proofs from a stream of leaf
//     hashes (Prover), and verifying them.
//
// It depends on nothing else in kubu, so bundle verification and outside
// tools can use it alone.
package tlog

import (
	"encoding/json"
	"time"

	"github.com/transparency-dev/merkle/rfc6962"
)

// Entry is one audit log entry in its canonical, offline form.
type Entry struct {
	Seq        int64     `json:"seq"` // 1-based; the leaf index is Seq-1
	At         time.Time `json:"at"`  // UTC, millisecond precision
	Code       string    `json:"code"`
	ActorID    string    `json:"actor_id"`
	ActorLabel string    `json:"actor"`
	AgencyID   string    `json:"agency_id"`
	TargetType string    `json:"target_type"`
	TargetID   string    `json:"target_id"`
	Before     string    `json:"before_json"` // the exact stored bytes of the snapshot ("" for none)
	After      string    `json:"after_json"`
}

// hasher is RFC 9162's SHA-256 tree hasher (leaf prefix 0x00, node prefix 0x01).
var hasher = rfc6962.DefaultHasher

// LeafHash is the RFC 9162 leaf hash of the entry: SHA-256(0x00 || bytes)
// where bytes is a JSON array of its fields in a fixed order:
// [seq, at (Unix ms), code, actor_id, actor, agency_id, target_type,
// target_id, before_json, after_json].
func (e Entry) LeafHash() []byte {
	b, _ := json.Marshal([]any{e.Seq, e.At.UnixMilli(), e.Code, e.ActorID, e.ActorLabel, e.AgencyID,
		e.TargetType, e.TargetID, e.Before, e.After})
	return hasher.HashLeaf(b)
}

// HashChildren is the RFC 9162 interior node hash SHA-256(0x01 || l || r).
func HashChildren(l, r []byte) []byte { return hasher.HashChildren(l, r) }

// EmptyRoot is the root hash of the empty tree.
func EmptyRoot() []byte { return hasher.EmptyRoot() }
