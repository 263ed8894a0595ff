package incident

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/kubu-gov/kubu/internal/authz"
	"github.com/kubu-gov/kubu/internal/bundle"
	"github.com/kubu-gov/kubu/internal/evidence"
)

// ForEvidence is what the evidence locker needs of incidents
// (evidence.Incidents, evidence.ActorTimelines and evidence.TimelineWriter):
// an incident's title and agencies (evidence asks authz with them), the
// timeline for its case bundle, and timeline entries for evidence events.
func (s *Service) ForEvidence() interface {
	evidence.Incidents
	evidence.ActorTimelines
	evidence.TimelineWriter
} {
	return evidenceView{s}
}

type evidenceView struct{ s *Service }

// Incident finds an incident without an access check.
func (v evidenceView) Incident(ctx context.Context, incidentID string) (evidence.Incident, error) {
	r, err := v.s.load(ctx, v.s.db.R(), incidentID, false)
	if errors.Is(err, authz.ErrNotFound) {
		return evidence.Incident{}, evidence.ErrIncidentNotFound
	}
	if err != nil {
		return evidence.Incident{}, err
	}
	return evidence.Incident{ID: r.id, Title: r.title, AgencyIDs: r.agencyIDs()}, nil
}

// TimelineFor is the timeline as the exporting caller may see it.
func (v evidenceView) TimelineFor(ctx context.Context, a authz.Actor, incidentID string) ([]bundle.TimelineEntry, error) {
	entries, err := v.s.timeline(ctx, incidentID, lensOf(a))
	if err != nil {
		return nil, err
	}
	out := make([]bundle.TimelineEntry, len(entries))
	for i, e := range entries {
		out[i] = bundle.TimelineEntry{At: e.At, Kind: e.Kind, Actor: e.Actor, Text: e.Text}
	}
	return out, nil
}

// AddTimelineTx adds an evidence event to the timeline.
func (v evidenceView) AddTimelineTx(ctx context.Context, tx *sql.Tx, incidentID string, at time.Time, kind, actor, text string) error {
	return v.s.AddTimelineTx(ctx, tx, incidentID, at, kind, actor, text)
}
