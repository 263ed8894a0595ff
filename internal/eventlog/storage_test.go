package eventlog

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// startNATSBinary runs the nats-server binary with JetStream and the given
// extra jetstream block settings, on a free loopback port; it is killed
// when the test ends. The test skips when no binary is installed.
func startNATSBinary(t *testing.T, jsLimits string) string {
	t.Helper()
	bin, err := exec.LookPath("nats-server")
	if err != nil {
		t.Skip("nats-server binary not installed")
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	dir := t.TempDir()
	conf := filepath.Join(dir, "nats.conf")
	body := fmt.Sprintf("listen: 127.0.0.1:%d\njetstream {\n store_dir: %q\n %s\n}\n", port, filepath.Join(dir, "js"), jsLimits)
	if err := os.WriteFile(conf, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "-c", conf)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	for i := 0; ; i++ {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			c.Close()
			break
		}
		if i == 100 {
			t.Fatalf("nats-server did not listen on %s: %v", addr, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
	return "nats://" + addr
}

// TestStartOnSmallServerNamesTheShortage: a stream larger than the server's
// JetStream storage fails at Open with ErrInsufficientStorage (issue 15
// item 6), and one that fits opens.
func TestStartOnSmallServerNamesTheShortage(t *testing.T) {
	url := startNATSBinary(t, "max_file_store: 64MB")
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	_, err := Open(ctx, Config{URL: url, Stream: "KUBU_SMALL", MaxBytes: 10 << 30, Logger: testLogger(t)})
	if !errors.Is(err, ErrInsufficientStorage) {
		t.Fatalf("10 GiB on a 64 MB server: got %v, want ErrInsufficientStorage", err)
	}
	if !strings.Contains(err.Error(), "10737418240 bytes") {
		t.Errorf("error does not say what was asked: %v", err)
	}
	l, err := Open(ctx, Config{URL: url, Stream: "KUBU_SMALL", MaxBytes: 32 << 20, Logger: testLogger(t)})
	if err != nil {
		t.Fatalf("32 MB on a 64 MB server: %v", err)
	}
	l.Close()
}
