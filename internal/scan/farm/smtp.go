package farm

import (
	"bufio"
	"crypto/tls"
	"fmt"
	"io"
	"net"
	"strings"
	"time"
)

// startSMTP runs a tiny SMTP server on ip: banner, EHLO (offering STARTTLS
// when spec is set), STARTTLS, NOOP, RSET and QUIT; after STARTTLS it speaks
// the same over TLS.
func (f *Farm) startSMTP(ip net.IP, host string, spec *TLSSpec) error {
	ln, err := f.listen(ip, f.Ports.SMTP)
	if err != nil {
		return err
	}
	var cfg *tls.Config
	if spec != nil {
		c, _, err := f.tlsConfig(*spec, host, false)
		if err != nil {
			return err
		}
		cfg = c
	}
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go smtpSession(c, host, cfg)
		}
	}()
	return nil
}

func smtpSession(c net.Conn, host string, cfg *tls.Config) {
	defer func() { c.Close() }()
	c.SetDeadline(time.Now().Add(30 * time.Second))
	fmt.Fprintf(c, "220 %s ESMTP kubu-farm\r\n", host)
	r := bufio.NewReader(c)
	tlsOn := false
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			return
		}
		cmd := strings.ToUpper(strings.TrimSpace(line))
		switch {
		case strings.HasPrefix(cmd, "EHLO"):
			// One write for the whole reply, as real servers send it.
			reply := fmt.Sprintf("250-%s\r\n", host)
			if cfg != nil && !tlsOn {
				reply += "250-STARTTLS\r\n"
			}
			io.WriteString(c, reply+"250 8BITMIME\r\n")
		case strings.HasPrefix(cmd, "HELO"):
			fmt.Fprintf(c, "250 %s\r\n", host)
		case cmd == "STARTTLS" && cfg != nil && !tlsOn:
			fmt.Fprintf(c, "220 2.0.0 Ready to start TLS\r\n")
			tc := tls.Server(c, cfg)
			if err := tc.Handshake(); err != nil {
				return
			}
			c, tlsOn = tc, true
			c.SetDeadline(time.Now().Add(30 * time.Second))
			r = bufio.NewReader(c)
		case cmd == "QUIT":
			fmt.Fprintf(c, "221 2.0.0 Bye\r\n")
			return
		case cmd == "NOOP" || cmd == "RSET":
			fmt.Fprintf(c, "250 2.0.0 OK\r\n")
		default:
			fmt.Fprintf(c, "502 5.5.2 Command not implemented\r\n")
		}
	}
}
