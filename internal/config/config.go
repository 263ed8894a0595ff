// Package config is kubu's one typed configuration, read from flags and
// KUBU_* environment variables (a flag given on the command line wins over
// the environment; secrets may also come from KUBU_*_FILE), and validated
// before anything starts.
package config

import (
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/kubu-gov/kubu/internal/incident"
	"github.com/kubu-gov/kubu/internal/keys"
)

// Config is everything kubu can be told.
type Config struct {
	DataDir     string
	DatabaseURL string

	Addr        string
	NATSURL     string
	Rules       []string
	Demo        bool
	SyslogUDP   string
	SyslogTCP   string
	SyslogTLS   string
	TLSCert     string
	TLSKey      string
	TLSAddr     string // HTTPS listener (with TLSCert/TLSKey); --addr then redirects browsers to it
	PublicURL   string
	RequireTOTP bool
	TrustProxy  bool // trust X-Forwarded-For / X-Forwarded-Proto from the direct peer
	LogLevel    slog.Level

	EventMaxAge   time.Duration
	EventMaxBytes int64

	// Monitoring (intake and detection).
	EventStream       string        // JetStream stream name
	EventReplicas     int           // the stream's replicas on an external NATS cluster (1..5)
	EventSyncInterval time.Duration // embedded log: 0 fsyncs every batch before acknowledging
	SourceNetworks    string        // file mapping syslog sender networks to agencies
	SyslogClientCA    string        // CA file: TLS syslog senders may present client certificates
	IntakeRate        int           // requests per second per intake token (0: unlimited)
	IntakeMaxBody     int64         // largest intake request body, after decompression
	SilenceAfter      time.Duration // a source silent this long raises an alert (0: never)
	AlertGroupWindow  time.Duration // matches of a rule within this window join one alert
	DetectWorkers     int           // detection workers on this node (0: one per core)
	IntakeAddr        string        // a listener of intake's own, where / answers as Elasticsearch
	SyslogIdleTimeout time.Duration // a silent syslog TCP/TLS connection is closed after this long
	DrainTime         time.Duration // on SIGTERM, intake answers "busy" this long before the listeners close
	IntakeMaxLag      time.Duration // detection lag (oldest unfinished batch) past which intake answers "busy" (0: no bound)
	IntakeLagEvents   int64         // events detection has not finished past which intake answers "busy" (0: no bound)

	// SecretKey is the master secret from KUBU_SECRET_KEY or
	// KUBU_SECRET_KEY_FILE; nil means DATA/secret.key.
	SecretKey []byte

	Community Community
	Intel     Intel // containment, feeds, threat intelligence
	SSO       SSO
	Scan      Scan

	// Incident response.
	IncidentTargetsSpec string           // --incident-targets as given
	IncidentTargets     incident.Targets // parsed: the defaults with the spec's severities replaced
	Chromium            string           // browser that prints PDF reports; empty looks for chromium on $PATH
}

// Community configures the community programmes: outgoing mail,
// security.txt, the VDP policy and the public rate limits.
type Community struct {
	SMTPAddr     string // host:port; empty means mail is logged and dropped
	SMTPFrom     string
	SMTPUsername string
	SMTPPassword string   // also KUBU_SMTP_PASSWORD_FILE
	Contacts     []string // extra security.txt Contact URIs (mailto:, https:)
	Encryption   string   // security.txt Encryption URI (an OpenPGP key)
	SafeHarbour  string   // the VDP's safe-harbour text (from a file); empty means the built-in text
	SubmitRate   int      // public submissions per client address per minute
	SubmitGlobal int      // public submissions per minute overall
}

// Getenv reads the environment (os.Getenv in production, a map in tests).
type Getenv func(string) string

// Common registers the flags every command takes.
func Common(fs *flag.FlagSet, c *Config, env Getenv) {
	fs.StringVar(&c.DataDir, "data", envOr(env, "KUBU_DATA", "./kubu-data"), "data directory (env KUBU_DATA)")
	fs.StringVar(&c.DatabaseURL, "database-url", envOr(env, "KUBU_DATABASE_URL", ""), "PostgreSQL URL; empty means SQLite in the data dir (env KUBU_DATABASE_URL)")
}

// Serve registers the flags of `kubu serve`.
func Serve(fs *flag.FlagSet, c *Config, env Getenv) {
	Common(fs, c, env)
	fs.StringVar(&c.Addr, "addr", envOr(env, "KUBU_ADDR", "127.0.0.1:8080"), "HTTP listen address (env KUBU_ADDR)")
	fs.StringVar(&c.NATSURL, "nats-url", envOr(env, "KUBU_NATS_URL", ""), "external NATS URL; empty means embedded JetStream in the data dir (env KUBU_NATS_URL)")
	c.Rules = splitList(env("KUBU_RULES"))
	fs.Func("rules", "Sigma rule file or folder (repeatable; env KUBU_RULES, comma-separated)", func(s string) error {
		c.Rules = append(c.Rules, s)
		return nil
	})
	fs.BoolVar(&c.Demo, "demo", envBool(env, "KUBU_DEMO", false), "on first run, seed a demo government (env KUBU_DEMO)")
	fs.StringVar(&c.SyslogUDP, "syslog-udp", envOr(env, "KUBU_SYSLOG_UDP", ""), "syslog UDP listen address (env KUBU_SYSLOG_UDP)")
	fs.StringVar(&c.SyslogTCP, "syslog-tcp", envOr(env, "KUBU_SYSLOG_TCP", ""), "syslog TCP listen address (env KUBU_SYSLOG_TCP)")
	fs.StringVar(&c.SyslogTLS, "syslog-tls", envOr(env, "KUBU_SYSLOG_TLS", ""), "syslog TLS listen address (env KUBU_SYSLOG_TLS)")
	fs.StringVar(&c.TLSCert, "tls-cert", envOr(env, "KUBU_TLS_CERT", ""), "TLS certificate file (chain, PEM) for --tls-addr and --syslog-tls (env KUBU_TLS_CERT)")
	fs.StringVar(&c.TLSKey, "tls-key", envOr(env, "KUBU_TLS_KEY", ""), "TLS key file for --tls-addr and --syslog-tls (env KUBU_TLS_KEY)")
	fs.StringVar(&c.PublicURL, "public-url", envOr(env, "KUBU_PUBLIC_URL", ""), "public base URL, used in security.txt and links (env KUBU_PUBLIC_URL)")
	fs.BoolVar(&c.RequireTOTP, "require-totp", envBool(env, "KUBU_REQUIRE_TOTP", true), "require a TOTP second factor for staff roles (env KUBU_REQUIRE_TOTP)")
	fs.BoolVar(&c.TrustProxy, "trust-proxy", envBool(env, "KUBU_TRUST_PROXY", false), "trust X-Forwarded-For from a reverse proxy (env KUBU_TRUST_PROXY)")
	fs.DurationVar(&c.EventMaxAge, "event-retention", envDuration(env, "KUBU_EVENT_RETENTION", 7*24*time.Hour), "keep events this long (env KUBU_EVENT_RETENTION)")
	fs.Int64Var(&c.EventMaxBytes, "event-max-bytes", envInt(env, "KUBU_EVENT_MAX_BYTES", 10<<30), "keep at most this many bytes of events (env KUBU_EVENT_MAX_BYTES)")
	fs.StringVar(&c.EventStream, "event-stream", envOr(env, "KUBU_EVENT_STREAM", "KUBU_EVENTS"), "JetStream stream of the event log (env KUBU_EVENT_STREAM)")
	fs.IntVar(&c.EventReplicas, "event-replicas", int(envInt(env, "KUBU_EVENT_REPLICAS", 1)), "copies of the event log on an external NATS cluster (--nats-url), 1 to 5; 3 survives losing any one server (env KUBU_EVENT_REPLICAS)")
	fs.DurationVar(&c.EventSyncInterval, "event-sync-interval", envDuration(env, "KUBU_EVENT_SYNC_INTERVAL", 0), "embedded event log: fsync in the background at this interval instead of before every acknowledgement (env KUBU_EVENT_SYNC_INTERVAL)")
	fs.StringVar(&c.SourceNetworks, "source-networks", envOr(env, "KUBU_SOURCE_NETWORKS", ""), "file mapping syslog sender networks (and TLS client certificate names) to agencies (env KUBU_SOURCE_NETWORKS)")
	fs.StringVar(&c.SyslogClientCA, "syslog-client-ca", envOr(env, "KUBU_SYSLOG_CLIENT_CA", ""), "CA certificates that TLS syslog client certificates are checked against (env KUBU_SYSLOG_CLIENT_CA)")
	fs.IntVar(&c.IntakeRate, "intake-rate", int(envInt(env, "KUBU_INTAKE_RATE", 1000)), "requests per second each intake token may send; 0 means unlimited (env KUBU_INTAKE_RATE)")
	fs.Int64Var(&c.IntakeMaxBody, "intake-max-body", envInt(env, "KUBU_INTAKE_MAX_BODY", 32<<20), "largest intake request body in bytes, after decompression (env KUBU_INTAKE_MAX_BODY)")
	fs.DurationVar(&c.SilenceAfter, "silence-after", envDuration(env, "KUBU_SILENCE_AFTER", time.Hour), "alert when a log source sends nothing for this long; 0 turns it off (env KUBU_SILENCE_AFTER)")
	fs.DurationVar(&c.AlertGroupWindow, "alert-group-window", envDuration(env, "KUBU_ALERT_GROUP_WINDOW", time.Hour), "matches of one rule, agency and host within this window join one alert (env KUBU_ALERT_GROUP_WINDOW)")
	fs.StringVar(&c.IntakeAddr, "intake-addr", envOr(env, "KUBU_INTAKE_ADDR", ""), "a listen address serving only the intake protocols, where / answers as Elasticsearch (env KUBU_INTAKE_ADDR)")
	fs.DurationVar(&c.SyslogIdleTimeout, "syslog-idle-timeout", envDuration(env, "KUBU_SYSLOG_IDLE_TIMEOUT", 24*time.Hour), "close a syslog TCP/TLS connection silent this long (env KUBU_SYSLOG_IDLE_TIMEOUT)")
	fs.DurationVar(&c.DrainTime, "drain-time", envDuration(env, "KUBU_DRAIN_TIME", 2*time.Second), "on SIGTERM, keep listening this long answering intake with each protocol's retryable busy answer; at most 5s (env KUBU_DRAIN_TIME)")
	fs.DurationVar(&c.IntakeMaxLag, "intake-max-lag", envDuration(env, "KUBU_INTAKE_MAX_LAG", 60*time.Second), "when detection is this far behind (age of the oldest stored batch it has not finished), intake answers each protocol's retryable busy answer and pauses syslog TCP/TLS until the lag is back under half; 0 means no bound (env KUBU_INTAKE_MAX_LAG)")
	fs.Int64Var(&c.IntakeLagEvents, "intake-max-lag-events", envInt(env, "KUBU_INTAKE_MAX_LAG_EVENTS", 0), "the same bound in events detection has not finished (estimated from pending batches); 0 means no bound (env KUBU_INTAKE_MAX_LAG_EVENTS)")
	fs.IntVar(&c.DetectWorkers, "detect-workers", int(envInt(env, "KUBU_DETECT_WORKERS", 0)), "detection workers on this node; 0 means one per core (env KUBU_DETECT_WORKERS)")
	fs.Func("log-level", "debug, info, warn or error (env KUBU_LOG_LEVEL)", func(s string) error {
		return c.LogLevel.UnmarshalText([]byte(s))
	})
	if lv := env("KUBU_LOG_LEVEL"); lv != "" {
		c.LogLevel.UnmarshalText([]byte(lv))
	}
	communityFlags(fs, &c.Community, env)
	fs.StringVar(&c.IncidentTargetsSpec, "incident-targets", envOr(env, "KUBU_INCIDENT_TARGETS", ""),
		"incident SLA targets per severity, SEVERITY=ACK/CONTAIN/RECOVER,… e.g. critical=15m/4h/24h (env KUBU_INCIDENT_TARGETS)")
	fs.StringVar(&c.Chromium, "chromium", envOr(env, "KUBU_CHROMIUM", ""), "Chromium binary that prints PDF reports; empty looks for chromium on $PATH (env KUBU_CHROMIUM)")
	intelFlags(fs, &c.Intel, env)
	ssoFlags(fs, &c.SSO, env)
	httpsFlags(fs, c, env)
	scanFlags(fs, &c.Scan, env)
}

func communityFlags(fs *flag.FlagSet, c *Community, env Getenv) {
	fs.StringVar(&c.SMTPAddr, "smtp-addr", envOr(env, "KUBU_SMTP_ADDR", ""), "SMTP server HOST:PORT for notification email; empty drops mail (env KUBU_SMTP_ADDR)")
	fs.StringVar(&c.SMTPFrom, "smtp-from", envOr(env, "KUBU_SMTP_FROM", "kubu@localhost"), "sender address of kubu's email (env KUBU_SMTP_FROM)")
	fs.StringVar(&c.SMTPUsername, "smtp-username", envOr(env, "KUBU_SMTP_USERNAME", ""), "SMTP user; the password comes from KUBU_SMTP_PASSWORD[_FILE] (env KUBU_SMTP_USERNAME)")
	c.SMTPPassword = env("KUBU_SMTP_PASSWORD")
	c.Contacts = splitList(env("KUBU_VDP_CONTACT"))
	fs.Func("vdp-contact", "extra security.txt Contact URI, mailto: or https: (repeatable; env KUBU_VDP_CONTACT, comma-separated)", func(s string) error {
		c.Contacts = append(c.Contacts, s)
		return nil
	})
	fs.StringVar(&c.Encryption, "vdp-encryption", envOr(env, "KUBU_VDP_ENCRYPTION", ""), "security.txt Encryption URI of an OpenPGP key (env KUBU_VDP_ENCRYPTION)")
	safeHarbour := envOr(env, "KUBU_VDP_SAFE_HARBOUR_FILE", "")
	fs.Func("vdp-safe-harbour-file", "file with the VDP's safe-harbour text (env KUBU_VDP_SAFE_HARBOUR_FILE)", func(s string) error {
		safeHarbour = s
		return nil
	})
	c.SafeHarbour = safeHarbour // replaced by the file's text in Finish
	fs.IntVar(&c.SubmitRate, "vdp-rate", int(envInt(env, "KUBU_VDP_RATE", 30)), "public VDP submissions per client address per minute (env KUBU_VDP_RATE)")
	fs.IntVar(&c.SubmitGlobal, "vdp-global-rate", int(envInt(env, "KUBU_VDP_GLOBAL_RATE", 600)), "public VDP submissions per minute overall (env KUBU_VDP_GLOBAL_RATE)")
}

// finish reads the safe-harbour file and the SMTP password file,
// and checks the community settings.
func (c *Community) finish(env Getenv) []error {
	var errs []error
	if c.SafeHarbour != "" {
		b, err := os.ReadFile(c.SafeHarbour)
		if err != nil {
			errs = append(errs, fmt.Errorf("--vdp-safe-harbour-file: %w", err))
		}
		c.SafeHarbour = strings.TrimSpace(string(b))
	}
	if c.SMTPPassword == "" {
		if f := env("KUBU_SMTP_PASSWORD_FILE"); f != "" {
			b, err := os.ReadFile(f)
			if err != nil {
				errs = append(errs, fmt.Errorf("KUBU_SMTP_PASSWORD_FILE: %w", err))
			}
			c.SMTPPassword = strings.TrimSpace(string(b))
		}
	}
	if c.SMTPAddr != "" {
		if _, _, err := net.SplitHostPort(c.SMTPAddr); err != nil {
			errs = append(errs, fmt.Errorf("--smtp-addr %q: want HOST:PORT", c.SMTPAddr))
		}
	}
	for _, ct := range append(append([]string{}, c.Contacts...), c.Encryption) {
		if ct != "" && !strings.HasPrefix(ct, "mailto:") && !strings.HasPrefix(ct, "https://") {
			errs = append(errs, fmt.Errorf("security.txt URI %q must start with mailto: or https://", ct))
		}
	}
	if c.SubmitRate < 0 || c.SubmitGlobal < 0 {
		errs = append(errs, errors.New("--vdp-rate and --vdp-global-rate must be at least 1 (0 means the default)"))
	}
	return errs
}

// Finish reads file-held secrets and checks the configuration. Its errors
// say which setting is wrong.
func (c *Config) Finish(env Getenv) error {
	var errs []error
	if c.DataDir == "" {
		errs = append(errs, errors.New("--data must not be empty"))
	}
	if c.DatabaseURL == "" {
		if f := env("KUBU_DATABASE_URL_FILE"); f != "" {
			b, err := os.ReadFile(f)
			if err != nil {
				errs = append(errs, fmt.Errorf("KUBU_DATABASE_URL_FILE: %w", err))
			}
			c.DatabaseURL = strings.TrimSpace(string(b))
		}
	}
	if c.DatabaseURL != "" {
		u, err := url.Parse(c.DatabaseURL)
		if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
			errs = append(errs, errors.New("--database-url must be a postgres:// URL (or empty for SQLite)"))
		}
	}
	if s, f := env("KUBU_SECRET_KEY"), env("KUBU_SECRET_KEY_FILE"); s != "" || f != "" {
		if s == "" {
			b, err := os.ReadFile(f)
			if err != nil {
				errs = append(errs, fmt.Errorf("KUBU_SECRET_KEY_FILE: %w", err))
			}
			s = string(b)
		}
		if s != "" {
			k, err := keys.Parse(s)
			if err != nil {
				errs = append(errs, fmt.Errorf("KUBU_SECRET_KEY: %w", err))
			}
			c.SecretKey = k
		}
	}
	for name, addr := range map[string]string{"--addr": c.Addr, "--syslog-udp": c.SyslogUDP, "--syslog-tcp": c.SyslogTCP, "--syslog-tls": c.SyslogTLS, "--intake-addr": c.IntakeAddr, "--tls-addr": c.TLSAddr} {
		if addr == "" {
			continue
		}
		if _, port, err := net.SplitHostPort(addr); err != nil {
			errs = append(errs, fmt.Errorf("%s %q: want HOST:PORT", name, addr))
		} else if n, err := strconv.Atoi(port); err != nil || n < 0 || n > 65535 {
			errs = append(errs, fmt.Errorf("%s %q: bad port", name, addr))
		}
	}
	if c.SyslogIdleTimeout != 0 && c.SyslogIdleTimeout < time.Second {
		errs = append(errs, errors.New("--syslog-idle-timeout must be at least 1s"))
	}
	if c.DrainTime < 0 || c.DrainTime > 5*time.Second {
		errs = append(errs, errors.New("--drain-time must be between 0s and 5s (SIGTERM exits within 10 s)"))
	}
	if c.SyslogTLS != "" && (c.TLSCert == "" || c.TLSKey == "") {
		errs = append(errs, errors.New("--syslog-tls needs --tls-cert and --tls-key"))
	}
	for _, f := range []struct{ name, path string }{{"--tls-cert", c.TLSCert}, {"--tls-key", c.TLSKey}} {
		if f.path != "" {
			if _, err := os.Stat(f.path); err != nil {
				errs = append(errs, fmt.Errorf("%s: %w", f.name, err))
			}
		}
	}
	if c.NATSURL != "" {
		if u, err := url.Parse(c.NATSURL); err != nil || (u.Scheme != "nats" && u.Scheme != "tls") {
			errs = append(errs, errors.New("--nats-url must be a nats:// or tls:// URL (or empty for the embedded server)"))
		}
	}
	if c.PublicURL != "" {
		u, err := url.Parse(c.PublicURL)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			errs = append(errs, errors.New("--public-url must be an absolute http(s) URL"))
		}
		c.PublicURL = strings.TrimRight(c.PublicURL, "/")
	}
	for _, r := range c.Rules {
		if _, err := os.Stat(r); err != nil {
			errs = append(errs, fmt.Errorf("--rules %s: %w", r, err))
		}
	}
	errs = append(errs, c.Community.finish(env)...)
	if t, err := incident.ParseTargets(c.IncidentTargetsSpec, incident.DefaultTargets()); err != nil {
		errs = append(errs, fmt.Errorf("--incident-targets: %w", err))
	} else {
		c.IncidentTargets = t
	}
	errs = append(errs, c.Intel.finish(env)...)
	errs = append(errs, c.SSO.finish(env)...)
	errs = append(errs, c.finishHTTPS()...)
	errs = append(errs, c.Scan.finish()...)
	if c.EventMaxAge < 0 || c.EventMaxBytes < 0 {
		errs = append(errs, errors.New("event retention must not be negative"))
	}
	if c.EventReplicas == 0 {
		c.EventReplicas = 1 // commands other than serve have no such flag
	}
	if c.EventReplicas < 1 || c.EventReplicas > 5 {
		errs = append(errs, fmt.Errorf("--event-replicas %d: want 1 to 5", c.EventReplicas))
	} else if c.EventReplicas > 1 && c.NATSURL == "" {
		errs = append(errs, errors.New("--event-replicas above 1 needs an external NATS cluster (--nats-url); the embedded server keeps one copy"))
	}
	if c.EventSyncInterval < 0 {
		errs = append(errs, errors.New("--event-sync-interval must not be negative"))
	}
	if c.IntakeRate < 0 {
		errs = append(errs, errors.New("--intake-rate must not be negative"))
	}
	if c.IntakeMaxBody < 0 || c.IntakeMaxBody > 0 && c.IntakeMaxBody < 64<<10 {
		errs = append(errs, errors.New("--intake-max-body must be at least 65536 bytes"))
	}
	if c.SilenceAfter < 0 {
		errs = append(errs, errors.New("--silence-after must not be negative (0 turns it off)"))
	}
	if c.AlertGroupWindow < 0 {
		errs = append(errs, errors.New("--alert-group-window must not be negative"))
	}
	if c.IntakeMaxLag < 0 || c.IntakeMaxLag > 0 && c.IntakeMaxLag < time.Second {
		errs = append(errs, errors.New("--intake-max-lag must be 0 (no bound) or at least 1s"))
	}
	if c.IntakeLagEvents < 0 {
		errs = append(errs, errors.New("--intake-max-lag-events must not be negative (0: no bound)"))
	}
	if c.DetectWorkers < 0 || c.DetectWorkers > 256 {
		errs = append(errs, errors.New("--detect-workers must be from 0 to 256"))
	}
	for _, f := range []struct{ name, path string }{{"--source-networks", c.SourceNetworks}, {"--syslog-client-ca", c.SyslogClientCA}} {
		if f.path != "" {
			if _, err := os.Stat(f.path); err != nil {
				errs = append(errs, fmt.Errorf("%s: %w", f.name, err))
			}
		}
	}
	if c.DataDir != "" {
		if abs, err := filepath.Abs(c.DataDir); err == nil {
			c.DataDir = abs
		}
	}
	return errors.Join(errs...)
}

// BaseURL is the public URL, or one made from the listen address.
func (c *Config) BaseURL() string {
	if c.PublicURL != "" {
		return c.PublicURL
	}
	return "http://" + c.Addr
}

func envOr(env Getenv, k, def string) string {
	if v := env(k); v != "" {
		return v
	}
	return def
}

func envBool(env Getenv, k string, def bool) bool {
	if b, err := strconv.ParseBool(env(k)); err == nil {
		return b
	}
	return def
}

func envInt(env Getenv, k string, def int64) int64 {
	if n, err := strconv.ParseInt(env(k), 10, 64); err == nil {
		return n
	}
	return def
}

func envDuration(env Getenv, k string, def time.Duration) time.Duration {
	if d, err := time.ParseDuration(env(k)); err == nil {
		return d
	}
	return def
}

func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}
