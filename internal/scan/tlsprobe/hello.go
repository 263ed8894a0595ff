package tlsprobe

import (
	"crypto/ecdh"
	"crypto/rand"
	"encoding/binary"
	"net"
)

// hello is one ClientHello to send.
type hello struct {
	version    uint16 // highest version offered (TLS13 means supported_versions: [1.3] only)
	suites     []uint16
	serverName string
	groups     []uint16
	keyShare   bool // TLS 1.3: send an x25519 key share (else an empty list, asking for a HelloRetryRequest)
}

// signatureSchemes are offered in every hello, old ones included so that
// servers with SHA-1 or PKCS#1 v1.5 keys still answer.
var signatureSchemes = []uint16{
	0x0403, 0x0503, 0x0603, 0x0807, 0x0808, // ECDSA SHA-256/384/512, Ed25519, Ed448
	0x0804, 0x0805, 0x0806, 0x0809, 0x080a, 0x080b, // RSA-PSS
	0x0401, 0x0501, 0x0601, // RSA PKCS#1 v1.5
	0x0201, 0x0203, 0x0202, // SHA-1 RSA, ECDSA, DSA
}

// marshal returns the ClientHello as one TLS record.
func (h hello) marshal() ([]byte, error) {
	var b builder
	legacy := h.version
	if legacy >= TLS13 {
		legacy = TLS12
	}
	b.u16(legacy)
	random := make([]byte, 32)
	if _, err := rand.Read(random); err != nil {
		return nil, err
	}
	b.bytes(random)
	if h.version >= TLS13 {
		sid := make([]byte, 32)
		if _, err := rand.Read(sid); err != nil {
			return nil, err
		}
		b.u8(32)
		b.bytes(sid)
	} else {
		b.u8(0)
	}
	b.u16(uint16(2 * len(h.suites)))
	for _, s := range h.suites {
		b.u16(s)
	}
	b.u8(1)
	b.u8(0) // null compression

	var ext builder
	if h.serverName != "" && net.ParseIP(h.serverName) == nil {
		name := []byte(h.serverName)
		ext.u16(0)
		ext.u16(uint16(len(name) + 5))
		ext.u16(uint16(len(name) + 3))
		ext.u8(0)
		ext.u16(uint16(len(name)))
		ext.bytes(name)
	}
	if len(h.groups) > 0 {
		ext.u16(10)
		ext.u16(uint16(2*len(h.groups) + 2))
		ext.u16(uint16(2 * len(h.groups)))
		for _, g := range h.groups {
			ext.u16(g)
		}
		ext.u16(11) // ec_point_formats: uncompressed
		ext.u16(2)
		ext.u8(1)
		ext.u8(0)
	}
	if h.version >= TLS12 {
		ext.u16(13)
		ext.u16(uint16(2*len(signatureSchemes) + 2))
		ext.u16(uint16(2 * len(signatureSchemes)))
		for _, s := range signatureSchemes {
			ext.u16(s)
		}
	}
	ext.u16(0xff01) // renegotiation_info, empty
	ext.u16(1)
	ext.u8(0)
	if h.version > SSL30 {
		ext.u16(23) // extended_master_secret
		ext.u16(0)
	}
	if h.version >= TLS13 {
		ext.u16(43) // supported_versions: 1.3 only
		ext.u16(3)
		ext.u8(2)
		ext.u16(TLS13)
		ext.u16(45) // psk_key_exchange_modes: psk_dhe_ke
		ext.u16(2)
		ext.u8(1)
		ext.u8(1)
		ext.u16(51) // key_share
		if h.keyShare {
			k, err := ecdh.X25519().GenerateKey(rand.Reader)
			if err != nil {
				return nil, err
			}
			pub := k.PublicKey().Bytes()
			ext.u16(uint16(len(pub) + 6))
			ext.u16(uint16(len(pub) + 4))
			ext.u16(0x001d)
			ext.u16(uint16(len(pub)))
			ext.bytes(pub)
		} else {
			ext.u16(2)
			ext.u16(0)
		}
	}
	// Padding (RFC 7685): some servers hang on hellos of 256–511 bytes.
	if n := len(b.b) + 2 + len(ext.b) + 4; n >= 256 && n < 512 {
		pad := 512 - n - 4
		if pad < 1 {
			pad = 1
		}
		ext.u16(21)
		ext.u16(uint16(pad))
		ext.bytes(make([]byte, pad))
	}
	b.u16(uint16(len(ext.b)))
	b.bytes(ext.b)

	body := b.b
	rec := make([]byte, 0, len(body)+9)
	recVersion := TLS10
	if h.version == SSL30 {
		recVersion = SSL30
	}
	rec = append(rec, 22, byte(recVersion>>8), byte(recVersion))
	rec = binary.BigEndian.AppendUint16(rec, uint16(len(body)+4))
	rec = append(rec, 1, byte(len(body)>>16), byte(len(body)>>8), byte(len(body)))
	return append(rec, body...), nil
}

type builder struct{ b []byte }

func (b *builder) u8(v uint8)     { b.b = append(b.b, v) }
func (b *builder) u16(v uint16)   { b.b = binary.BigEndian.AppendUint16(b.b, v) }
func (b *builder) bytes(v []byte) { b.b = append(b.b, v...) }
