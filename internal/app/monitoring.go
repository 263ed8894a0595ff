package app

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"time"

	"github.com/kubu-gov/kubu/internal/config"
	"github.com/kubu-gov/kubu/internal/detect"
	"github.com/kubu-gov/kubu/internal/eventlog"
	"github.com/kubu-gov/kubu/internal/intake"
)

// openMonitoring builds the intake and detection services. They need no
// event log to manage tokens, rules, alerts and hunts; StartMonitoring
// attaches one and starts the listeners and consumers.
func (a *App) openMonitoring(cfg *config.Config, log *slog.Logger) error {
	var sources *intake.SourceTable
	if cfg.SourceNetworks != "" {
		t, err := intake.LoadSourceTable(cfg.SourceNetworks)
		if err != nil {
			return fmt.Errorf("--source-networks: %w", err)
		}
		sources = t
	}
	rate := cfg.IntakeRate
	if rate == 0 {
		rate = -1 // unlimited
	}
	a.Intake = intake.New(a.DB, a.Audit, a.Registry, log, intake.Options{MaxBody: cfg.IntakeMaxBody, Rate: rate, Sources: sources,
		SyslogIdleTimeout: cfg.SyslogIdleTimeout})
	silence := cfg.SilenceAfter
	if silence == 0 {
		silence = -1 // off
	}
	a.Detect = detect.New(a.DB, a.Audit, log, detect.Options{Workers: cfg.DetectWorkers, GroupWindow: cfg.AlertGroupWindow,
		SilenceAfter: silence, NodeID: a.NodeID()})
	return nil
}

// NodeID names this process in leases and claims (internal/node): unique
// per process, kept in the data dir while this process holds it, so a node
// restarted on the same data dir takes its lease back at once.
func (a *App) NodeID() string { return a.node.ID }

// Monitoring is the running intake and detection of a serving node.
type Monitoring struct {
	Log       *eventlog.Log
	Listeners *intake.Listeners

	a       *App
	cancel  context.CancelFunc
	stats   sync.WaitGroup
	detect  sync.WaitGroup
	intel   sync.WaitGroup // containment, feeds, threat intelligence
	stopped bool
}

// StartMonitoring opens the event log (embedded, or the external NATS of
// --nats-url), loads the --rules files, and starts detection and the
// syslog listeners. Stop ends them.
func (a *App) StartMonitoring(ctx context.Context) (*Monitoring, error) {
	cfg := a.Cfg
	elog, err := eventlog.Open(ctx, eventlog.Config{DataDir: cfg.DataDir, URL: cfg.NATSURL, Stream: cfg.EventStream,
		MaxAge: cfg.EventMaxAge, MaxBytes: cfg.EventMaxBytes, Replicas: cfg.EventReplicas, SyncInterval: cfg.EventSyncInterval, Logger: a.Log})
	if errors.Is(err, eventlog.ErrInsufficientStorage) {
		return nil, fmt.Errorf("event log: NATS cannot store --event-max-bytes %d (env KUBU_EVENT_MAX_BYTES) × --event-replicas %d: lower --event-max-bytes, or give JetStream more storage (max_file_store) or more servers: %w",
			cfg.EventMaxBytes, max(cfg.EventReplicas, 1), err)
	}
	if err != nil {
		return nil, fmt.Errorf("event log: %w", err)
	}
	m := &Monitoring{Log: elog, a: a}
	a.Metrics.ops.log.Store(elog) // metrics and /healthz read it
	if len(cfg.Rules) > 0 {
		res, err := a.Detect.LoadRuleFiles(ctx, cfg.Rules)
		if err != nil {
			elog.Close()
			return nil, err
		}
		a.Log.Info("rules files read", "files", res.Files, "changed", res.Changed, "failed", len(res.Failed), "skipped", len(res.Skipped))
		for _, f := range res.Failed {
			a.Log.Warn("rule file not loaded", "reason", f)
		}
	}
	a.Intake.Attach(elog)
	runCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	m.cancel = cancel
	m.stats.Add(1)
	go func() { defer m.stats.Done(); a.Intake.RunStats(runCtx) }()
	m.stats.Add(1)
	go func() { defer m.stats.Done(); a.Intake.WatchLag(runCtx, intakeLagBound(cfg)) }()
	m.detect.Add(1)
	go func() {
		defer m.detect.Done()
		if err := a.Detect.Run(runCtx, elog); err != nil && runCtx.Err() == nil {
			a.Log.Error("detection stopped", "err", err)
		}
	}()
	if err := a.startIntel(runCtx, elog, &m.intel); err != nil {
		m.Stop(context.Background())
		return nil, err
	}
	lc := intake.ListenerConfig{UDP: cfg.SyslogUDP, TCP: cfg.SyslogTCP, TLS: cfg.SyslogTLS}
	if cfg.SyslogTLS != "" {
		tc, err := syslogTLS(cfg)
		if err != nil {
			m.Stop(context.Background())
			return nil, err
		}
		lc.TLSConfig = tc
	}
	if lc.UDP != "" || lc.TCP != "" || lc.TLS != "" {
		l, err := a.Intake.ListenSyslog(lc)
		if err != nil {
			m.Stop(context.Background())
			return nil, err
		}
		m.Listeners = l
		a.Log.Info("syslog listening", "udp", l.Addr(intake.ProtoSyslogUDP), "tcp", l.Addr(intake.ProtoSyslogTCP), "tls", l.Addr(intake.ProtoSyslogTLS))
	}
	return m, nil
}

// syslogTLS builds the TLS listener's configuration: the server
// certificate, and client certificates checked against --syslog-client-ca
// when given (optional for senders; a verified one may map the sender to an
// agency).
func syslogTLS(cfg *config.Config) (*tls.Config, error) {
	tc, err := serverTLS(cfg)
	if err != nil {
		return nil, err
	}
	if cfg.SyslogClientCA != "" {
		pem, err := os.ReadFile(cfg.SyslogClientCA)
		if err != nil {
			return nil, fmt.Errorf("--syslog-client-ca: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, errors.New("--syslog-client-ca: no PEM certificate in the file")
		}
		tc.ClientCAs = pool
		tc.ClientAuth = tls.VerifyClientCertIfGiven
	}
	return tc, nil
}

// BeginDrain starts the drain at SIGTERM: intake answers new HTTP requests
// with each protocol's retryable busy answer while the listeners stay open,
// and the syslog listeners stop accepting connections (open ones go on
// until Stop).
func (m *Monitoring) BeginDrain() {
	if m == nil {
		return
	}
	m.a.Intake.BeginDrain()
	if m.Listeners != nil {
		m.Listeners.StopAccepting()
	}
}

// Stop drains the intake (HTTP requests storing events finish, new ones
// are told to retry; syslog connections end after what they sent), stops
// detection after its current batches, writes the counters and closes
// the event log, within ctx.
func (m *Monitoring) Stop(ctx context.Context) error {
	if m == nil || m.stopped {
		return nil
	}
	m.stopped = true
	var errs []error
	m.a.Intake.Drain(ctx)
	if m.Listeners != nil {
		if err := m.Listeners.Close(ctx); err != nil {
			errs = append(errs, err)
		}
	}
	m.cancel()
	wait(ctx, &m.detect)
	wait(ctx, &m.intel)
	if m.a.rpz != nil {
		m.a.rpz.Close()
	}
	wait(ctx, &m.stats)
	m.a.Metrics.ops.log.Store(nil)
	if err := m.Log.Close(); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

func wait(ctx context.Context, wg *sync.WaitGroup) {
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-ctx.Done():
	case <-time.After(10 * time.Second):
	}
}
