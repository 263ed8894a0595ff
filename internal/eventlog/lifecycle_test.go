package eventlog

import (
	"errors"
	"fmt"
	"runtime"
	"strings"
	"testing"
	"time"
)

func init() {
	register("HealthAndClose", testHealthAndClose)
	register("RetentionApplied", testRetentionApplied)
	register("RetentionEnforcedBySize", testRetentionBySize)
	register("RetentionEnforcedByAge", testRetentionByAge)
}

func testHealthAndClose(t *testing.T, e *env) {
	l := e.open(t)
	if err := l.Health(t.Context()); err != nil {
		t.Fatalf("Health of an open log: %v", err)
	}
	if err := l.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if err := l.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	if err := l.Health(t.Context()); !errors.Is(err, ErrClosed) {
		t.Errorf("Health after Close = %v, want ErrClosed", err)
	}
	if _, err := l.Publish(t.Context(), l.Prefix()+".MOH", []byte("x"), ""); !errors.Is(err, ErrClosed) {
		t.Errorf("Publish after Close = %v, want ErrClosed", err)
	}
	if _, err := l.Stats(t.Context()); !errors.Is(err, ErrClosed) {
		t.Errorf("Stats after Close = %v, want ErrClosed", err)
	}
	if err := l.Range(t.Context(), zeroTime, zeroTime, func(Msg) error { return nil }); !errors.Is(err, ErrClosed) {
		t.Errorf("Range after Close = %v, want ErrClosed", err)
	}
	// The same data dir (or stream) opens again with its data.
	l = e.open(t)
	mustPublish(t, l, mustSubject(t, l, "MOH"), "after reopen", "")
	if err := l.Health(t.Context()); err != nil {
		t.Errorf("Health after reopen: %v", err)
	}
}

func testRetentionApplied(t *testing.T, e *env) {
	cfg := e.cfg
	cfg.MaxAge, cfg.MaxBytes = time.Hour, 1<<20
	l := openCfg(t, cfg)
	st, err := l.Stats(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if st.MaxAge != time.Hour || st.MaxBytes != 1<<20 {
		t.Errorf("new stream retention = %v/%d, want 1h/1MiB", st.MaxAge, st.MaxBytes)
	}
	mustPublish(t, l, mustSubject(t, l, "MOH"), "kept", "")
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}

	cfg.MaxAge, cfg.MaxBytes = 48*time.Hour, 2<<20
	l = openCfg(t, cfg)
	st, err = l.Stats(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if st.MaxAge != 48*time.Hour || st.MaxBytes != 2<<20 || st.Messages != 1 {
		t.Errorf("reopened retention = %v/%d with %d messages, want 48h/2MiB keeping 1 message", st.MaxAge, st.MaxBytes, st.Messages)
	}
}

func testRetentionBySize(t *testing.T, e *env) {
	cfg := e.cfg
	cfg.MaxBytes = 64 << 10
	l := openCfg(t, cfg)
	subj := mustSubject(t, l, "MOH")
	payload := strings.Repeat("e", 8<<10)
	var last uint64
	for i := range 20 {
		last = mustPublish(t, l, subj, fmt.Sprintf("%d:%s", i, payload), "")
	}
	st, err := l.Stats(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if st.Bytes > 64<<10 || st.FirstSeq <= 1 || st.LastSeq != last {
		t.Errorf("Stats = %+v; want at most 64 KiB kept, oldest dropped, newest (seq %d) kept", st, last)
	}
}

func testRetentionByAge(t *testing.T, e *env) {
	cfg := e.cfg
	cfg.MaxAge = time.Second
	l := openCfg(t, cfg)
	mustPublish(t, l, mustSubject(t, l, "MOH"), "short-lived", "")
	deadline := time.Now().Add(15 * time.Second)
	for {
		st, err := l.Stats(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		if st.Messages == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("message still there 15 s after publish with MaxAge 1s: %+v", st)
		}
		time.Sleep(100 * time.Millisecond)
	}
	if got := rangeAll(t, l, zeroTime, zeroTime); len(got) != 0 {
		t.Errorf("Range after expiry yielded %d messages", len(got))
	}
}

// TestEmbeddedLock checks a second Open of a data dir in use fails
// clearly, and succeeds once the first is closed.
func TestEmbeddedLock(t *testing.T) {
	cfg := Config{DataDir: t.TempDir(), Logger: testLogger(t)}
	l := openCfg(t, cfg)
	if _, err := Open(t.Context(), cfg); !errors.Is(err, ErrLocked) {
		t.Fatalf("second Open while open = %v, want ErrLocked", err)
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	openCfg(t, cfg)
}

// TestEmbeddedCloseLeaksNoGoroutines opens, uses and closes the embedded
// log and checks every goroutine it started has ended.
func TestEmbeddedCloseLeaksNoGoroutines(t *testing.T) {
	// Not parallel: it counts the whole process's goroutines.
	dir := t.TempDir()
	before := runtime.NumGoroutine()
	for range 2 { // the second round reopens the same dir
		l, err := Open(t.Context(), Config{DataDir: dir, Logger: testLogger(t)})
		if err != nil {
			t.Fatalf("Open: %v", err)
		}
		mustPublish(t, l, mustSubject(t, l, "MOH"), "x", "id")
		rangeAll(t, l, zeroTime, zeroTime)
		if err := l.Close(); err != nil {
			t.Fatalf("Close: %v", err)
		}
	}
	deadline := time.Now().Add(10 * time.Second)
	for runtime.NumGoroutine() > before {
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<20)
			t.Fatalf("%d goroutines before Open, %d after Close:\n%s", before, runtime.NumGoroutine(), buf[:runtime.Stack(buf, true)])
		}
		time.Sleep(50 * time.Millisecond)
	}
}
