package eventlog

import (
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/nats-io/nats.go"
)

// Defaults applied by Open to zero Config fields.
const (
	DefaultStream          = "KUBU_EVENTS"
	DefaultMaxAge          = 7 * 24 * time.Hour
	DefaultMaxBytes        = 10 << 30 // 10 GiB
	DefaultDuplicateWindow = 2 * time.Minute
	DefaultMaxPayload      = 8 << 20 // 8 MiB, embedded server only

	// headerAllowance is kept free of the server's max payload for the
	// message headers (Nats-Msg-Id) when computing MaxBatchBytes.
	headerAllowance = 1 << 10
)

// Config says where the log lives and how long it keeps events.
type Config struct {
	// DataDir holds the embedded server's store in DataDir/jetstream.
	// Required unless URL is set.
	DataDir string
	// URL, when non-empty, connects to an external NATS server or cluster
	// (nats://host:port, comma-separated for several) and starts no
	// embedded server.
	URL string
	// ClientOptions are extra nats.go options for the external connection
	// (TLS, credentials). Ignored for the embedded server.
	ClientOptions []nats.Option

	// Stream is the JetStream stream name; default DefaultStream. It
	// decides the subject prefix: "KUBU_EVENTS" → "kubu.events". Letters,
	// digits and '-', in words separated by single '_'.
	Stream string
	// MaxAge drops messages older than this; default DefaultMaxAge.
	MaxAge time.Duration
	// MaxBytes drops the oldest messages once the stream is larger; default
	// DefaultMaxBytes.
	MaxBytes int64
	// Replicas is the stream's replica count on an external cluster;
	// default 1. The embedded server always uses 1.
	Replicas int
	// DuplicateWindow is how long JetStream remembers message IDs for
	// de-duplication; default DefaultDuplicateWindow, capped at MaxAge.
	DuplicateWindow time.Duration

	// SyncInterval applies to the embedded server only. Zero (the default)
	// means SyncAlways: every stored message is fsynced before its
	// acknowledgement, so an acknowledged event survives a crash of the
	// process and of the machine. A positive value fsyncs in the background
	// at that interval instead: faster, still safe against the process
	// dying (writes reach the OS before the ack), but a power loss may drop
	// up to one interval of acknowledged events.
	SyncInterval time.Duration
	// MaxPayload is the largest message the embedded server accepts;
	// default DefaultMaxPayload. An external server decides its own.
	MaxPayload int32

	// Logger receives connection events and the embedded server's log
	// (notices at debug level). Default: slog.Default().
	Logger *slog.Logger
}

// withDefaults returns cfg with zero fields filled in, or an error naming
// the first invalid field.
func (cfg Config) withDefaults() (Config, error) {
	if cfg.URL == "" && cfg.DataDir == "" {
		return cfg, errors.New("eventlog: DataDir is required for the embedded server")
	}
	if cfg.Stream == "" {
		cfg.Stream = DefaultStream
	}
	if _, err := subjectPrefix(cfg.Stream); err != nil {
		return cfg, err
	}
	if cfg.MaxAge == 0 {
		cfg.MaxAge = DefaultMaxAge
	}
	if cfg.MaxAge < 0 {
		return cfg, fmt.Errorf("eventlog: MaxAge %v is negative", cfg.MaxAge)
	}
	if cfg.MaxBytes == 0 {
		cfg.MaxBytes = DefaultMaxBytes
	}
	if cfg.MaxBytes < 0 {
		return cfg, fmt.Errorf("eventlog: MaxBytes %d is negative", cfg.MaxBytes)
	}
	if cfg.Replicas == 0 || cfg.URL == "" {
		cfg.Replicas = 1
	}
	if cfg.Replicas < 1 || cfg.Replicas > 5 {
		return cfg, fmt.Errorf("eventlog: Replicas %d out of range 1..5", cfg.Replicas)
	}
	if cfg.DuplicateWindow == 0 {
		cfg.DuplicateWindow = DefaultDuplicateWindow
	}
	if cfg.DuplicateWindow < 0 {
		return cfg, fmt.Errorf("eventlog: DuplicateWindow %v is negative", cfg.DuplicateWindow)
	}
	cfg.DuplicateWindow = min(cfg.DuplicateWindow, cfg.MaxAge)
	if cfg.SyncInterval < 0 {
		return cfg, fmt.Errorf("eventlog: SyncInterval %v is negative", cfg.SyncInterval)
	}
	if cfg.MaxPayload == 0 {
		cfg.MaxPayload = DefaultMaxPayload
	}
	if cfg.MaxPayload < 1<<16 {
		return cfg, fmt.Errorf("eventlog: MaxPayload %d is below 64 KiB", cfg.MaxPayload)
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	return cfg, nil
}

// subjectPrefix derives the subject prefix from a stream name:
// lower case, '_' becomes '.'.
func subjectPrefix(stream string) (string, error) {
	if len(stream) > maxTokenLen {
		return "", fmt.Errorf("eventlog: stream name %q is longer than %d bytes", stream, maxTokenLen)
	}
	words := strings.Split(stream, "_")
	for _, w := range words {
		if w == "" || !isToken(w, false) {
			return "", fmt.Errorf("eventlog: stream name %q: want letters, digits and '-' in words joined by single '_'", stream)
		}
	}
	return strings.ToLower(strings.Join(words, ".")), nil
}
