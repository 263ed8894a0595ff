package app

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/kubu-gov/kubu/internal/registry"
)

// ShutdownGrace is how long after SIGTERM requests may run before the
// server closes them.
const ShutdownGrace = 8 * time.Second

// MonitoringStop bounds the whole shutdown, intake and detection included.
const MonitoringStop = 9500 * time.Millisecond

// TLSListenAddr is the bound address of the HTTPS listener (--tls-addr),
// once Serve listens ("" without one).
func (a *App) TLSListenAddr() string {
	s, _ := a.tlsBound.Load().(string)
	return s
}

// Serve runs the HTTP server (and the intake listener of --intake-addr)
// and the background jobs until ctx ends, then shuts down cleanly within
// MonitoringStop. ready, when not nil, receives the bound address once the
// server listens.
func (a *App) Serve(ctx context.Context, ready func(addr string)) error {
	ln, err := net.Listen("tcp", a.Cfg.Addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", a.Cfg.Addr, err)
	}
	var iln net.Listener
	if a.Cfg.IntakeAddr != "" {
		if iln, err = net.Listen("tcp", a.Cfg.IntakeAddr); err != nil {
			ln.Close()
			return fmt.Errorf("listen on --intake-addr %s: %w", a.Cfg.IntakeAddr, err)
		}
	}
	var tln net.Listener
	if a.Cfg.TLSAddr != "" {
		tc, err := serverTLS(a.Cfg)
		if err == nil {
			tln, err = net.Listen("tcp", a.Cfg.TLSAddr)
		}
		if err != nil {
			ln.Close()
			if iln != nil {
				iln.Close()
			}
			return fmt.Errorf("--tls-addr %s: %w", a.Cfg.TLSAddr, err)
		}
		a.tlsBound.Store(tln.Addr().String())
		tc.NextProtos = []string{"h2", "http/1.1"}
		tln = tls.NewListener(tln, tc)
	}
	mon, err := a.StartMonitoring(ctx)
	if err != nil {
		ln.Close()
		for _, l := range []net.Listener{iln, tln} {
			if l != nil {
				l.Close()
			}
		}
		return err
	}
	newServer := func(h http.Handler) *http.Server {
		return &http.Server{
			Handler:           h,
			ReadHeaderTimeout: 10 * time.Second,
			ReadTimeout:       2 * time.Minute,
			WriteTimeout:      5 * time.Minute,
			IdleTimeout:       2 * time.Minute,
			MaxHeaderBytes:    64 << 10,
			// Failed TLS handshakes (scanners, old clients) at debug level.
			ErrorLog: slog.NewLogLogger(a.Log.Handler(), slog.LevelDebug),
		}
	}
	main := a.Handler()
	if tln != nil {
		main = a.httpsRedirect(main)
	}
	servers := []*http.Server{newServer(main)}
	listeners := []net.Listener{ln}
	if tln != nil {
		servers = append(servers, newServer(withHSTS(a.Handler())))
		listeners = append(listeners, tln)
	}
	if iln != nil {
		servers = append(servers, newServer(a.IntakeHandler()))
		listeners = append(listeners, iln)
	}
	jobsCtx, stopJobs := context.WithCancel(context.WithoutCancel(ctx))
	var jobs sync.WaitGroup
	a.startJobs(jobsCtx, &jobs)
	// External scanning (--scan) stops at the signal itself, so its scans
	// wind down (and are handed back) while requests drain.
	scanCtx, stopScanning := context.WithCancel(ctx)
	defer stopScanning()
	if a.Cfg.Scan.On {
		jobs.Add(1)
		go func() {
			defer jobs.Done()
			if err := a.Scanning.Run(scanCtx); err != nil {
				a.Log.Error("scanning stopped", "err", err)
			}
		}()
	}

	errc := make(chan error, len(servers))
	for i, srv := range servers {
		go func() { errc <- srv.Serve(listeners[i]) }()
	}
	a.Log.Info("kubu serving", "addr", ln.Addr().String(), "engine", string(a.DB.Engine))
	if iln != nil {
		a.Log.Info("intake listening", "addr", iln.Addr().String())
	}
	if n, err := registry.NewHosts(a.DB).Conflicts(ctx); err == nil && n > 0 {
		a.Log.Warn("hostnames listed by several systems before hostnames became records were kept by the system registered first; review them",
			"dropped_claims", n, "list", "GET /api/v1/hostnames/conflicts")
	}
	if tln != nil {
		a.Log.Info("kubu serving HTTPS", "addr", tln.Addr().String())
	}
	if ready != nil {
		ready(ln.Addr().String())
	}
	select {
	case err := <-errc:
		stopScanning()
		for _, srv := range servers {
			srv.Close()
		}
		stopJobs()
		jobs.Wait()
		mon.Stop(context.Background())
		return err
	case <-ctx.Done():
	}
	a.Log.Info("shutting down")
	// Everything stops within MonitoringStop of the signal. First intake
	// drains for --drain-time with its listeners open: new intake requests
	// get each protocol's retryable busy answer (so shippers retry, on
	// another node or later) instead of a refused connection, and syslog
	// stops accepting connections. Then the HTTP servers close, giving
	// requests until ShutdownGrace (intake answers only once its events are
	// stored), and intake, detection and the event log stop in what is left.
	signalled := time.Now()
	mctx, mcancel := context.WithDeadline(context.Background(), signalled.Add(MonitoringStop))
	defer mcancel()
	mon.BeginDrain()
	drain := time.NewTimer(a.Cfg.DrainTime)
	<-drain.C
	sctx, cancel := context.WithDeadline(context.Background(), signalled.Add(ShutdownGrace))
	defer cancel()
	errs := make([]error, len(servers))
	var wg sync.WaitGroup
	for i, srv := range servers {
		wg.Go(func() {
			if err := srv.Shutdown(sctx); err != nil {
				srv.Close()
				if !errors.Is(err, context.DeadlineExceeded) {
					errs[i] = err
				}
			}
		})
	}
	wg.Wait()
	if merr := mon.Stop(mctx); merr != nil {
		a.Log.Warn("monitoring stop", "err", merr)
	}
	stopJobs()
	jobs.Wait()
	return errors.Join(errs...)
}

// startJobs runs the periodic work: signed audit checkpoints, expiring
// accepted risks, sweeping expired sessions.
func (a *App) startJobs(ctx context.Context, wg *sync.WaitGroup) {
	wg.Add(1)
	go func() {
		defer wg.Done()
		a.Audit.RunCheckpoints(ctx, a.Cfg.Audit.CheckpointEvery, func(err error) {
			a.Metrics.jobFailed("audit checkpoint")
			a.Log.Error("audit checkpoint", "err", err)
		}, a.publishCheckpoint)
	}()
	every := func(d time.Duration, name string, fn func(context.Context) error) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			t := time.NewTicker(d)
			defer t.Stop()
			for {
				if err := fn(ctx); err != nil && ctx.Err() == nil {
					a.Metrics.jobFailed(name)
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
	every(30*time.Second, "on-call paging", func(ctx context.Context) error {
		_, err := a.Incidents.Tick(ctx)
		return err
	})
	every(time.Hour, "posture snapshot", func(ctx context.Context) error {
		n, err := a.Posture.Snapshot(ctx)
		if n > 0 {
			a.Log.Info("posture snapshot taken", "rows", n)
		}
		return err
	})
	every(time.Hour, "session sweep", func(ctx context.Context) error {
		return a.Sessions.Store.(interface{ Sweep(context.Context) error }).Sweep(ctx)
	})
}
