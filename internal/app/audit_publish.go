package app

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/kubu-gov/kubu/internal/audit"
)

// publishCheckpoint hands a checkpoint this node just signed to the
// configured archives (--audit-publish) and witnesses (--audit-witness), so
// a copy is kept where someone holding this installation's database cannot
// reach it. A destination that fails is logged and counted as a failed
// "audit publish" job; the next checkpoint is sent again in full (a witness
// is brought forward with a consistency proof from the size it holds).
func (a *App) publishCheckpoint(ctx context.Context, cp audit.Checkpoint) {
	p := &audit.Publisher{Log: a.Audit, Archives: a.Cfg.Audit.Publish, Witnesses: a.Cfg.Audit.Witnesses,
		Client: &http.Client{Timeout: 30 * time.Second}, Timeout: 30 * time.Second}
	if !p.Enabled() {
		return
	}
	note, err := p.Publish(ctx, cp)
	var pe *audit.PublishError
	switch {
	case errors.As(err, &pe):
		for _, f := range pe.Failed {
			a.Metrics.jobFailed("audit publish")
			a.Log.Error("audit checkpoint not published", "tree_size", cp.TreeSize, "err", f)
		}
		if len(pe.Failed) == len(p.Archives)+len(p.Witnesses) {
			return
		}
	case err != nil:
		a.Metrics.jobFailed("audit publish")
		a.Log.Error("audit checkpoint not published", "tree_size", cp.TreeSize, "err", err)
		return
	}
	a.Log.Info("audit checkpoint published", "tree_size", cp.TreeSize, "root", cp.RootHash, "note", string(note))
}
