// Package audit is kubu's tamper-evident audit log.
//
// Every state change appends one Entry in the same database transaction as
// the change. Each entry is hashed as an RFC 9162 (Certificate Transparency
// v2) Merkle leaf; the leaves form a Merkle tree whose compact range is kept
// in a head row, so appending costs O(log n). Each leaf hash and the head are
// also authenticated with an HMAC under a key derived from the master secret,
// which lets Verify name the first altered or missing entry. Periodically
// Checkpoint signs the tree root with an ed25519 key (also derived from the
// master secret), so outside parties holding the public key can check
// inclusion and consistency without the secret.
package audit

import (
	"context"
	"crypto/ed25519"
	"crypto/hmac"
	"crypto/sha256"
	"database/sql"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/transparency-dev/merkle/compact"
	"github.com/transparency-dev/merkle/rfc6962"

	"github.com/kubu-gov/kubu/internal/audit/tlog"
	"github.com/kubu-gov/kubu/internal/keys"
	"github.com/kubu-gov/kubu/internal/store"
)

// Actor is who made a change: a user id and a label (their email), or
// "system" for kubu itself, or "anonymous" for a public submission.
type Actor struct {
	ID    string
	Label string
}

// System is the actor for changes kubu makes on its own.
var System = Actor{ID: "system", Label: "kubu"}

// Entry is one audit event to append.
type Entry struct {
	Code       Code
	Actor      Actor
	AgencyID   string // the agency the change belongs to ("" for platform-wide)
	TargetType string // e.g. "system", "finding", "user"
	TargetID   string
	Before     any // a JSON-able snapshot before the change, or nil
	After      any // a JSON-able snapshot after the change, or nil
}

// Record is a stored audit event.
type Record struct {
	Seq        int64           `json:"seq"`
	At         time.Time       `json:"at"`
	Code       string          `json:"code"`
	Name       string          `json:"name"`
	ActorID    string          `json:"actor_id"`
	ActorLabel string          `json:"actor"`
	AgencyID   string          `json:"agency_id,omitempty"`
	TargetType string          `json:"target_type"`
	TargetID   string          `json:"target_id"`
	Before     json.RawMessage `json:"before,omitempty"`
	After      json.RawMessage `json:"after,omitempty"`
	LeafHash   string          `json:"leaf_hash"`
}

// Log appends to and reads the audit log.
type Log struct {
	db      *store.DB
	macKey  []byte
	signKey ed25519.PrivateKey
	signer  *tlog.Signer
	now     func() time.Time
}

// New returns the audit log over db, keyed from ring.
func New(db *store.DB, ring *keys.Ring) *Log {
	l := &Log{
		db:      db,
		macKey:  ring.Derive("audit/mac", 32),
		signKey: ring.SigningKey("audit/checkpoint"),
		now:     time.Now,
	}
	s, err := tlog.NewSigner(tlog.KeyName, l.signKey)
	if err != nil {
		panic(err) // the key name is a valid constant
	}
	l.signer = s
	return l
}

// PublicKey is the key that verifies checkpoint signatures.
func (l *Log) PublicKey() ed25519.PublicKey { return l.signKey.Public().(ed25519.PublicKey) }

// VerifierKey is the public key as a named signed-note verifier key, with
// its fingerprint: what outside parties keep to check checkpoints.
func (l *Log) VerifierKey() *tlog.PublicKey { return l.signer.Public() }

var hasher = rfc6962.DefaultHasher
var rangeFactory = compact.RangeFactory{Hash: hasher.HashChildren}

// Append writes e inside tx and returns its sequence number. The caller's
// change and the audit entry commit or roll back together.
func (l *Log) Append(ctx context.Context, tx *sql.Tx, e Entry) (int64, error) {
	if e.Code.ID == "" || e.TargetType == "" {
		return 0, errors.New("audit: entry needs a code and a target type")
	}
	before, err := snapshot(e.Before)
	if err != nil {
		return 0, fmt.Errorf("audit: before: %w", err)
	}
	after, err := snapshot(e.After)
	if err != nil {
		return 0, fmt.Errorf("audit: after: %w", err)
	}
	h, err := l.lockHead(ctx, tx)
	if err != nil {
		return 0, err
	}
	rec := Record{
		Seq: h.size + 1, At: l.now().UTC().Truncate(time.Millisecond), Code: e.Code.ID,
		ActorID: e.Actor.ID, ActorLabel: e.Actor.Label, AgencyID: e.AgencyID,
		TargetType: e.TargetType, TargetID: e.TargetID, Before: before, After: after,
	}
	leaf := leafHash(&rec)
	if err := h.rng.Append(leaf, nil); err != nil {
		return 0, err
	}
	rec.LeafHash = hex.EncodeToString(leaf)
	_, err = tx.ExecContext(ctx, `INSERT INTO audit_log
		(seq, at, code, actor_id, actor_label, agency_id, target_type, target_id, before_json, after_json, leaf_hash, mac)
		VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12)`,
		rec.Seq, rec.At.UnixMilli(), rec.Code, rec.ActorID, rec.ActorLabel, rec.AgencyID,
		rec.TargetType, rec.TargetID, string(rec.Before), string(rec.After), rec.LeafHash,
		l.entryMAC(rec.Seq, leaf))
	if err != nil {
		return 0, fmt.Errorf("audit: insert: %w", err)
	}
	compactText := encodeHashes(h.rng.Hashes())
	_, err = tx.ExecContext(ctx, `UPDATE audit_head SET size = $1, compact = $2, mac = $3 WHERE id = 1`,
		rec.Seq, compactText, l.headMAC(rec.Seq, compactText))
	if err != nil {
		return 0, fmt.Errorf("audit: head: %w", err)
	}
	return rec.Seq, nil
}

type head struct {
	size int64
	rng  *compact.Range
}

func (l *Log) lockHead(ctx context.Context, q store.Querier) (head, error) {
	var size int64
	var compactText string
	err := q.QueryRowContext(ctx, `SELECT size, compact FROM audit_head WHERE id = 1`+l.db.Dialect.ForUpdate).Scan(&size, &compactText)
	if err != nil {
		return head{}, fmt.Errorf("audit: read head: %w", err)
	}
	hashes, err := decodeHashes(compactText)
	if err != nil {
		return head{}, fmt.Errorf("audit: head: %w", err)
	}
	rng, err := rangeFactory.NewRange(0, uint64(size), hashes)
	if err != nil {
		return head{}, fmt.Errorf("audit: head range: %w", err)
	}
	return head{size: size, rng: rng}, nil
}

// snapshot turns a before/after value into compact JSON ("" for nil).
func snapshot(v any) (json.RawMessage, error) {
	if v == nil {
		return nil, nil
	}
	if raw, ok := v.(json.RawMessage); ok {
		return raw, nil
	}
	return json.Marshal(v)
}

// leafHash is the RFC 9162 leaf hash of the entry's canonical bytes (see
// tlog.Entry.LeafHash).
func leafHash(r *Record) []byte { return r.Entry().LeafHash() }

// Entry is the record in its canonical offline form, the one its leaf hash
// covers.
func (r *Record) Entry() tlog.Entry {
	return tlog.Entry{Seq: r.Seq, At: r.At, Code: r.Code, ActorID: r.ActorID, ActorLabel: r.ActorLabel,
		AgencyID: r.AgencyID, TargetType: r.TargetType, TargetID: r.TargetID, Before: string(r.Before), After: string(r.After)}
}

func (l *Log) entryMAC(seq int64, leaf []byte) string {
	m := hmac.New(sha256.New, l.macKey)
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], uint64(seq))
	m.Write([]byte("entry"))
	m.Write(b[:])
	m.Write(leaf)
	return hex.EncodeToString(m.Sum(nil))
}

func (l *Log) headMAC(size int64, compactText string) string {
	m := hmac.New(sha256.New, l.macKey)
	fmt.Fprintf(m, "head\n%d\n%s", size, compactText)
	return hex.EncodeToString(m.Sum(nil))
}

func encodeHashes(hs [][]byte) string {
	parts := make([]string, len(hs))
	for i, h := range hs {
		parts[i] = hex.EncodeToString(h)
	}
	return strings.Join(parts, ",")
}

func decodeHashes(s string) ([][]byte, error) {
	if s == "" {
		return nil, nil
	}
	parts := strings.Split(s, ",")
	out := make([][]byte, len(parts))
	for i, p := range parts {
		b, err := hex.DecodeString(p)
		if err != nil || len(b) != sha256.Size {
			return nil, fmt.Errorf("bad hash %q", p)
		}
		out[i] = b
	}
	return out, nil
}
