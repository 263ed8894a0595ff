package audit

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/hex"
	"fmt"

	"github.com/kubu-gov/kubu/internal/audit/tlog"
)

// CheckpointProblem says the log does not extend a checkpoint kept
// elsewhere: it was rolled back below it, or rewritten under it.
type CheckpointProblem struct {
	TreeSize int64 // the checkpoint's tree size
	Entries  int64 // the entries the log holds now
	Reason   string
}

func (p *CheckpointProblem) Error() string {
	return fmt.Sprintf("the log does not extend the checkpoint at tree size %d: %s", p.TreeSize, p.Reason)
}

// VerifyCheckpoint checks the log as Verify does, then proves that it
// extends the signed checkpoint msg (a C2SP signed note, as `kubu audit
// checkpoint` prints it): the checkpoint must be signed by this log's key,
// and an RFC 9162 consistency proof computed from the stored leaves must
// lead from the checkpoint's root to the current root. A log restored from
// an older copy (shorter than the checkpoint) or rewritten below it fails
// with a *CheckpointProblem naming the checkpoint's tree size, even when
// Verify alone passes.
func (l *Log) VerifyCheckpoint(ctx context.Context, msg []byte) (Summary, tlog.Checkpoint, error) {
	cp, err := tlog.OpenCheckpoint(msg, l.VerifierKey())
	if err != nil {
		return Summary{}, cp, fmt.Errorf("the checkpoint: %w", err)
	}
	if cp.Origin != tlog.Origin {
		return Summary{}, cp, fmt.Errorf("the checkpoint is of log %q, not %q", cp.Origin, tlog.Origin)
	}
	s, err := l.Verify(ctx)
	if err != nil {
		return s, cp, err
	}
	size := int64(cp.Size)
	if size > s.Entries {
		return s, cp, &CheckpointProblem{TreeSize: size, Entries: s.Entries, Reason: fmt.Sprintf(
			"the log holds %d entries, fewer than the %d the checkpoint signed: it was rolled back or truncated (entries %d to %d are gone)",
			s.Entries, size, s.Entries+1, size)}
	}
	proof, root, err := l.ConsistencyProof(ctx, size, s.Entries)
	if err != nil {
		return s, cp, err
	}
	if size == 0 {
		if !bytes.Equal(cp.Root, tlog.EmptyRoot()) {
			return s, cp, &CheckpointProblem{TreeSize: 0, Entries: s.Entries, Reason: "its root is not the empty tree's"}
		}
		return s, cp, nil
	}
	if hex.EncodeToString(root) != s.RootHash {
		// The leaves changed between Verify and the proof: report, don't guess.
		return s, cp, fmt.Errorf("the log changed while it was being checked; run the check again")
	}
	if err := tlog.VerifyConsistency(uint64(size), uint64(s.Entries), proof, cp.Root, root); err != nil {
		return s, cp, &CheckpointProblem{TreeSize: size, Entries: s.Entries, Reason: fmt.Sprintf(
			"entries 1 to %d are not the ones the checkpoint signed (root %s): the log was rewritten below it", size,
			base64.StdEncoding.EncodeToString(cp.Root))}
	}
	return s, cp, nil
}

// SignCheckpoint verifies the whole log, then signs a checkpoint of it as it
// is now (or returns the newest checkpoint when nothing was added since) and
// returns it as a signed note. It refuses to sign a log that is not intact.
func (l *Log) SignCheckpoint(ctx context.Context) (Checkpoint, []byte, error) {
	if _, err := l.Verify(ctx); err != nil {
		return Checkpoint{}, nil, err
	}
	cp, ok, err := l.Checkpoint(ctx)
	if err != nil {
		return Checkpoint{}, nil, err
	}
	if !ok {
		return Checkpoint{}, nil, fmt.Errorf("the audit log is empty: there is nothing to sign")
	}
	msg, err := l.SignedNote(cp)
	return cp, msg, err
}
