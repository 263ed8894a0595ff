package eventlog

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// Errors callers may test with errors.Is.
var (
	// ErrClosed is returned by every method after Close.
	ErrClosed = errors.New("eventlog: closed")
	// ErrLocked means another process has the embedded store open.
	ErrLocked = errors.New("eventlog: store locked")
	// ErrBatchTooLarge means a batch exceeds MaxBatchBytes; split it.
	ErrBatchTooLarge = errors.New("eventlog: batch too large")
	// ErrInsufficientStorage means the NATS server (or cluster) cannot
	// reserve Config.MaxBytes × Replicas for the stream: lower MaxBytes, or
	// give JetStream more storage.
	ErrInsufficientStorage = errors.New("eventlog: the NATS server has not enough storage for the stream")
)

const (
	// drainTimeout bounds Close's wait for in-flight acks and publishes.
	drainTimeout = 5 * time.Second
	// asyncAckTimeout fails a PublishAsync whose ack never comes.
	asyncAckTimeout = 30 * time.Second
	// maxAsyncPending bounds unacknowledged async publishes per Log.
	maxAsyncPending = 256
)

// Log is an open event log. Its methods are safe for concurrent use.
type Log struct {
	cfg    Config
	prefix string
	log    *slog.Logger

	srv     *server.Server // nil with an external URL
	unlock  func()
	nc      *nats.Conn
	ncDone  chan struct{} // closed when nc is closed
	js      jetstream.JetStream
	stream  jetstream.Stream
	maxData int // MaxBatchBytes
	// streamID names the incarnation of the stream (streamid.go): stream
	// positions mean something only within one.
	streamID atomic.Pointer[string]

	life     context.Context // cancelled by Close: stops Consume and Range
	stop     context.CancelFunc
	active   sync.WaitGroup // running Consume and Range calls
	mu       sync.Mutex
	closed   bool
	closeErr error
}

// Open starts the embedded server when cfg.URL is empty, connects, and
// creates the stream or updates its retention to match cfg.
func Open(ctx context.Context, cfg Config) (*Log, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	prefix, _ := subjectPrefix(cfg.Stream)
	l := &Log{cfg: cfg, prefix: prefix, log: cfg.Logger.With("component", "eventlog"), ncDone: make(chan struct{})}
	l.life, l.stop = context.WithCancel(context.Background())
	if err := l.connect(); err != nil {
		l.shutdown()
		return nil, err
	}
	if err := l.ensureStream(ctx); err != nil {
		l.shutdown()
		return nil, err
	}
	return l, nil
}

func (l *Log) connect() error {
	opts := []nats.Option{
		nats.Name("kubu-eventlog"),
		nats.DrainTimeout(drainTimeout),
		nats.ClosedHandler(func(*nats.Conn) { close(l.ncDone) }),
		nats.DisconnectErrHandler(func(_ *nats.Conn, err error) {
			if err != nil {
				l.log.Warn("event log disconnected", "err", err)
			}
		}),
		nats.ReconnectHandler(func(nc *nats.Conn) { l.log.Info("event log reconnected", "url", nc.ConnectedUrlRedacted()) }),
		nats.ErrorHandler(func(_ *nats.Conn, sub *nats.Subscription, err error) {
			subj := ""
			if sub != nil {
				subj = sub.Subject
			}
			l.log.Warn("event log async error", "subject", subj, "err", err)
		}),
	}
	url := l.cfg.URL
	if url == "" {
		dir := storeDir(l.cfg.DataDir)
		unlock, err := lockDir(dir)
		if err != nil {
			return err
		}
		l.unlock = unlock
		srv, err := startEmbedded(l.cfg, dir)
		if err != nil {
			return err
		}
		l.srv = srv
		opts = append(opts, nats.InProcessServer(srv))
	} else {
		opts = append(opts, nats.MaxReconnects(-1), nats.ReconnectWait(time.Second))
		opts = append(opts, l.cfg.ClientOptions...)
	}
	nc, err := nats.Connect(url, opts...)
	if err != nil {
		return fmt.Errorf("eventlog: connect: %w", err)
	}
	l.nc = nc
	l.maxData = int(nc.MaxPayload()) - headerAllowance
	js, err := jetstream.New(nc,
		jetstream.WithPublishAsyncMaxPending(maxAsyncPending),
		jetstream.WithPublishAsyncTimeout(asyncAckTimeout),
	)
	if err != nil {
		return fmt.Errorf("eventlog: jetstream: %w", err)
	}
	l.js = js
	return nil
}

// streamConfig is the stream Open creates or updates to.
func (l *Log) streamConfig() jetstream.StreamConfig {
	return jetstream.StreamConfig{
		Name:        l.cfg.Stream,
		Description: "kubu security event batches",
		Subjects:    []string{l.prefix + ".>"},
		Storage:     jetstream.FileStorage,
		Retention:   jetstream.LimitsPolicy,
		Discard:     jetstream.DiscardOld,
		MaxAge:      l.cfg.MaxAge,
		MaxBytes:    l.cfg.MaxBytes,
		MaxMsgs:     -1,
		Replicas:    l.cfg.Replicas,
		Duplicates:  l.cfg.DuplicateWindow,
		AllowDirect: true,
	}
}

func (l *Log) ensureStream(ctx context.Context) error {
	want := l.streamConfig()
	s, err := l.js.CreateOrUpdateStream(ctx, want)
	if err != nil {
		if isStorageShortage(err) {
			return fmt.Errorf("%w: stream %s wants %d bytes × %d replicas: %w", ErrInsufficientStorage, want.Name, want.MaxBytes, want.Replicas, err)
		}
		return fmt.Errorf("eventlog: ensure stream %s: %w", want.Name, err)
	}
	got := s.CachedInfo().Config
	if got.MaxAge != want.MaxAge || got.MaxBytes != want.MaxBytes {
		return fmt.Errorf("eventlog: stream %s kept retention %v/%d bytes, want %v/%d", want.Name, got.MaxAge, got.MaxBytes, want.MaxAge, want.MaxBytes)
	}
	l.stream = s
	l.noteStream(s.CachedInfo().Created)
	return nil
}

// isStorageShortage reports the JetStream errors a stream too large for the
// server's (or account's) storage gets: "insufficient storage resources
// available" (10047), "insufficient resources" (10023), and on a cluster
// "no suitable peers for placement" (10005), which also means too few
// servers for the replicas.
func isStorageShortage(err error) bool {
	var apiErr *jetstream.APIError
	if !errors.As(err, &apiErr) {
		return false
	}
	switch apiErr.ErrorCode {
	case 10047, 10023, 10005:
		return true
	}
	return false
}

// MaxBatchBytes is the largest batch Publish accepts: the server's maximum
// payload less room for headers.
func (l *Log) MaxBatchBytes() int { return l.maxData }

// Health returns nil when JetStream answers and the stream exists.
func (l *Log) Health(ctx context.Context) error {
	if err := l.checkOpen(); err != nil {
		return err
	}
	if st := l.nc.Status(); st != nats.CONNECTED {
		return fmt.Errorf("eventlog: connection %v", st)
	}
	if _, err := l.stream.Info(ctx); err != nil {
		return fmt.Errorf("eventlog: stream %s: %w", l.cfg.Stream, err)
	}
	return nil
}

// Stats describes what the stream holds.
type Stats struct {
	Stream    string
	Messages  uint64
	Bytes     uint64
	FirstSeq  uint64
	LastSeq   uint64
	FirstTime time.Time // zero when empty
	LastTime  time.Time // zero when empty
	Consumers int
	MaxAge    time.Duration
	MaxBytes  int64
}

// Stats reads the stream's current state from the server.
func (l *Log) Stats(ctx context.Context) (Stats, error) {
	if err := l.checkOpen(); err != nil {
		return Stats{}, err
	}
	info, err := l.stream.Info(ctx)
	if err != nil {
		return Stats{}, fmt.Errorf("eventlog: stream info: %w", err)
	}
	st := Stats{
		Stream:    info.Config.Name,
		Messages:  info.State.Msgs,
		Bytes:     info.State.Bytes,
		FirstSeq:  info.State.FirstSeq,
		LastSeq:   info.State.LastSeq,
		Consumers: info.State.Consumers,
		MaxAge:    info.Config.MaxAge,
		MaxBytes:  info.Config.MaxBytes,
	}
	if info.State.Msgs > 0 {
		st.FirstTime, st.LastTime = info.State.FirstTime, info.State.LastTime
	}
	return st, nil
}

func (l *Log) checkOpen() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return ErrClosed
	}
	return nil
}

// begin registers a long-running call (Consume, Range) that Close waits for.
func (l *Log) begin() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return ErrClosed
	}
	l.active.Add(1)
	return nil
}

// Close stops Consume and Range calls (their contexts are cancelled and
// in-flight handlers may still ack), drains the connection so pending acks
// and publishes reach the server, and shuts the embedded server down. It is
// safe to call more than once.
func (l *Log) Close() error {
	l.mu.Lock()
	if l.closed {
		l.mu.Unlock()
		return l.closeErr
	}
	l.closed = true
	l.mu.Unlock()

	l.stop()
	l.active.Wait()
	l.closeErr = l.shutdown()
	return l.closeErr
}

// shutdown drains and closes the connection, stops the embedded server and
// releases the store lock; it tolerates a half-opened Log.
func (l *Log) shutdown() error {
	l.stop()
	var errs []error
	if l.nc != nil {
		if err := l.nc.Drain(); err != nil && !errors.Is(err, nats.ErrConnectionClosed) {
			errs = append(errs, fmt.Errorf("eventlog: drain: %w", err))
			l.nc.Close()
		}
		select {
		case <-l.ncDone:
		case <-time.After(drainTimeout + time.Second):
			l.nc.Close()
			errs = append(errs, errors.New("eventlog: drain timed out"))
		}
	}
	if l.srv != nil {
		l.srv.Shutdown()
		l.srv.WaitForShutdown()
	}
	if l.unlock != nil {
		l.unlock()
	}
	return errors.Join(errs...)
}
