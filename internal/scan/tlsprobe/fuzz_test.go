package tlsprobe

import (
	"bytes"
	"encoding/binary"
	"testing"
)

// record wraps handshake messages in one TLS record.
func record(typ byte, body []byte) []byte {
	out := []byte{typ, 3, 3, 0, 0}
	binary.BigEndian.PutUint16(out[3:], uint16(len(body)))
	return append(out, body...)
}

func handshake(typ byte, body []byte) []byte {
	return append([]byte{typ, byte(len(body) >> 16), byte(len(body) >> 8), byte(len(body))}, body...)
}

func serverHelloBody(version, suite uint16, ext []byte) []byte {
	b := binary.BigEndian.AppendUint16(nil, version)
	b = append(b, make([]byte, 32)...)
	b = append(b, 0)
	b = binary.BigEndian.AppendUint16(b, suite)
	b = append(b, 0)
	if ext != nil {
		b = binary.BigEndian.AppendUint16(b, uint16(len(ext)))
		b = append(b, ext...)
	}
	return b
}

func TestReadServerHello(t *testing.T) {
	tls13 := []byte{0, 43, 0, 2, 3, 4, 0, 51, 0, 4, 0, 0x1d, 0, 0}
	in := record(22, handshake(2, serverHelloBody(0x0303, 0x1301, tls13)))
	sh, err := readServerHello(bytes.NewReader(in), false)
	if err != nil || sh.version != TLS13 || sh.suite != 0x1301 || sh.group != 0x1d {
		t.Fatalf("got %+v, %v", sh, err)
	}
	cert := handshake(11, []byte{0, 0, 5, 0, 0, 2, 0xAA, 0xBB})
	in = record(22, append(handshake(2, serverHelloBody(0x0303, 0xc02f, nil)), cert...))
	sh, err = readServerHello(bytes.NewReader(in), true)
	if err != nil || sh.version != TLS12 || len(sh.certs) != 1 || !bytes.Equal(sh.certs[0], []byte{0xAA, 0xBB}) {
		t.Fatalf("got %+v, %v", sh, err)
	}
	_, err = readServerHello(bytes.NewReader(record(21, []byte{2, 70})), false)
	if a, ok := err.(*AlertError); !ok || a.Description != 70 {
		t.Fatalf("alert: got %v", err)
	}
	if _, err := readServerHello(bytes.NewReader([]byte("HTTP/1.1 400 Bad Request\r\n\r\n")), false); err != ErrNotTLS {
		t.Fatalf("HTTP answer: got %v", err)
	}
}

func FuzzReadServerHello(f *testing.F) {
	f.Add(record(22, handshake(2, serverHelloBody(0x0303, 0x1301, []byte{0, 43, 0, 2, 3, 4}))), true)
	f.Add(record(22, append(handshake(2, serverHelloBody(0x0301, 0x002f, nil)), handshake(11, []byte{0, 0, 3, 0, 0, 0})...)), true)
	f.Add(record(21, []byte{2, 40}), false)
	f.Fuzz(func(t *testing.T, b []byte, certs bool) {
		sh, err := readServerHello(bytes.NewReader(b), certs)
		if err == nil && sh == nil {
			t.Fatal("nil ServerHello without error")
		}
	})
}

// Every hello is outside the 256–511 byte range some servers choke on.
func TestHelloSize(t *testing.T) {
	for _, h := range []hello{
		{version: TLS12, suites: ids(legacySuites), serverName: "a-long-name.example.gov", groups: groupIDs()},
		{version: TLS12, suites: ids(legacySuites[:40]), serverName: "x.gov", groups: groupIDs()},
		{version: TLS13, suites: ids(tls13Suites), serverName: "x.gov", groups: groupIDs(), keyShare: true},
		{version: TLS10, suites: []uint16{0x002f}},
	} {
		b, err := h.marshal()
		if err != nil {
			t.Fatal(err)
		}
		n := len(b) - 5 // the handshake message, without the record header
		if n >= 256 && n < 512 {
			t.Errorf("hello of %d bytes (%d suites)", n, len(h.suites))
		}
	}
}

func TestReadSSLv2ServerHello(t *testing.T) {
	// type 4, hit 0, cert type 1, version 0x0002, cert 2 bytes, specs 3 bytes, conn id 0.
	body := []byte{4, 0, 1, 0, 2, 0, 2, 0, 3, 0, 0, 0xAA, 0xBB, 0x07, 0x00, 0xc0}
	msg := append([]byte{0x80, byte(len(body))}, body...)
	got, err := readSSLv2ServerHello(bytes.NewReader(msg))
	if err != nil || len(got) != 1 || got[0] != "SSL_CK_DES_192_EDE3_CBC_WITH_MD5" {
		t.Fatalf("got %v %v", got, err)
	}
	if got, _ := readSSLv2ServerHello(bytes.NewReader(record(21, []byte{2, 40}))); got != nil {
		t.Fatalf("a TLS alert read as SSL 2.0: %v", got)
	}
}

func FuzzReadSSLv2ServerHello(f *testing.F) {
	f.Add([]byte{0x80, 16, 4, 0, 1, 0, 2, 0, 2, 0, 3, 0, 0, 0xAA, 0xBB, 0x07, 0x00, 0xc0})
	f.Fuzz(func(t *testing.T, b []byte) {
		readSSLv2ServerHello(bytes.NewReader(b))
	})
}
