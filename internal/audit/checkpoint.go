package audit

import (
	"context"
	"crypto/ed25519"
	"database/sql"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/kubu-gov/kubu/internal/audit/tlog"

	"github.com/kubu-gov/kubu/internal/store"
)

// Checkpoint is a signed statement of the tree's size and root hash.
type Checkpoint struct {
	TreeSize  int64     `json:"tree_size"`
	RootHash  string    `json:"root_hash"` // hex
	At        time.Time `json:"at"`
	Signature string    `json:"signature"` // base64 ed25519 over Note()
}

// Note is the exact text a checkpoint signature covers: a C2SP
// tlog-checkpoint body whose one extension line is the signing time in Unix
// milliseconds.
func (c Checkpoint) Note() string { return c.Tlog().Body() }

// Tlog is the checkpoint in the offline form of package tlog.
func (c Checkpoint) Tlog() tlog.Checkpoint {
	root, _ := hex.DecodeString(c.RootHash)
	return tlog.Checkpoint{Origin: tlog.Origin, Size: uint64(c.TreeSize), Root: root,
		Extensions: []string{strconv.FormatInt(c.At.UnixMilli(), 10)}}
}

// SignedNote is the checkpoint as a C2SP signed note, built from its stored
// signature (never re-signed: a stored checkpoint altered in the database
// fails here instead of being signed afresh).
func (l *Log) SignedNote(c Checkpoint) ([]byte, error) {
	sig, err := base64.StdEncoding.DecodeString(c.Signature)
	if err != nil {
		return nil, fmt.Errorf("audit: checkpoint %d: bad signature encoding", c.TreeSize)
	}
	var h [4]byte
	binary.BigEndian.PutUint32(h[:], l.signer.KeyHash())
	msg := []byte(c.Note() + "\n— " + l.signer.Name() + " " + base64.StdEncoding.EncodeToString(append(h[:], sig...)) + "\n")
	if _, err := tlog.Open(msg, l.VerifierKey()); err != nil {
		return nil, fmt.Errorf("audit: stored checkpoint at tree size %d: %w", c.TreeSize, err)
	}
	return msg, nil
}

// SignNote signs another kind of statement (such as a case bundle's
// manifest) with the checkpoint key. Its first line must name what it is and
// must not be the checkpoint origin, so that nothing but Checkpoint can sign
// a tree head.
func (l *Log) SignNote(body string) ([]byte, error) {
	first, _, _ := strings.Cut(body, "\n")
	if first == tlog.Origin || first == "" {
		return nil, errors.New("audit: SignNote refuses to sign a checkpoint or an unnamed statement")
	}
	return tlog.Sign(body, l.signer)
}

// VerifySignature checks the checkpoint against a public key.
func (c Checkpoint) VerifySignature(pub ed25519.PublicKey) bool {
	sig, err := base64.StdEncoding.DecodeString(c.Signature)
	return err == nil && ed25519.Verify(pub, []byte(c.Note()), sig)
}

// Checkpoint signs the current tree if it grew since the last checkpoint and
// returns the newest checkpoint (ok=false when the log is still empty).
func (l *Log) Checkpoint(ctx context.Context) (cp Checkpoint, ok bool, err error) {
	cp, ok, _, err = l.checkpoint(ctx)
	return cp, ok, err
}

// checkpoint is Checkpoint that also says whether this call signed it
// (fresh) or found it already signed.
func (l *Log) checkpoint(ctx context.Context) (cp Checkpoint, ok, fresh bool, err error) {
	err = l.db.Tx(ctx, func(tx *sql.Tx) error {
		h, err := l.lockHead(ctx, tx)
		if err != nil {
			return err
		}
		last, found, err := latestCheckpoint(ctx, tx)
		if err != nil {
			return err
		}
		if h.size == 0 || (found && last.TreeSize >= h.size) {
			cp, ok = last, found
			return nil
		}
		root, err := h.rng.GetRootHash(nil)
		if err != nil {
			return err
		}
		cp = Checkpoint{TreeSize: h.size, RootHash: hex.EncodeToString(root), At: l.now().UTC().Truncate(time.Millisecond)}
		cp.Signature = base64.StdEncoding.EncodeToString(ed25519.Sign(l.signKey, []byte(cp.Note())))
		_, err = tx.ExecContext(ctx, `INSERT INTO audit_checkpoints (tree_size, root_hash, at, signature) VALUES ($1,$2,$3,$4)`,
			cp.TreeSize, cp.RootHash, cp.At.UnixMilli(), cp.Signature)
		ok = err == nil
		fresh = ok
		return err
	})
	return cp, ok, fresh && err == nil, err
}

// Checkpoints lists all checkpoints, oldest first.
func (l *Log) Checkpoints(ctx context.Context) ([]Checkpoint, error) {
	return checkpointsFrom(ctx, l.db.R())
}

func checkpointsFrom(ctx context.Context, q store.Querier) ([]Checkpoint, error) {
	rows, err := q.QueryContext(ctx, `SELECT tree_size, root_hash, at, signature FROM audit_checkpoints ORDER BY tree_size`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Checkpoint
	for rows.Next() {
		var c Checkpoint
		var at int64
		if err := rows.Scan(&c.TreeSize, &c.RootHash, &at, &c.Signature); err != nil {
			return nil, err
		}
		c.At = time.UnixMilli(at).UTC()
		out = append(out, c)
	}
	return out, rows.Err()
}

func latestCheckpoint(ctx context.Context, tx *sql.Tx) (Checkpoint, bool, error) {
	var c Checkpoint
	var at int64
	err := tx.QueryRowContext(ctx, `SELECT tree_size, root_hash, at, signature FROM audit_checkpoints ORDER BY tree_size DESC LIMIT 1`).
		Scan(&c.TreeSize, &c.RootHash, &at, &c.Signature)
	if err == sql.ErrNoRows {
		return Checkpoint{}, false, nil
	}
	if err != nil {
		return Checkpoint{}, false, err
	}
	c.At = time.UnixMilli(at).UTC()
	return c, true, nil
}

// RunCheckpoints signs a checkpoint every interval until ctx ends, and once
// more on the way out (every 0 means a minute). onSigned, when set, is called with each checkpoint
// this call signed (not with one another node signed first, so with several
// nodes on one database each checkpoint is handed on once); on the way out
// it gets a context that ends 5 s after ctx.
func (l *Log) RunCheckpoints(ctx context.Context, every time.Duration, onErr func(error), onSigned func(context.Context, Checkpoint)) {
	if every <= 0 {
		every = time.Minute
	}
	t := time.NewTicker(every)
	defer t.Stop()
	sign := func(ctx context.Context, quiet bool) {
		cp, _, fresh, err := l.checkpoint(ctx)
		if err != nil {
			if onErr != nil && !quiet {
				onErr(err)
			}
			return
		}
		if fresh && onSigned != nil {
			onSigned(ctx, cp)
		}
	}
	for {
		select {
		case <-ctx.Done():
			c, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
			sign(c, false)
			cancel()
			return
		case <-t.C:
			sign(ctx, ctx.Err() != nil)
		}
	}
}
