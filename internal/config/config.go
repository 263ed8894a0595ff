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
	PublicURL   string
	RequireTOTP bool
	TrustProxy  bool // trust X-Forwarded-For / X-Forwarded-Proto from the direct peer
	LogLevel    slog.Level

	EventMaxAge   time.Duration
	EventMaxBytes int64

	// SecretKey is the master secret from KUBU_SECRET_KEY or
	// KUBU_SECRET_KEY_FILE; nil means DATA/secret.key.
	SecretKey []byte
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
	fs.StringVar(&c.TLSCert, "tls-cert", envOr(env, "KUBU_TLS_CERT", ""), "TLS certificate file for --syslog-tls (env KUBU_TLS_CERT)")
	fs.StringVar(&c.TLSKey, "tls-key", envOr(env, "KUBU_TLS_KEY", ""), "TLS key file for --syslog-tls (env KUBU_TLS_KEY)")
	fs.StringVar(&c.PublicURL, "public-url", envOr(env, "KUBU_PUBLIC_URL", ""), "public base URL, used in security.txt and links (env KUBU_PUBLIC_URL)")
	fs.BoolVar(&c.RequireTOTP, "require-totp", envBool(env, "KUBU_REQUIRE_TOTP", true), "require a TOTP second factor for staff roles (env KUBU_REQUIRE_TOTP)")
	fs.BoolVar(&c.TrustProxy, "trust-proxy", envBool(env, "KUBU_TRUST_PROXY", false), "trust X-Forwarded-For from a reverse proxy (env KUBU_TRUST_PROXY)")
	fs.DurationVar(&c.EventMaxAge, "event-retention", envDuration(env, "KUBU_EVENT_RETENTION", 7*24*time.Hour), "keep events this long (env KUBU_EVENT_RETENTION)")
	fs.Int64Var(&c.EventMaxBytes, "event-max-bytes", envInt(env, "KUBU_EVENT_MAX_BYTES", 10<<30), "keep at most this many bytes of events (env KUBU_EVENT_MAX_BYTES)")
	fs.Func("log-level", "debug, info, warn or error (env KUBU_LOG_LEVEL)", func(s string) error {
		return c.LogLevel.UnmarshalText([]byte(s))
	})
	if lv := env("KUBU_LOG_LEVEL"); lv != "" {
		c.LogLevel.UnmarshalText([]byte(lv))
	}
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
	for name, addr := range map[string]string{"--addr": c.Addr, "--syslog-udp": c.SyslogUDP, "--syslog-tcp": c.SyslogTCP, "--syslog-tls": c.SyslogTLS} {
		if addr == "" {
			continue
		}
		if _, port, err := net.SplitHostPort(addr); err != nil {
			errs = append(errs, fmt.Errorf("%s %q: want HOST:PORT", name, addr))
		} else if n, err := strconv.Atoi(port); err != nil || n < 0 || n > 65535 {
			errs = append(errs, fmt.Errorf("%s %q: bad port", name, addr))
		}
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
	if c.EventMaxAge < 0 || c.EventMaxBytes < 0 {
		errs = append(errs, errors.New("event retention must not be negative"))
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
