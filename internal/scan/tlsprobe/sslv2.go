package tlsprobe

import (
	"context"
	"crypto/rand"
	"fmt"
	"io"
	"time"
)

// SSL20 is SSL 2.0's version number.
const SSL20 uint16 = 0x0002

// sslv2Ciphers are the SSL 2.0 cipher kinds (3-byte codes).
var sslv2Ciphers = map[uint32]string{
	0x010080: "SSL_CK_RC4_128_WITH_MD5",
	0x020080: "SSL_CK_RC4_128_EXPORT40_WITH_MD5",
	0x030080: "SSL_CK_RC2_128_CBC_WITH_MD5",
	0x040080: "SSL_CK_RC2_128_CBC_EXPORT40_WITH_MD5",
	0x050080: "SSL_CK_IDEA_128_CBC_WITH_MD5",
	0x060040: "SSL_CK_DES_64_CBC_WITH_MD5",
	0x0700c0: "SSL_CK_DES_192_EDE3_CBC_WITH_MD5",
}

// sslv2 sends an SSL 2.0 CLIENT-HELLO listing every SSL 2.0 cipher and
// returns the ciphers of the SERVER-HELLO (nil when the server does not
// speak SSL 2.0).
func (p *Prober) sslv2(ctx context.Context, res *Result) ([]string, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	res.Probes++
	timeout := p.Timeout
	if timeout <= 0 {
		timeout = 5 * time.Second
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	conn, err := p.Dial(ctx)
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	deadline, _ := ctx.Deadline()
	conn.SetDeadline(deadline)
	var specs []byte
	for code := range sslv2Ciphers {
		specs = append(specs, byte(code>>16), byte(code>>8), byte(code))
	}
	challenge := make([]byte, 16)
	rand.Read(challenge)
	body := []byte{1, 0, 2, byte(len(specs) >> 8), byte(len(specs)), 0, 0, 0, 16}
	body = append(append(body, specs...), challenge...)
	msg := append([]byte{0x80 | byte(len(body)>>8), byte(len(body))}, body...)
	if _, err := conn.Write(msg); err != nil {
		return nil, nil
	}
	return readSSLv2ServerHello(conn)
}

// readSSLv2ServerHello reads an SSL 2.0 SERVER-HELLO; anything else means
// no SSL 2.0.
func readSSLv2ServerHello(r io.Reader) ([]string, error) {
	hdr := make([]byte, 2)
	if _, err := io.ReadFull(r, hdr); err != nil {
		// Silence, a reset or a close: many TLS servers treat an SSL 2.0
		// hello as garbage and wait or hang up. Either way, no SSL 2.0.
		return nil, nil
	}
	if hdr[0]&0x80 == 0 {
		return nil, nil // a TLS record (alert) or something else
	}
	n := int(hdr[0]&0x7f)<<8 | int(hdr[1])
	if n < 11 || n > 1<<14 {
		return nil, nil
	}
	b := make([]byte, n)
	if _, err := io.ReadFull(r, b); err != nil {
		return nil, nil
	}
	if b[0] != 4 || b[3] != 0 || b[4] != 2 {
		return nil, nil
	}
	certLen, specLen := int(b[5])<<8|int(b[6]), int(b[7])<<8|int(b[8])
	if 11+certLen+specLen > n || specLen%3 != 0 {
		return nil, nil
	}
	specs := b[11+certLen : 11+certLen+specLen]
	var out []string
	for i := 0; i+3 <= len(specs); i += 3 {
		code := uint32(specs[i])<<16 | uint32(specs[i+1])<<8 | uint32(specs[i+2])
		name, ok := sslv2Ciphers[code]
		if !ok {
			name = fmt.Sprintf("SSL2_0x%06X", code)
		}
		out = append(out, name)
	}
	if len(out) == 0 {
		out = []string{"(no cipher in common)"}
	}
	return out, nil
}
