package intake

import (
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"net"
	"testing"
	"time"
)

// TestSyslogTLSLateHandshake is the regression test for senders that
// connect at start and do their TLS handshake only with their first message
// (syslog-ng): kubu used to time the handshake from the connection and drop
// it after 10 s. A raw TCP client connects, stays silent past the handshake
// timeout, then handshakes and sends: the message must be stored.
func TestSyslogTLSLateHandshake(t *testing.T) {
	const handshake = 300 * time.Millisecond
	r := newRig(t, Options{Sources: mustTable(t, "127.0.0.1 MOH\n"), SyslogHandshakeTimeout: handshake})
	ca := newTestCA(t, "fw01.moh.example")
	l, err := r.s.ListenSyslog(ListenerConfig{TLS: "127.0.0.1:0", TLSConfig: ca.serverConfig()})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close(context.Background())
	raw, err := net.Dial("tcp", l.Addr(ProtoSyslogTLS))
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	// Well past the handshake limit, the connection must still be open:
	// a read times out on our side instead of seeing EOF.
	raw.SetReadDeadline(time.Now().Add(4 * handshake))
	if _, err := raw.Read(make([]byte, 1)); !isTimeout(err) {
		t.Fatalf("silent connection ended before its handshake: %v", err)
	}
	raw.SetReadDeadline(time.Time{})
	tc := tls.Client(raw, &tls.Config{RootCAs: ca.pool, ServerName: "localhost"})
	if err := tc.Handshake(); err != nil {
		t.Fatalf("handshake after %v of silence: %v", 4*handshake, err)
	}
	msg := "<34>Nov 28 01:15:03 web01 su[99]: late handshake"
	fmt.Fprintf(tc, "%d %s", len(msg), msg)
	evs := r.waitStored(t, 1)
	if len(evs) != 1 || evs[0].Fields["message"] != "late handshake" || evs[0].meta("protocol") != ProtoSyslogTLS {
		t.Fatalf("stored %v", evs)
	}
}

// TestSyslogTLSHandshakeTimeout: once a client has sent its first byte, the
// handshake must finish within the handshake timeout; a client that stalls
// half-way is dropped.
func TestSyslogTLSHandshakeTimeout(t *testing.T) {
	const handshake = 300 * time.Millisecond
	r := newRig(t, Options{SyslogHandshakeTimeout: handshake})
	ca := newTestCA(t, "fw01.moh.example")
	l, err := r.s.ListenSyslog(ListenerConfig{TLS: "127.0.0.1:0", TLSConfig: ca.serverConfig()})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close(context.Background())
	raw, err := net.Dial("tcp", l.Addr(ProtoSyslogTLS))
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	raw.Write([]byte{0x16, 0x03, 0x01}) // the start of a TLS record, then nothing
	start := time.Now()
	raw.SetReadDeadline(time.Now().Add(20 * handshake))
	_, err = io.ReadAll(raw)
	if isTimeout(err) {
		t.Fatalf("a stalled handshake was kept open for %v", time.Since(start))
	}
	if d := time.Since(start); d < handshake/2 {
		t.Fatalf("connection closed after %v, before the handshake timeout", d)
	}
}

// TestSyslogIdleTimeout: a connection silent past the idle limit is closed.
func TestSyslogIdleTimeout(t *testing.T) {
	r := newRig(t, Options{SyslogIdleTimeout: 300 * time.Millisecond})
	ca := newTestCA(t, "fw01.moh.example")
	l, err := r.s.ListenSyslog(ListenerConfig{TCP: "127.0.0.1:0", TLS: "127.0.0.1:0", TLSConfig: ca.serverConfig()})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close(context.Background())
	for _, proto := range []string{ProtoSyslogTCP, ProtoSyslogTLS} {
		raw, err := net.Dial("tcp", l.Addr(proto))
		if err != nil {
			t.Fatal(err)
		}
		raw.SetReadDeadline(time.Now().Add(10 * time.Second))
		if _, err := io.ReadAll(raw); isTimeout(err) {
			t.Fatalf("%s: idle connection not closed after the idle limit", proto)
		}
		raw.Close()
	}
}

// TestSyslogStopAccepting: at the start of a graceful stop the TCP
// listener refuses new connections while an open one still delivers.
func TestSyslogStopAccepting(t *testing.T) {
	r := newRig(t, Options{Sources: mustTable(t, "127.0.0.1 MOH\n")})
	l, err := r.s.ListenSyslog(ListenerConfig{TCP: "127.0.0.1:0"})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close(context.Background())
	open, err := net.Dial("tcp", l.Addr(ProtoSyslogTCP))
	if err != nil {
		t.Fatal(err)
	}
	defer open.Close()
	deadline := time.Now().Add(5 * time.Second)
	for l.openConns() == 0 { // sentinel: the connection is being served
		if time.Now().After(deadline) {
			t.Fatal("the connection was not served")
		}
		time.Sleep(5 * time.Millisecond)
	}
	l.StopAccepting()
	if c, err := net.Dial("tcp", l.Addr(ProtoSyslogTCP)); err == nil {
		c.Close()
		t.Fatal("a new connection was accepted while draining")
	}
	fmt.Fprintf(open, "<34>Nov 28 01:15:03 web01 su[99]: still open\n")
	evs := r.waitStored(t, 1)
	if len(evs) != 1 || evs[0].Fields["message"] != "still open" {
		t.Fatalf("stored %v", evs)
	}
}

// TestSyslogTLSSilentConnectionsCannotHoldEverySlot: silent TLS
// connections may wait long for their handshake, so when every slot is
// taken the one silent longest makes room for a new sender.
func TestSyslogTLSSilentConnectionsCannotHoldEverySlot(t *testing.T) {
	r := newRig(t, Options{Sources: mustTable(t, "127.0.0.1 MOH\n"), MaxSyslogConns: 2})
	ca := newTestCA(t, "fw01.moh.example")
	l, err := r.s.ListenSyslog(ListenerConfig{TLS: "127.0.0.1:0", TLSConfig: ca.serverConfig()})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close(context.Background())
	var silent []net.Conn
	for i := range 2 {
		c, err := net.Dial("tcp", l.Addr(ProtoSyslogTLS))
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		silent = append(silent, c)
		deadline := time.Now().Add(5 * time.Second)
		for l.silentConns() != i+1 { // sentinel: waiting for its first byte, in order
			if time.Now().After(deadline) {
				t.Fatal("silent connection not served")
			}
			time.Sleep(5 * time.Millisecond)
		}
	}
	tc, err := tls.Dial("tcp", l.Addr(ProtoSyslogTLS), &tls.Config{RootCAs: ca.pool, ServerName: "localhost"})
	if err != nil {
		t.Fatalf("a sender could not connect while silent connections held every slot: %v", err)
	}
	defer tc.Close()
	msg := "<34>Nov 28 01:15:03 web01 su[99]: made room"
	fmt.Fprintf(tc, "%d %s", len(msg), msg)
	if evs := r.waitStored(t, 1); len(evs) != 1 || evs[0].Fields["message"] != "made room" {
		t.Fatalf("stored %v", evs)
	}
	silent[0].SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := io.ReadAll(silent[0]); isTimeout(err) {
		t.Fatal("the longest-silent connection was not the one closed")
	}
}

// silentConns counts the TLS connections waiting for their first byte.
func (l *Listeners) silentConns() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.silent)
}
