package intake

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// findTool locates a syslog daemon's binary, skipping the test when it is
// missing (failing when KUBU_TEST_REQUIRE_SERVICES is set). extra are
// places to look besides $PATH.
func findTool(t *testing.T, name, pkg string, extra ...string) string {
	t.Helper()
	if p, err := exec.LookPath(name); err == nil {
		return p
	}
	for _, p := range extra {
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	msg := fmt.Sprintf("%s is not installed (Debian package %s)", name, pkg)
	if os.Getenv("KUBU_TEST_REQUIRE_SERVICES") != "" {
		t.Fatal(msg + " but KUBU_TEST_REQUIRE_SERVICES is set")
	}
	t.Skip("skipping: " + msg)
	return ""
}

func freePort(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return fmt.Sprint(l.Addr().(*net.TCPAddr).Port)
}

// startDaemon runs a syslog daemon as a child process until the test ends
// and waits for its input port to accept connections.
func startDaemon(t *testing.T, inPort string, env []string, name string, args ...string) *syncBuffer {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	cmd := exec.CommandContext(ctx, name, args...)
	out := &syncBuffer{}
	cmd.Stdout, cmd.Stderr = out, out
	cmd.Env = append(os.Environ(), env...)
	if err := cmd.Start(); err != nil {
		cancel()
		t.Fatalf("start %s: %v", name, err)
	}
	exited := make(chan struct{})
	go func() { cmd.Wait(); close(exited) }()
	t.Cleanup(func() {
		cancel()
		<-exited
	})
	deadline := time.Now().Add(15 * time.Second)
	for {
		c, err := net.Dial("tcp", "127.0.0.1:"+inPort)
		if err == nil {
			c.Close()
			return out
		}
		select {
		case <-exited:
			t.Fatalf("%s exited; its output:\n%s", filepath.Base(name), out)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s did not open its input port %s; its output:\n%s", filepath.Base(name), inPort, out)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// feed sends n RFC 3164 lines carrying marker to a daemon's TCP input.
func feed(t *testing.T, port, marker string, n int) {
	t.Helper()
	c, err := net.Dial("tcp", "127.0.0.1:"+port)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	for i := 0; i < n; i++ {
		fmt.Fprintf(c, "<38>%s sender01 sshd[77]: %s %d Failed password for invalid user admin\n", time.Now().UTC().Format(time.Stamp), marker, i)
	}
}

// waitMarked waits for n stored events whose message carries marker.
func (r *rig) waitMarked(t *testing.T, marker string, n int, daemonOut *syncBuffer) []storedEvent {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		var got []storedEvent
		for _, ev := range r.stored(t) {
			if m, _ := ev.Fields["message"].(string); strings.Contains(m, marker) {
				got = append(got, ev)
			}
		}
		if len(got) >= n {
			return got
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d events arrived; daemon output:\n%s", len(got), n, daemonOut)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// TestRsyslog has a real rsyslogd forward to kubu with omfwd: over TCP
// with octet-counted framing, and over TLS (gtls) with a client
// certificate that maps it to an agency.
func TestRsyslog(t *testing.T) {
	rsyslogd := findTool(t, "rsyslogd", "rsyslog", "/usr/sbin/rsyslogd")
	tests := []struct {
		name       string
		proto      string
		wantAgency string
	}{
		{"tcp octet-counted", ProtoSyslogTCP, "MOH"},
		{"tls gtls", ProtoSyslogTLS, "MOE"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.proto == ProtoSyslogTLS {
				if _, err := os.Stat("/usr/lib/x86_64-linux-gnu/rsyslog/lmnsd_gtls.so"); err != nil && os.Getenv("KUBU_TEST_REQUIRE_SERVICES") == "" {
					if matches, _ := filepath.Glob("/usr/lib/*/rsyslog/lmnsd_gtls.so"); len(matches) == 0 {
						t.Skip("skipping: rsyslog's gtls driver is not installed (Debian package rsyslog-gnutls)")
					}
				}
			}
			table, _ := ParseSourceTable(strings.NewReader("127.0.0.0/8 MOH\ncert:rsyslog.moe.example MOE\n"))
			r := newRig(t, Options{Sources: table})
			ca := newTestCA(t, "rsyslog.moe.example")
			l, err := r.s.ListenSyslog(ListenerConfig{TCP: "127.0.0.1:0", TLS: "127.0.0.1:0", TLSConfig: ca.serverConfig()})
			if err != nil {
				t.Fatal(err)
			}
			defer l.Close(context.Background())
			_, kport, _ := net.SplitHostPort(l.Addr(tt.proto))
			in := freePort(t)
			dir := t.TempDir()
			action := fmt.Sprintf(`action(type="omfwd" target="127.0.0.1" port="%s" protocol="tcp" TCP_Framing="octet-counted" template="RSYSLOG_SyslogProtocol23Format"`, kport)
			global := fmt.Sprintf(`global(workDirectory="%s"`, dir)
			if tt.proto == ProtoSyslogTLS {
				action += ` StreamDriver="gtls" StreamDriverMode="1" StreamDriverAuthMode="x509/name" StreamDriverPermittedPeers="localhost"`
				global += fmt.Sprintf(` DefaultNetstreamDriverCAFile="%s" DefaultNetstreamDriverCertFile="%s" DefaultNetstreamDriverKeyFile="%s"`,
					ca.caFile, ca.clientCert, ca.clientKey)
			}
			conf := global + ")\n" +
				`module(load="imtcp")` + "\n" +
				fmt.Sprintf(`input(type="imtcp" address="127.0.0.1" port="%s" ruleset="fwd")`, in) + "\n" +
				`ruleset(name="fwd") { ` + action + `) }` + "\n"
			cf := filepath.Join(dir, "rsyslog.conf")
			os.WriteFile(cf, []byte(conf), 0o600)
			out := startDaemon(t, in, nil, rsyslogd, "-n", "-f", cf, "-i", filepath.Join(dir, "rsyslogd.pid"))
			marker := "rsyslog-" + tt.proto
			feed(t, in, marker, 20)
			evs := r.waitMarked(t, marker, 20, out)
			for _, ev := range evs {
				if ev.meta("protocol") != tt.proto || ev.meta("agency") != tt.wantAgency || ev.Fields["format"] != "RFC5424" ||
					ev.Fields["app_name"] != "sshd" || ev.meta("host") != "sender01" {
					t.Fatalf("event from rsyslog: %s", ev.Line)
				}
			}
		})
	}
}

// syslogNG runs a real syslog-ng that reads RFC 3164 lines on a TCP port of
// its own and forwards them to kubu through destination (a syslog-ng
// destination driver). It returns its input port and its output.
func syslogNG(t *testing.T, destination string) (string, *syncBuffer) {
	t.Helper()
	root := os.Getenv("KUBU_SYSLOG_NG_ROOT") // an unpacked syslog-ng-core .deb, when not installed
	if root == "" {
		root = "/opt/syslog-ng"
	}
	bin := findTool(t, "syslog-ng", "syslog-ng-core", filepath.Join(root, "usr/sbin/syslog-ng"))
	var env, args []string
	if strings.HasPrefix(bin, root) {
		mods, _ := filepath.Glob(filepath.Join(root, "usr/lib/syslog-ng/3.*"))
		if len(mods) > 0 {
			args = append(args, "--module-path="+mods[0])
		}
		env = append(env, "LD_LIBRARY_PATH="+filepath.Join(root, "usr/lib/syslog-ng"))
	}
	in := freePort(t)
	dir := t.TempDir()
	conf := fmt.Sprintf(`@version: 3.35
options { keep-hostname(yes); stats_freq(0); };
source s_in { network(ip("127.0.0.1") port(%s) transport("tcp")); };
destination d_kubu { %s };
log { source(s_in); destination(d_kubu); };
`, in, destination)
	cf := filepath.Join(dir, "syslog-ng.conf")
	os.WriteFile(cf, []byte(conf), 0o600)
	args = append(args, "--foreground", "--stderr", "--no-caps", "--cfgfile="+cf, "--persist-file="+filepath.Join(dir, "persist"),
		"--pidfile="+filepath.Join(dir, "pid"), "--control="+filepath.Join(dir, "ctl"))
	return in, startDaemon(t, in, env, bin, args...)
}

// TestSyslogNG has a real syslog-ng forward to kubu with its syslog()
// destination (RFC 5424 with octet counting over TCP).
func TestSyslogNG(t *testing.T) {
	r := newRig(t, Options{Sources: mustTable(t, "127.0.0.1 MOE\n")})
	l, err := r.s.ListenSyslog(ListenerConfig{TCP: "127.0.0.1:0"})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close(context.Background())
	_, kport, _ := net.SplitHostPort(l.Addr(ProtoSyslogTCP))
	in, out := syslogNG(t, fmt.Sprintf(`syslog("127.0.0.1" port(%s) transport("tcp"));`, kport))
	feed(t, in, "syslog-ng-tcp", 20)
	evs := r.waitMarked(t, "syslog-ng-tcp", 20, out)
	for _, ev := range evs {
		if ev.meta("protocol") != ProtoSyslogTCP || ev.meta("agency") != "MOE" || ev.Fields["format"] != "RFC5424" || ev.Fields["app_name"] != "sshd" {
			t.Fatalf("event from syslog-ng: %s", ev.Line)
		}
	}
}

// TestSyslogNGTLSIdle is the acceptance test of syslog-ng over TLS: it
// connects at start and handshakes only with its first message. After 15 s
// of silence (past the old 10 s handshake limit, after which kubu dropped
// the connection and syslog-ng waited a minute to reconnect) a message must
// be delivered at once.
func TestSyslogNGTLSIdle(t *testing.T) {
	t.Parallel()
	r := newRig(t, Options{Sources: mustTable(t, "127.0.0.1 MOE\n")})
	ca := newTestCA(t, "")
	l, err := r.s.ListenSyslog(ListenerConfig{TLS: "127.0.0.1:0", TLSConfig: ca.serverConfig()})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close(context.Background())
	_, kport, _ := net.SplitHostPort(l.Addr(ProtoSyslogTLS))
	in, out := syslogNG(t, fmt.Sprintf(`syslog("127.0.0.1" port(%s) transport("tls") tls(ca-file("%s") peer-verify(required-trusted)));`, kport, ca.caFile))
	// Sentinel: syslog-ng has connected (without a message yet).
	deadline := time.Now().Add(15 * time.Second)
	for l.openConns() == 0 {
		if time.Now().After(deadline) {
			t.Fatalf("syslog-ng did not connect at start; its output:\n%s", out)
		}
		time.Sleep(20 * time.Millisecond)
	}
	time.Sleep(15 * time.Second) // the idle time under test
	if l.openConns() != 1 {
		t.Fatalf("kubu closed syslog-ng's idle connection (%d open)", l.openConns())
	}
	start := time.Now()
	feed(t, in, "syslog-ng-tls-idle", 1)
	for {
		var got []storedEvent
		for _, ev := range r.stored(t) {
			if m, _ := ev.Fields["message"].(string); strings.Contains(m, "syslog-ng-tls-idle") {
				got = append(got, ev)
			}
		}
		if len(got) == 1 {
			if got[0].meta("protocol") != ProtoSyslogTLS || got[0].meta("agency") != "MOE" {
				t.Fatalf("event from syslog-ng: %s", got[0].Line)
			}
			t.Logf("delivered %v after the message was sent", time.Since(start).Round(time.Millisecond))
			return
		}
		if time.Since(start) > 5*time.Second {
			t.Fatalf("message not delivered within 5 s after 15 s idle; syslog-ng output:\n%s", out)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// openConns counts the open syslog TCP and TLS connections.
func (l *Listeners) openConns() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.conns)
}

func mustTable(t *testing.T, s string) *SourceTable {
	t.Helper()
	tb, err := ParseSourceTable(strings.NewReader(s))
	if err != nil {
		t.Fatal(err)
	}
	return tb
}
