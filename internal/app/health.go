package app

import (
	"context"
	"errors"
	"time"

	"github.com/kubu-gov/kubu/internal/api"
)

// healthTimeout bounds each part's check, so a hung database or NATS
// server answers 503 instead of hanging the probe.
const healthTimeout = 3 * time.Second

// health checks the database and, while serving, the event log (connected,
// and its stream answers: on a cluster, a stream that lost its quorum
// fails). ready also fails while the node drains at SIGTERM or has no
// event log open yet, so a load balancer sends traffic elsewhere.
func (a *App) health(ctx context.Context, ready bool) []api.HealthPart {
	ctx, cancel := context.WithTimeout(ctx, healthTimeout)
	defer cancel()
	parts := []api.HealthPart{{Name: "database", Err: a.DB.Ping(ctx)}}
	if l := a.Metrics.ops.log.Load(); l != nil {
		parts = append(parts, api.HealthPart{Name: "event_log", Err: l.Health(ctx)})
	} else if ready {
		parts = append(parts, api.HealthPart{Name: "event_log", Err: errors.New("not open")})
	}
	if ready && a.Intake.Draining() {
		parts = append(parts, api.HealthPart{Name: "intake", Err: errors.New("draining: shutting down")})
	}
	return parts
}
