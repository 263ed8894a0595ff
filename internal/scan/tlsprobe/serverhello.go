package tlsprobe

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
)

// AlertError is a TLS alert the server sent instead of a ServerHello.
type AlertError struct {
	Level, Description byte
}

func (e *AlertError) Error() string {
	return fmt.Sprintf("tls alert %d (%s)", e.Description, alertName(e.Description))
}

func alertName(d byte) string {
	switch d {
	case 40:
		return "handshake_failure"
	case 47:
		return "illegal_parameter"
	case 50:
		return "decode_error"
	case 70:
		return "protocol_version"
	case 71:
		return "insufficient_security"
	case 80:
		return "internal_error"
	case 86:
		return "inappropriate_fallback"
	case 112:
		return "unrecognized_name"
	}
	return "other"
}

// ErrNotTLS means the peer answered with something that is not TLS.
var ErrNotTLS = errors.New("the server did not answer with TLS")

// serverHello is what the prober needs from a ServerHello.
type serverHello struct {
	version uint16 // negotiated: supported_versions when present, else the legacy field
	suite   uint16
	group   uint16 // TLS 1.3 key_share (or the group a HelloRetryRequest asks for)
	hrr     bool
	certs   [][]byte // TLS ≤ 1.2 Certificate message, when asked for
}

var hrrRandom = []byte{
	0xCF, 0x21, 0xAD, 0x74, 0xE5, 0x9A, 0x61, 0x11, 0xBE, 0x1D, 0x8C, 0x02, 0x1E, 0x65, 0xB8, 0x91,
	0xC2, 0xA2, 0x11, 0x16, 0x7A, 0xBB, 0x8C, 0x5E, 0x07, 0x9E, 0x09, 0xE2, 0xC8, 0xA8, 0x33, 0x9C,
}

const maxHandshake = 1 << 17 // 128 KiB is plenty for a ServerHello and a certificate chain

// readServerHello reads records until it has the ServerHello (and, when
// wantCerts and the version is ≤ 1.2, the Certificate message).
func readServerHello(r io.Reader, wantCerts bool) (*serverHello, error) {
	var hs []byte
	var sh *serverHello
	hdr := make([]byte, 5)
	for {
		if _, err := io.ReadFull(r, hdr); err != nil {
			if sh != nil {
				return sh, nil // the certificates were wanted but not sent in full
			}
			return nil, err
		}
		typ, n := hdr[0], int(binary.BigEndian.Uint16(hdr[3:5]))
		if (typ != 21 && typ != 22 && typ != 20 && typ != 23) || hdr[1] != 3 || n > 18432 {
			return nil, ErrNotTLS
		}
		body := make([]byte, n)
		if _, err := io.ReadFull(r, body); err != nil {
			return nil, fmt.Errorf("short TLS record: %w", err)
		}
		switch typ {
		case 21:
			if sh != nil {
				return sh, nil
			}
			if n < 2 {
				return nil, ErrNotTLS
			}
			return nil, &AlertError{Level: body[0], Description: body[1]}
		case 20, 23:
			if sh != nil {
				return sh, nil // TLS 1.3 middlebox compatibility or encrypted flight
			}
			return nil, ErrNotTLS
		}
		hs = append(hs, body...)
		if len(hs) > maxHandshake {
			return nil, errors.New("handshake messages too long")
		}
		for len(hs) >= 4 {
			mlen := int(hs[1])<<16 | int(hs[2])<<8 | int(hs[3])
			if len(hs) < 4+mlen {
				break
			}
			mtype, msg := hs[0], hs[4:4+mlen]
			hs = hs[4+mlen:]
			switch {
			case sh == nil && mtype == 2:
				var err error
				if sh, err = parseServerHello(msg); err != nil {
					return nil, err
				}
				if !wantCerts || sh.hrr || sh.version >= TLS13 {
					return sh, nil
				}
			case sh == nil:
				return nil, fmt.Errorf("expected ServerHello, got handshake message %d", mtype)
			case mtype == 11:
				certs, err := parseCertificates(msg)
				if err != nil {
					return nil, err
				}
				sh.certs = certs
				return sh, nil
			case mtype == 14 || mtype == 12:
				return sh, nil // no Certificate (anonymous suite)
			}
		}
	}
}

// parseServerHello parses a ServerHello body.
func parseServerHello(b []byte) (*serverHello, error) {
	bad := errors.New("malformed ServerHello")
	if len(b) < 38 {
		return nil, bad
	}
	sh := &serverHello{version: binary.BigEndian.Uint16(b[0:2])}
	sh.hrr = bytes.Equal(b[2:34], hrrRandom)
	sidLen := int(b[34])
	p := 35 + sidLen
	if len(b) < p+3 {
		return nil, bad
	}
	sh.suite = binary.BigEndian.Uint16(b[p : p+2])
	p += 3 // suite + compression
	if len(b) == p {
		return sh, nil
	}
	if len(b) < p+2 {
		return nil, bad
	}
	extLen := int(binary.BigEndian.Uint16(b[p : p+2]))
	p += 2
	if len(b) != p+extLen {
		return nil, bad
	}
	for p < len(b) {
		if len(b) < p+4 {
			return nil, bad
		}
		typ, n := binary.BigEndian.Uint16(b[p:p+2]), int(binary.BigEndian.Uint16(b[p+2:p+4]))
		p += 4
		if len(b) < p+n {
			return nil, bad
		}
		data := b[p : p+n]
		p += n
		switch typ {
		case 43:
			if n != 2 {
				return nil, bad
			}
			sh.version = binary.BigEndian.Uint16(data)
		case 51:
			if n < 2 {
				return nil, bad
			}
			sh.group = binary.BigEndian.Uint16(data)
		}
	}
	return sh, nil
}

// parseCertificates parses a TLS ≤ 1.2 Certificate message body.
func parseCertificates(b []byte) ([][]byte, error) {
	bad := errors.New("malformed Certificate message")
	if len(b) < 3 {
		return nil, bad
	}
	total := int(b[0])<<16 | int(b[1])<<8 | int(b[2])
	b = b[3:]
	if total != len(b) {
		return nil, bad
	}
	var out [][]byte
	for len(b) > 0 {
		if len(b) < 3 {
			return nil, bad
		}
		n := int(b[0])<<16 | int(b[1])<<8 | int(b[2])
		if len(b) < 3+n {
			return nil, bad
		}
		out = append(out, b[3:3+n])
		b = b[3+n:]
	}
	return out, nil
}
