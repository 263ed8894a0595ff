package eventlog

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"log/slog"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// externalURLEnv names the external NATS server the suite also runs
// against, e.g. nats://127.0.0.1:4222 with JetStream enabled.
const externalURLEnv = "KUBU_TEST_NATS_URL"

// env is one backend under test: a Config for a fresh stream (and, when
// embedded, a fresh data dir) that open can open as many times as a test
// needs.
type env struct {
	external bool
	cfg      Config
}

// behaviour is a test that must pass on every backend.
type behaviour struct {
	name string
	fn   func(t *testing.T, e *env)
}

// suite lists the behaviour tests; each file adds its own in init.
var suite []behaviour

func register(name string, fn func(t *testing.T, e *env)) {
	suite = append(suite, behaviour{name, fn})
}

func TestEmbedded(t *testing.T) {
	for _, b := range suite {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			b.fn(t, &env{cfg: Config{DataDir: t.TempDir(), Stream: uniqueStream(t), Logger: testLogger(t)}})
		})
	}
}

func TestExternal(t *testing.T) {
	url := os.Getenv(externalURLEnv)
	if url == "" {
		if os.Getenv("KUBU_TEST_REQUIRE_SERVICES") != "" {
			t.Fatalf("%s not set but KUBU_TEST_REQUIRE_SERVICES is: CI must run the external NATS suite", externalURLEnv)
		}
		t.Skipf("%s not set; set it to a NATS server with JetStream (e.g. nats://127.0.0.1:4222) to run the suite against it", externalURLEnv)
	}
	for _, b := range suite {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			e := &env{external: true, cfg: Config{URL: url, Stream: uniqueStream(t), Logger: testLogger(t)}}
			t.Cleanup(func() { deleteStream(t, url, e.cfg.Stream) })
			b.fn(t, e)
		})
	}
}

// open opens the env's log and closes it when the test ends.
func (e *env) open(t *testing.T) *Log {
	t.Helper()
	return openCfg(t, e.cfg)
}

func openCfg(t *testing.T, cfg Config) *Log {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	l, err := Open(ctx, cfg)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() {
		if err := l.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return l
}

func uniqueStream(t *testing.T) string {
	t.Helper()
	var b [6]byte
	if _, err := rand.Read(b[:]); err != nil {
		t.Fatal(err)
	}
	return "KT_" + strings.ToUpper(hex.EncodeToString(b[:]))
}

func testLogger(t *testing.T) *slog.Logger {
	return slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelWarn}))
}

func deleteStream(t *testing.T, url, stream string) {
	nc, err := nats.Connect(url)
	if err != nil {
		t.Errorf("cleanup connect: %v", err)
		return
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		t.Errorf("cleanup jetstream: %v", err)
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := js.DeleteStream(ctx, stream); err != nil {
		t.Errorf("cleanup delete stream %s: %v", stream, err)
	}
}

// mustSubject returns l's subject for agency.
func mustSubject(t *testing.T, l *Log, agency string) string {
	t.Helper()
	s, err := l.Subject(agency)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// mustPublish publishes data and returns its sequence.
func mustPublish(t *testing.T, l *Log, subject, data, msgID string) uint64 {
	t.Helper()
	seq, err := l.Publish(t.Context(), subject, []byte(data), msgID)
	if err != nil {
		t.Fatalf("Publish(%s, %q): %v", subject, data, err)
	}
	return seq
}

// rangeAll returns every message Range yields for [from, to).
func rangeAll(t *testing.T, l *Log, from, to time.Time, opts ...RangeOption) []Msg {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	var got []Msg
	if err := l.Range(ctx, from, to, func(m Msg) error { got = append(got, m); return nil }, opts...); err != nil {
		t.Fatalf("Range: %v", err)
	}
	return got
}

func datas(msgs []Msg) []string {
	out := make([]string, len(msgs))
	for i, m := range msgs {
		out[i] = string(m.Data)
	}
	return out
}

// zeroTime is an open end for Range.
var zeroTime time.Time

func discardLogger() *slog.Logger { return slog.New(slog.DiscardHandler) }
