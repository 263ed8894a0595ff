package eventlog

import (
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/nats-io/nats-server/v2/server"
)

// startTimeout bounds how long the embedded server may take to recover its
// store and accept the in-process connection.
const startTimeout = 2 * time.Minute

// startEmbedded starts a nats-server with JetStream and no listener, its
// file store in dir. The caller owns the returned server and must Shutdown.
func startEmbedded(cfg Config, dir string) (*server.Server, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("eventlog: create store dir: %w", err)
	}
	opts := &server.Options{
		ServerName:   "kubu-eventlog",
		DontListen:   true,
		NoSigs:       true,
		JetStream:    true,
		StoreDir:     dir,
		SyncAlways:   cfg.SyncInterval == 0,
		SyncInterval: cfg.SyncInterval,
		MaxPayload:   cfg.MaxPayload,
	}
	srv, err := server.NewServer(opts)
	if err != nil {
		return nil, fmt.Errorf("eventlog: embedded server: %w", err)
	}
	srv.SetLoggerV2(slogAdapter{cfg.Logger.With("component", "nats-server")}, false, false, false)
	srv.Start()
	if !srv.ReadyForConnections(startTimeout) || !srv.JetStreamEnabled() {
		srv.Shutdown()
		srv.WaitForShutdown()
		return nil, fmt.Errorf("eventlog: embedded server in %s did not start within %v", dir, startTimeout)
	}
	return srv, nil
}

// storeDir is the directory the event log owns inside the data dir: it
// holds kubu.lock and nats-server's own store (which nats-server puts in a
// further "jetstream" subdirectory). Keeping nats-server out of the data
// dir itself stops its start-up scan from ever touching kubu's other files.
func storeDir(dataDir string) string { return filepath.Join(dataDir, "jetstream") }

// slogAdapter routes nats-server's log to slog: notices at debug level so a
// normal run stays quiet, warnings and errors as such.
type slogAdapter struct{ l *slog.Logger }

func (a slogAdapter) Noticef(format string, v ...any) { a.l.Debug(fmt.Sprintf(format, v...)) }
func (a slogAdapter) Warnf(format string, v ...any)   { a.l.Warn(fmt.Sprintf(format, v...)) }
func (a slogAdapter) Errorf(format string, v ...any)  { a.l.Error(fmt.Sprintf(format, v...)) }
func (a slogAdapter) Fatalf(format string, v ...any)  { a.l.Error(fmt.Sprintf(format, v...)) }
func (a slogAdapter) Debugf(format string, v ...any)  { a.l.Debug(fmt.Sprintf(format, v...)) }
func (a slogAdapter) Tracef(format string, v ...any)  { a.l.Debug(fmt.Sprintf(format, v...)) }
