package app

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/kubu-gov/kubu/internal/registry"
)

// ShutdownGrace is how long SIGTERM waits for requests to finish.
const ShutdownGrace = 8 * time.Second

// MonitoringStop bounds the whole shutdown, intake and detection included.
const MonitoringStop = 9500 * time.Millisecond

// Serve runs the HTTP server and the background jobs until ctx ends, then
// shuts down cleanly within ShutdownGrace. ready, when not nil, receives
// the bound address once the server listens.
func (a *App) Serve(ctx context.Context, ready func(addr string)) error {
	ln, err := net.Listen("tcp", a.Cfg.Addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", a.Cfg.Addr, err)
	}
	mon, err := a.StartMonitoring(ctx)
	if err != nil {
		ln.Close()
		return err
	}
	srv := &http.Server{
		Handler:           a.Handler(),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       2 * time.Minute,
		WriteTimeout:      5 * time.Minute,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          nil,
	}
	jobsCtx, stopJobs := context.WithCancel(context.WithoutCancel(ctx))
	var jobs sync.WaitGroup
	a.startJobs(jobsCtx, &jobs)

	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	a.Log.Info("kubu serving", "addr", ln.Addr().String(), "engine", string(a.DB.Engine))
	if n, err := registry.NewHosts(a.DB).Conflicts(ctx); err == nil && n > 0 {
		a.Log.Warn("hostnames listed by several systems before schema 6 were kept by the system registered first; review them",
			"dropped_claims", n, "list", "GET /api/v1/hostnames/conflicts")
	}
	if ready != nil {
		ready(ln.Addr().String())
	}
	select {
	case err := <-errc:
		stopJobs()
		jobs.Wait()
		mon.Stop(context.Background())
		return err
	case <-ctx.Done():
	}
	a.Log.Info("shutting down")
	// Everything stops within MonitoringStop of the signal: HTTP requests
	// (intake answers only once its events are stored) get ShutdownGrace,
	// then intake, detection and the event log stop in what is left.
	mctx, mcancel := context.WithTimeout(context.Background(), MonitoringStop)
	defer mcancel()
	sctx, cancel := context.WithTimeout(context.Background(), ShutdownGrace)
	defer cancel()
	err = srv.Shutdown(sctx)
	if merr := mon.Stop(mctx); merr != nil {
		a.Log.Warn("monitoring stop", "err", merr)
	}
	stopJobs()
	jobs.Wait()
	if errors.Is(err, context.DeadlineExceeded) {
		srv.Close()
		return nil
	}
	return err
}

// startJobs runs the periodic work: signed audit checkpoints, expiring
// accepted risks, sweeping expired sessions.
func (a *App) startJobs(ctx context.Context, wg *sync.WaitGroup) {
	wg.Add(1)
	go func() {
		defer wg.Done()
		a.Audit.RunCheckpoints(ctx, time.Minute, func(err error) { a.Log.Error("audit checkpoint", "err", err) })
	}()
	every := func(d time.Duration, name string, fn func(context.Context) error) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			t := time.NewTicker(d)
			defer t.Stop()
			for {
				if err := fn(ctx); err != nil && ctx.Err() == nil {
					a.Log.Error(name, "err", err)
				}
				select {
				case <-ctx.Done():
					return
				case <-t.C:
				}
			}
		}()
	}
	every(10*time.Minute, "risk acceptance expiry", func(ctx context.Context) error {
		n, err := a.Findings.ExpireRiskAcceptances(ctx)
		if n > 0 {
			a.Log.Info("risk acceptances expired; findings reopened", "count", n)
		}
		return err
	})
	every(5*time.Minute, "community clocks", func(ctx context.Context) error {
		n, err := a.Disclosure.Escalate(ctx)
		if n > 0 {
			a.Log.Info("overdue reports escalated", "clocks", n)
		}
		return err
	})
	every(5*time.Minute, "community findings sync", func(ctx context.Context) error {
		_, err := a.Disclosure.SyncFindings(ctx)
		return err
	})
	every(time.Hour, "session sweep", func(ctx context.Context) error {
		return a.Sessions.Store.(interface{ Sweep(context.Context) error }).Sweep(ctx)
	})
}
