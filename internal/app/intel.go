package app

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"net/url"
	"os"
	"sync"
	"time"

	"github.com/kubu-gov/kubu/internal/config"
	"github.com/kubu-gov/kubu/internal/contain"
	"github.com/kubu-gov/kubu/internal/contain/guard"
	"github.com/kubu-gov/kubu/internal/contain/scim"
	"github.com/kubu-gov/kubu/internal/eventlog"
	"github.com/kubu-gov/kubu/internal/feeds"
	"github.com/kubu-gov/kubu/internal/indicators"
	"github.com/kubu-gov/kubu/internal/intel/rpz"
	"github.com/kubu-gov/kubu/internal/webhook"
)

// openIntel builds containment, the feeds and threat intelligence
// (contract §7). StartMonitoring runs their jobs.
func (a *App) openIntel(cfg *config.Config, log *slog.Logger) error {
	ic := cfg.Intel
	pol, err := guardPolicy(cfg)
	if err != nil {
		return err
	}
	opts := contain.Options{OnePerson: ic.OnePerson, Guard: pol, MinTTL: ic.MinTTL, Log: log}
	if ic.SCIMURL != "" {
		opts.SCIM = &scim.Client{BaseURL: ic.SCIMURL, Token: ic.SCIMToken}
	}
	if ic.WebhookURL != "" {
		opts.Webhook = &webhook.Sender{URL: ic.WebhookURL, Secret: []byte(ic.WebhookSecret)}
	}
	a.Contain = contain.New(a.DB, a.Audit, opts)
	var zone *rpz.Server
	if ic.RPZAddr != "" {
		var allow []netip.Prefix
		for _, n := range ic.RPZAllowTransfer {
			p, err := netip.ParsePrefix(n)
			if err != nil {
				return fmt.Errorf("--rpz-allow-transfer: %w", err)
			}
			allow = append(allow, p)
		}
		zone, err = rpz.New(rpz.Config{Zone: ic.RPZZone, Addr: ic.RPZAddr, Secondaries: ic.RPZNotify, AllowTransfer: allow, Logger: log})
		if err != nil {
			return fmt.Errorf("--rpz-addr: %w", err)
		}
	}
	a.rpz = zone
	a.Feeds = feeds.New(a.DB, a.Audit, a.Contain, feeds.Options{RPZ: zone, Log: log})
	var sources []indicators.SourceConfig
	if ic.Sources != "" {
		f, err := os.Open(ic.Sources)
		if err != nil {
			return fmt.Errorf("--intel-sources: %w", err)
		}
		sources, err = indicators.ParseSources(f, os.Getenv)
		f.Close()
		if err != nil {
			return fmt.Errorf("--intel-sources: %w", err)
		}
	}
	a.Intel = indicators.New(a.DB, a.Audit, a.Detect, a.Registry, indicators.Options{NodeID: a.NodeID(), Sources: sources, Workers: ic.IOCWorkers, Log: log})
	return nil
}

// guardPolicy is the containment guard rails: the platform's own
// addresses and names (from --public-url, the listen addresses and
// --containment-protect) and the allow-list file.
func guardPolicy(cfg *config.Config) (*guard.Policy, error) {
	p := &guard.Policy{}
	addHost := func(h string) {
		if h == "" {
			return
		}
		if ip, err := netip.ParseAddr(h); err == nil {
			if !ip.IsUnspecified() {
				p.Own = append(p.Own, netip.PrefixFrom(ip.Unmap(), ip.Unmap().BitLen()))
			}
			return
		}
		p.OwnDomains = append(p.OwnDomains, h)
	}
	if cfg.PublicURL != "" {
		if u, err := url.Parse(cfg.PublicURL); err == nil {
			addHost(u.Hostname())
		}
	}
	for _, addr := range []string{cfg.Addr, cfg.SyslogUDP, cfg.SyslogTCP, cfg.SyslogTLS, cfg.Intel.RPZAddr} {
		if h, _, err := net.SplitHostPort(addr); err == nil {
			addHost(h)
		}
	}
	for _, v := range cfg.Intel.Protect {
		if pr, err := netip.ParsePrefix(v); err == nil {
			p.Own = append(p.Own, pr.Masked())
			continue
		}
		addHost(v)
	}
	if cfg.Intel.AllowList != "" {
		f, err := os.Open(cfg.Intel.AllowList)
		if err != nil {
			return nil, fmt.Errorf("--containment-allow-list: %w", err)
		}
		defer f.Close()
		al, err := guard.ParseAllowList(f)
		if err != nil {
			return nil, fmt.Errorf("--containment-allow-list: %w", err)
		}
		p.Allow = al
	}
	return p, nil
}

// startIntel starts the response policy zone and the jobs of
// containment, the feeds and threat intelligence, until ctx ends.
func (a *App) startIntel(ctx context.Context, elog *eventlog.Log, wg *sync.WaitGroup) error {
	if a.rpz != nil {
		if err := a.rpz.Start(); err != nil {
			return fmt.Errorf("--rpz-addr: %w", err)
		}
		a.Log.Info("response policy zone serving", "addr", a.rpz.Addr(), "zone", a.Cfg.Intel.RPZZone)
	}
	// Publish the lists once before serving, so the first fetch is current.
	if err := a.Feeds.Refresh(ctx); err != nil {
		a.Log.Warn("feeds", "err", err)
	}
	go1 := func(fn func()) {
		wg.Add(1)
		go func() { defer wg.Done(); fn() }()
	}
	go1(func() { a.Feeds.Run(ctx) })
	go1(func() {
		if err := a.Intel.Run(ctx, elog); err != nil && ctx.Err() == nil {
			a.Log.Error("threat intelligence stopped", "err", err)
		}
	})
	go1(func() {
		t := time.NewTicker(time.Second)
		defer t.Stop()
		for {
			if n, err := a.Contain.Expire(ctx); err != nil && ctx.Err() == nil {
				a.Log.Error("containment expiry", "err", err)
			} else if n > 0 {
				a.Log.Info("containment actions expired", "count", n)
			}
			if _, err := a.Contain.Sync(ctx); err != nil && ctx.Err() == nil {
				a.Log.Error("containment connectors", "err", err)
			}
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
		}
	})
	return nil
}
