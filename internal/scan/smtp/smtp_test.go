package smtp

import (
	"bufio"
	"context"
	"errors"
	"net"
	"strings"
	"testing"
	"time"
)

func TestReply(t *testing.T) {
	code, lines, err := reply(bufio.NewReader(strings.NewReader("250-mx.test\r\n250-STARTTLS\r\n250 8BITMIME\r\n")))
	if err != nil || code != 250 || len(lines) != 3 || lines[1] != "STARTTLS" {
		t.Fatalf("%d %v %v", code, lines, err)
	}
	for _, bad := range []string{"2\r\n", "abc hello\r\n", "250+x\r\n", strings.Repeat("250-x\r\n", 200)} {
		if _, _, err := reply(bufio.NewReader(strings.NewReader(bad))); err == nil {
			t.Errorf("%q accepted", bad[:min(len(bad), 20)])
		}
	}
}

// A server that sends its banner and then nothing ends with a time-out.
func TestStartTLSSilentServer(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		c.Write([]byte("220 silent\r\n"))
		time.Sleep(3 * time.Second)
	}()
	dial := func(ctx context.Context) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, "tcp", ln.Addr().String())
	}
	_, _, err = StartTLS(context.Background(), dial, "kubu.test", 500*time.Millisecond)
	if err == nil || !strings.Contains(err.Error(), "no answer within 500ms") || errors.Is(err, ErrNoSTARTTLS) {
		t.Fatalf("err = %v", err)
	}
}
