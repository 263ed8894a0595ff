package indicators

import (
	"context"
	"sync"

	"github.com/kubu-gov/kubu/internal/eventlog"
)

// Run loads the active indicators, then runs until ctx ends: the reload
// of the matcher on changes, the ioc workers on the event log, the
// retro-hunts and the polls of the configured sources. It returns once
// they have all stopped.
func (s *Service) Run(ctx context.Context, log *eventlog.Log) error {
	if _, err := s.Load(ctx); err != nil {
		return err
	}
	var wg sync.WaitGroup
	run := func(fn func(context.Context)) {
		wg.Add(1)
		go func() { defer wg.Done(); fn(ctx) }()
	}
	run(s.runRefresh)
	for range s.opts.Workers {
		run(func(ctx context.Context) { s.runWorker(ctx, log) })
	}
	run(func(ctx context.Context) { s.runHunts(ctx, log) })
	run(s.runPolls)
	wg.Wait()
	return nil
}
