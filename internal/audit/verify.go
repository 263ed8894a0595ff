package audit

import (
	"bytes"
	"context"
	"encoding/hex"
	"fmt"
	"time"

	"github.com/kubu-gov/kubu/internal/store"
)

// Problem names the first place where the log is not intact.
type Problem struct {
	Seq    int64  // the first bad entry (or the first missing one)
	Reason string // what is wrong with it
}

func (p *Problem) Error() string { return fmt.Sprintf("audit entry %d: %s", p.Seq, p.Reason) }

// Summary describes an intact log.
type Summary struct {
	Entries     int64
	Checkpoints int
	RootHash    string // hex root over all entries ("" when empty)
}

// Verify re-reads the whole log. It returns a *Problem naming the first bad
// entry when any entry was altered, re-hashed, reordered or deleted, or
// when the head or a signed checkpoint does not match the entries.
func (l *Log) Verify(ctx context.Context) (Summary, error) {
	var s Summary
	err := l.db.Snapshot(ctx, func(q store.Querier) error {
		var err error
		s, err = l.verify(ctx, q)
		return err
	})
	return s, err
}

// verify checks the log as q sees it: one snapshot, so that a log growing
// beside it is judged at one size (entries, head and checkpoints agree).
func (l *Log) verify(ctx context.Context, q store.Querier) (Summary, error) {
	cps, err := checkpointsFrom(ctx, q)
	if err != nil {
		return Summary{}, err
	}
	pub := l.PublicKey()
	for _, c := range cps {
		if !c.VerifySignature(pub) {
			return Summary{}, &Problem{Seq: c.TreeSize, Reason: "the signed checkpoint at this size has a bad signature"}
		}
	}
	rows, err := q.QueryContext(ctx, `SELECT seq, at, code, actor_id, actor_label, agency_id, target_type, target_id,
		before_json, after_json, leaf_hash, mac FROM audit_log ORDER BY seq`)
	if err != nil {
		return Summary{}, err
	}
	defer rows.Close()
	rng := rangeFactory.NewEmptyRange(0)
	var n int64
	next := 0 // next checkpoint to compare
	for rows.Next() {
		var r Record
		var at int64
		var before, after, mac string
		if err := rows.Scan(&r.Seq, &at, &r.Code, &r.ActorID, &r.ActorLabel, &r.AgencyID, &r.TargetType, &r.TargetID,
			&before, &after, &r.LeafHash, &mac); err != nil {
			return Summary{}, err
		}
		r.At = time.UnixMilli(at).UTC()
		if before != "" {
			r.Before = []byte(before)
		}
		if after != "" {
			r.After = []byte(after)
		}
		if r.Seq != n+1 {
			if r.Seq > n+1 {
				return Summary{}, &Problem{Seq: n + 1, Reason: "missing (deleted from the log)"}
			}
			return Summary{}, &Problem{Seq: r.Seq, Reason: "sequence number out of order"}
		}
		leaf := leafHash(&r)
		stored, err := hex.DecodeString(r.LeafHash)
		if err != nil || !bytes.Equal(stored, leaf) {
			return Summary{}, &Problem{Seq: r.Seq, Reason: "content does not match its stored hash (altered)"}
		}
		if mac != l.entryMAC(r.Seq, leaf) {
			return Summary{}, &Problem{Seq: r.Seq, Reason: "hash is not authenticated by kubu's key (entry or hash rewritten)"}
		}
		if err := rng.Append(leaf, nil); err != nil {
			return Summary{}, err
		}
		n = r.Seq
		for next < len(cps) && cps[next].TreeSize == n {
			root, err := rng.GetRootHash(nil)
			if err != nil {
				return Summary{}, err
			}
			if hex.EncodeToString(root) != cps[next].RootHash {
				return Summary{}, &Problem{Seq: n, Reason: "entries up to here do not match the signed checkpoint of this size"}
			}
			next++
		}
	}
	if err := rows.Err(); err != nil {
		return Summary{}, err
	}
	if next < len(cps) {
		return Summary{}, &Problem{Seq: n + 1, Reason: fmt.Sprintf("missing: a signed checkpoint covers %d entries but the log ends at %d", cps[len(cps)-1].TreeSize, n)}
	}
	var size int64
	var compactText, headMAC string
	if err := q.QueryRowContext(ctx, `SELECT size, compact, mac FROM audit_head WHERE id = 1`).Scan(&size, &compactText, &headMAC); err != nil {
		return Summary{}, fmt.Errorf("audit head: %w", err)
	}
	if size > n {
		return Summary{}, &Problem{Seq: n + 1, Reason: fmt.Sprintf("missing: the log head counts %d entries but only %d are stored", size, n)}
	}
	if size < n || (size > 0 && headMAC != l.headMAC(size, compactText)) || (size == 0 && headMAC != "") {
		return Summary{}, &Problem{Seq: n, Reason: "the log head was rewritten (it does not authenticate the stored entries)"}
	}
	if encodeHashes(rng.Hashes()) != compactText {
		return Summary{}, &Problem{Seq: n, Reason: "the log head's tree does not match the stored entries"}
	}
	s := Summary{Entries: n, Checkpoints: len(cps)}
	if n > 0 {
		root, err := rng.GetRootHash(nil)
		if err != nil {
			return Summary{}, err
		}
		s.RootHash = hex.EncodeToString(root)
	}
	return s, nil
}
