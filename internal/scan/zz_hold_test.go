package scan_test

import (
	"fmt"
	"os"
	"testing"
	"time"
)

func TestZZHold(t *testing.T) {
	if os.Getenv("HOLD") == "" {
		t.Skip()
	}
	run, err := sharedFarm()
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile("/tmp/scan-farm/anchor.zone", []byte(run.f.AnchorText()), 0o644)
	os.WriteFile("/tmp/scan-farm/root.pem", run.f.CA.RootPEM(), 0o644)
	info := fmt.Sprintf("dns=%s http=%d https=%d smtp=%d\n", run.f.DNS.Addr, run.f.Ports.HTTP, run.f.Ports.HTTPS, run.f.Ports.SMTP)
	for l, n := range run.names {
		info += l + " " + n + "\n"
	}
	os.WriteFile("/tmp/scan-farm/info", []byte(info), 0o644)
	time.Sleep(400 * time.Second)
}
