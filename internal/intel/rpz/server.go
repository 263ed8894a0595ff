package rpz

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/miekg/dns"
)

// Config sets up a Server.
type Config struct {
	// Zone is the zone's origin (default "rpz.kubu.").
	Zone string
	// Addr is where to listen, UDP and TCP (e.g. "0.0.0.0:53",
	// "127.0.0.1:0" for any free port).
	Addr string
	// Secondaries are host:port addresses to send NOTIFY to after each
	// change. They may also transfer the zone.
	Secondaries []string
	// AllowTransfer lists who may transfer the zone besides the
	// secondaries and loopback addresses; nil allows no one else.
	AllowTransfer []netip.Prefix
	// TSIG, when set, maps key names ("kubu-rpz.") to base64 secrets;
	// then a transfer must be signed with one of them (hmac-sha256), and
	// is allowed from any address.
	TSIG map[string]string
	// NS and Mbox fill the SOA (defaults "localhost." and
	// "hostmaster.localhost."); TTL is the records' TTL and the SOA
	// minimum (default 60 s); Refresh, Retry and Expire default to
	// 300, 60 and 86400 s.
	NS, Mbox                    string
	TTL, Refresh, Retry, Expire uint32
	// Serial is the first serial (the last one served before a restart);
	// the first zone's serial is above it.
	Serial uint32
	// Now stands for time.Now in tests.
	Now func() time.Time
	// Logger receives NOTIFY failures and refused transfers.
	Logger *slog.Logger
}

// Server serves the zone.
type Server struct {
	cfg     Config
	cur     atomic.Pointer[zone]
	mu      sync.Mutex // serialises Update
	udp     *dns.Server
	tcp     *dns.Server
	addr    net.Addr
	allowed []netip.Prefix
	notify  sync.WaitGroup
}

// New checks the configuration and makes a server holding an empty zone.
func New(cfg Config) (*Server, error) {
	if cfg.Zone == "" {
		cfg.Zone = "rpz.kubu."
	}
	cfg.Zone = strings.ToLower(dns.Fqdn(cfg.Zone))
	if _, ok := dns.IsDomainName(cfg.Zone); !ok || cfg.Zone == "." {
		return nil, fmt.Errorf("rpz: zone %q is not a domain name", cfg.Zone)
	}
	if cfg.NS == "" {
		cfg.NS = "localhost."
	}
	if cfg.Mbox == "" {
		cfg.Mbox = "hostmaster.localhost."
	}
	cfg.NS, cfg.Mbox = dns.Fqdn(cfg.NS), dns.Fqdn(cfg.Mbox)
	if cfg.TTL == 0 {
		cfg.TTL = 60
	}
	if cfg.Refresh == 0 {
		cfg.Refresh = 300
	}
	if cfg.Retry == 0 {
		cfg.Retry = 60
	}
	if cfg.Expire == 0 {
		cfg.Expire = 86400
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	s := &Server{cfg: cfg}
	s.allowed = append(s.allowed, netip.MustParsePrefix("127.0.0.0/8"), netip.MustParsePrefix("::1/128"))
	s.allowed = append(s.allowed, cfg.AllowTransfer...)
	for _, sec := range cfg.Secondaries {
		ap, err := netip.ParseAddrPort(sec)
		if err != nil {
			return nil, fmt.Errorf("rpz: secondary %q is not address:port: %v", sec, err)
		}
		a := ap.Addr().Unmap()
		s.allowed = append(s.allowed, netip.PrefixFrom(a, a.BitLen()))
	}
	for name, secret := range cfg.TSIG {
		if _, ok := dns.IsDomainName(name); !ok || secret == "" {
			return nil, fmt.Errorf("rpz: TSIG key %q needs a domain-name key and a secret", name)
		}
	}
	s.cur.Store(s.newZone(nil, s.nextSerial(cfg.Serial)))
	return s, nil
}

// nextSerial is above prev: the Unix time, or prev+1 when that is not
// larger (two changes in one second, or a clock set back).
func (s *Server) nextSerial(prev uint32) uint32 {
	now := uint32(s.cfg.Now().Unix())
	if int32(now-prev) > 0 { // serial arithmetic, RFC 1982
		return now
	}
	return prev + 1
}

// Serial is the zone's current serial.
func (s *Server) Serial() uint32 { return s.cur.Load().serial }

// Names returns the blocked domains, sorted.
func (s *Server) Names() []string { return slices.Clone(s.cur.Load().names) }

// Update makes the zone hold exactly the given domains. When that changes
// the zone, the serial grows and the secondaries are notified (in the
// background; Close waits for them). Domains that cannot be in the zone
// are left out and returned with the reason.
func (s *Server) Update(domains []string) (changed bool, rejected []string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	old := s.cur.Load()
	names, rejected := cleanNames(old.origin, domains)
	if slices.Equal(names, old.names) {
		return false, rejected
	}
	z := s.newZone(names, s.nextSerial(old.serial))
	s.cur.Store(z)
	for _, sec := range s.cfg.Secondaries {
		s.notify.Add(1)
		go func() {
			defer s.notify.Done()
			if err := s.sendNotify(sec, z); err != nil {
				s.cfg.Logger.Warn("rpz: NOTIFY failed", "secondary", sec, "serial", z.serial, "err", err)
			}
		}()
	}
	return true, rejected
}

// sendNotify sends one NOTIFY (RFC 1996) and waits for its answer,
// trying three times.
func (s *Server) sendNotify(addr string, z *zone) error {
	m := new(dns.Msg)
	m.SetNotify(z.origin)
	m.Authoritative = true
	m.Answer = []dns.RR{z.soa}
	c := &dns.Client{Net: "udp", Timeout: 2 * time.Second}
	var err error
	for try := 0; try < 3; try++ {
		var r *dns.Msg
		r, _, err = c.Exchange(m, addr)
		if err == nil {
			if r.Rcode != dns.RcodeSuccess {
				return fmt.Errorf("answered %s", dns.RcodeToString[r.Rcode])
			}
			return nil
		}
	}
	return err
}

// Start listens on cfg.Addr (UDP and TCP on the same port) and serves
// until Close. It returns once both listeners are up.
func (s *Server) Start() error {
	tl, err := net.Listen("tcp", s.cfg.Addr)
	if err != nil {
		return fmt.Errorf("rpz: listen tcp %s: %w", s.cfg.Addr, err)
	}
	pc, err := net.ListenPacket("udp", tl.Addr().String())
	if err != nil {
		tl.Close()
		return fmt.Errorf("rpz: listen udp %s: %w", tl.Addr(), err)
	}
	s.addr = tl.Addr()
	mux := dns.NewServeMux()
	mux.HandleFunc(".", s.serveDNS)
	var secrets map[string]string
	if len(s.cfg.TSIG) > 0 {
		secrets = make(map[string]string, len(s.cfg.TSIG))
		for k, v := range s.cfg.TSIG {
			secrets[dns.Fqdn(strings.ToLower(k))] = v
		}
	}
	started := make(chan error, 2)
	s.tcp = &dns.Server{Listener: tl, Handler: mux, TsigSecret: secrets, NotifyStartedFunc: func() { started <- nil }}
	s.udp = &dns.Server{PacketConn: pc, Handler: mux, TsigSecret: secrets, NotifyStartedFunc: func() { started <- nil }}
	for _, srv := range []*dns.Server{s.tcp, s.udp} {
		go func() {
			if err := srv.ActivateAndServe(); err != nil {
				started <- err
			}
		}()
	}
	for i := 0; i < 2; i++ {
		if err := <-started; err != nil {
			s.Close()
			return fmt.Errorf("rpz: serve: %w", err)
		}
	}
	return nil
}

// Addr is the address the server listens on (after Start).
func (s *Server) Addr() string { return s.addr.String() }

// Close stops serving and waits for pending NOTIFYs.
func (s *Server) Close() error {
	var errs []error
	for _, srv := range []*dns.Server{s.tcp, s.udp} {
		if srv != nil {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			if err := srv.ShutdownContext(ctx); err != nil && !strings.Contains(err.Error(), "server not started") {
				errs = append(errs, err)
			}
			cancel()
		}
	}
	s.notify.Wait()
	return errors.Join(errs...)
}
