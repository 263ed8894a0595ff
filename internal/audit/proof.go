package audit

import (
	"bytes"
	"cmp"
	"context"
	"encoding/hex"
	"fmt"
	"slices"
	"time"

	"github.com/kubu-gov/kubu/internal/audit/tlog"
	"github.com/kubu-gov/kubu/internal/store"
)

// feedLeaves streams the stored leaf hashes of entries 1..p.Size() into p
// and hands each leaf of keep to got.
func (l *Log) feedLeaves(ctx context.Context, p *tlog.Prover, keep map[int64]bool, got func(seq int64, leaf []byte)) error {
	size := int64(p.Size())
	rows, err := l.db.R().QueryContext(ctx, `SELECT seq, leaf_hash FROM audit_log WHERE seq <= $1 ORDER BY seq`, size)
	if err != nil {
		return err
	}
	defer rows.Close()
	var n int64
	for rows.Next() {
		var seq int64
		var text string
		if err := rows.Scan(&seq, &text); err != nil {
			return err
		}
		if seq != n+1 {
			return &Problem{Seq: n + 1, Reason: "missing (deleted from the log)"}
		}
		leaf, err := hex.DecodeString(text)
		if err != nil || len(leaf) != 32 {
			return &Problem{Seq: seq, Reason: "stored leaf hash is not 32 bytes of hex"}
		}
		if err := p.Add(leaf); err != nil {
			return err
		}
		if keep[seq] {
			got(seq, leaf)
		}
		n = seq
	}
	if err := rows.Err(); err != nil {
		return err
	}
	if n < size {
		return &Problem{Seq: n + 1, Reason: fmt.Sprintf("missing: the log ends at %d, before tree size %d", n, size)}
	}
	return nil
}

// ConsistencyProof returns the RFC 9162 consistency proof from the tree of
// size1 to the tree of size2, computed from the stored leaves, and the root
// hash of the tree of size2.
func (l *Log) ConsistencyProof(ctx context.Context, size1, size2 int64) (proof [][]byte, root2 []byte, err error) {
	if size1 < 0 || size1 > size2 {
		return nil, nil, fmt.Errorf("audit: no consistency proof from size %d to %d", size1, size2)
	}
	p := tlog.NewProver(uint64(size2))
	if err := p.WantConsistency(uint64(size1)); err != nil {
		return nil, nil, err
	}
	if err := l.feedLeaves(ctx, p, nil, nil); err != nil {
		return nil, nil, err
	}
	if root2, err = p.Root(); err != nil {
		return nil, nil, err
	}
	proof, err = p.Consistency(uint64(size1))
	return proof, root2, err
}

// InclusionProofs returns the RFC 9162 inclusion proof of each entry seqs
// names in the tree that checkpoint cp signed, computed from the stored
// leaves in one pass. Each proof is checked against the checkpoint's root
// before it is returned: stored leaves that do not add up to the signed
// root are an error, never a proof that would fail later.
func (l *Log) InclusionProofs(ctx context.Context, cp Checkpoint, seqs []int64) (map[int64]tlog.InclusionProof, error) {
	root, err := hex.DecodeString(cp.RootHash)
	if err != nil {
		return nil, fmt.Errorf("audit: checkpoint %d: bad root hash", cp.TreeSize)
	}
	p := tlog.NewProver(uint64(cp.TreeSize))
	keep := map[int64]bool{}
	for _, s := range seqs {
		if s < 1 || s > cp.TreeSize {
			return nil, fmt.Errorf("audit: entry %d is not in the checkpoint of tree size %d", s, cp.TreeSize)
		}
		if err := p.WantInclusion(uint64(s - 1)); err != nil {
			return nil, err
		}
		keep[s] = true
	}
	leaves := map[int64][]byte{}
	if err := l.feedLeaves(ctx, p, keep, func(seq int64, leaf []byte) { leaves[seq] = leaf }); err != nil {
		return nil, err
	}
	if got, err := p.Root(); err != nil || !bytes.Equal(got, root) {
		return nil, &Problem{Seq: cp.TreeSize, Reason: "the stored entries do not add up to the signed checkpoint of this size"}
	}
	out := make(map[int64]tlog.InclusionProof, len(seqs))
	for _, s := range seqs {
		hs, err := p.Inclusion(uint64(s - 1))
		if err != nil {
			return nil, err
		}
		ip := tlog.InclusionProof{LeafIndex: uint64(s - 1), TreeSize: uint64(cp.TreeSize), Hashes: hs}
		if err := ip.Verify(leaves[s], root); err != nil {
			return nil, &Problem{Seq: s, Reason: "its inclusion proof does not verify: " + err.Error()}
		}
		out[s] = ip
	}
	return out, nil
}

// Target names the records an audit selection is about.
type Target struct {
	Type string
	IDs  []string
}

// Entries returns, oldest first, every entry up to upTo (0 = all) about
// any of targets, each re-checked against its stored leaf hash. Long id
// lists are asked in pieces (SQLite allows so many placeholders a query).
func (l *Log) Entries(ctx context.Context, upTo int64, targets ...Target) ([]Record, error) {
	seen := map[int64]bool{}
	var out []Record
	for _, t := range targets {
		for ids := range slices.Chunk(t.IDs, 500) {
			recs, err := l.entries(ctx, upTo, t.Type, ids)
			if err != nil {
				return nil, err
			}
			for _, r := range recs {
				if !seen[r.Seq] {
					seen[r.Seq] = true
					out = append(out, r)
				}
			}
		}
	}
	slices.SortFunc(out, func(a, b Record) int { return cmp.Compare(a.Seq, b.Seq) })
	return out, nil
}

func (l *Log) entries(ctx context.Context, upTo int64, targetType string, ids []string) ([]Record, error) {
	var wh store.Where
	if upTo > 0 {
		wh.And("seq <= " + wh.Arg(upTo))
	}
	wh.And("target_type = " + wh.Arg(targetType))
	wh.In("target_id", ids)
	rows, err := l.db.R().QueryContext(ctx, `SELECT seq, at, code, actor_id, actor_label, agency_id, target_type, target_id,
		before_json, after_json, leaf_hash FROM audit_log`+wh.SQL()+` ORDER BY seq`, wh.Args()...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Record
	for rows.Next() {
		var r Record
		var at int64
		var before, after string
		if err := rows.Scan(&r.Seq, &at, &r.Code, &r.ActorID, &r.ActorLabel, &r.AgencyID, &r.TargetType, &r.TargetID,
			&before, &after, &r.LeafHash); err != nil {
			return nil, err
		}
		r.At = time.UnixMilli(at).UTC()
		if before != "" {
			r.Before = []byte(before)
		}
		if after != "" {
			r.After = []byte(after)
		}
		if c, ok := Lookup(r.Code); ok {
			r.Name = c.Name
		}
		if hex.EncodeToString(leafHash(&r)) != r.LeafHash {
			return nil, &Problem{Seq: r.Seq, Reason: "content does not match its stored hash (altered)"}
		}
		out = append(out, r)
	}
	return out, rows.Err()
}
