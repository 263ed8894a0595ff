package evidence

import (
	"context"
	"database/sql"
	"errors"
	"io"

	"github.com/kubu-gov/kubu/internal/audit"
	"github.com/kubu-gov/kubu/internal/authz"
	"github.com/kubu-gov/kubu/internal/bundle"
	"github.com/kubu-gov/kubu/internal/evidence/blob"
)

// ExportBundle writes the case bundle of an incident to w (package bundle
// describes it): every evidence file (each re-hashed as it streams), the
// chains of custody, the timeline when Incidents provides one, and every
// audit entry about the incident and its evidence with an inclusion proof
// against a checkpoint signed for the occasion. The export is itself an
// audit entry, written first so the bundle carries it.
func (s *Service) ExportBundle(ctx context.Context, a authz.Actor, incidentID string, w io.Writer) (bundle.Manifest, error) {
	inc, err := s.incident(ctx, incidentID)
	if err != nil {
		return bundle.Manifest{}, err
	}
	if err := check(a, ActExport, inc.AgencyIDs); err != nil {
		return bundle.Manifest{}, err
	}
	items, err := s.list(ctx, inc.ID)
	if err != nil {
		return bundle.Manifest{}, err
	}
	var timeline []bundle.TimelineEntry
	if tl, ok := s.incidents.(ActorTimelines); ok {
		if timeline, err = tl.TimelineFor(ctx, a, inc.ID); err != nil {
			return bundle.Manifest{}, err
		}
	} else if tl, ok := s.incidents.(Timelines); ok {
		if timeline, err = tl.Timeline(ctx, inc.ID); err != nil {
			return bundle.Manifest{}, err
		}
	}
	ids := make([]string, len(items))
	for i, it := range items {
		ids[i] = it.ID
	}
	err = s.db.Tx(ctx, func(tx *sql.Tx) error {
		_, err := s.audit.Append(ctx, tx, audit.Entry{Code: BundleExported, Actor: a.AuditActor(), AgencyID: firstAgency(inc),
			TargetType: "incident", TargetID: inc.ID, After: map[string]any{"evidence": ids}})
		return err
	})
	if err != nil {
		return bundle.Manifest{}, err
	}
	cp, ok, err := s.audit.Checkpoint(ctx)
	if err != nil {
		return bundle.Manifest{}, err
	}
	if !ok {
		return bundle.Manifest{}, errors.New("evidence: the audit log is empty")
	}
	note, err := s.audit.SignedNote(cp)
	if err != nil {
		return bundle.Manifest{}, err
	}
	recs, err := s.audit.Entries(ctx, cp.TreeSize, audit.Target{Type: "incident", IDs: []string{inc.ID}}, audit.Target{Type: "evidence", IDs: ids})
	if err != nil {
		return bundle.Manifest{}, err
	}
	seqs := make([]int64, len(recs))
	for i, r := range recs {
		seqs[i] = r.Seq
	}
	proofs, err := s.audit.InclusionProofs(ctx, cp, seqs)
	if err != nil {
		return bundle.Manifest{}, err
	}
	entries := make([]bundle.AuditEntry, len(recs))
	for i, r := range recs {
		entries[i] = bundle.AuditEntry{Entry: r.Entry(), Name: r.Name, Proof: proofs[r.Seq]}
	}
	var custody []bundle.CustodyEntry
	bw := bundle.NewWriter(w, s.audit)
	for _, it := range items {
		for _, c := range it.Custody {
			custody = append(custody, bundle.CustodyEntry{EvidenceID: it.ID, At: c.At, Actor: c.Actor, Action: c.Action, Note: c.Note, To: c.To, AuditSeq: c.AuditSeq})
		}
		if err := s.addFile(ctx, a, bw, it, inc); err != nil {
			return bundle.Manifest{}, err
		}
	}
	return bw.Finish(bundle.Contents{Incident: bundle.Incident{ID: inc.ID, Title: inc.Title, Agencies: inc.AgencyIDs},
		CreatedAt: s.now(), CreatedBy: a.AuditActor().Label, Checkpoint: note, PublicKey: s.audit.VerifierKey(),
		Audit: entries, Custody: custody, Timeline: timeline})
}

func (s *Service) addFile(ctx context.Context, a authz.Actor, bw *bundle.Writer, it Item, inc Incident) error {
	want := blob.Digest{SHA256: it.SHA256, Size: it.Size}
	rc, err := s.blobs.Open(ctx, it.ID, want)
	if err != nil {
		return s.failed(ctx, a, it, inc, err)
	}
	defer rc.Close()
	err = bw.AddEvidence(bundle.Evidence{ID: it.ID, Name: it.Name, Description: it.Description, SHA256: it.SHA256, AuditSeq: it.IntakeSeq}, rc)
	if blob.IsIntegrity(err) {
		return s.failed(context.WithoutCancel(ctx), a, it, inc, err)
	}
	return err
}
