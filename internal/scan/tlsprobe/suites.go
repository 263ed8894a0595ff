// Package tlsprobe finds which TLS protocol versions, cipher suites and key
// exchange groups a server accepts by sending hand-built ClientHellos and
// reading the ServerHello (or alert) that comes back. Go's crypto/tls client
// cannot offer RC4, export, NULL or CAMELLIA suites, or offer one suite at a
// time in every version, so the prober writes the bytes itself; it never
// completes a handshake. It has no dependency on the rest of kubu.
package tlsprobe

import (
	"fmt"
	"strings"
)

// Suite is one cipher suite: its IANA number and name.
type Suite struct {
	ID   uint16
	Name string
}

// SuiteName returns the IANA name of id, or its hex form when unknown.
func SuiteName(id uint16) string {
	for _, s := range legacySuites {
		if s.ID == id {
			return s.Name
		}
	}
	for _, s := range tls13Suites {
		if s.ID == id {
			return s.Name
		}
	}
	return fmt.Sprintf("0x%04X", id)
}

// Weaknesses lists what is weak about a suite, by the words the scanner
// reports: "rc4", "3des", "cbc", "static-rsa", "null", "export", "anon",
// "des" (single DES, RC2, IDEA: 64-bit or broken ciphers).
func Weaknesses(name string) []string {
	var w []string
	add := func(cond bool, s string) {
		if cond {
			w = append(w, s)
		}
	}
	add(strings.Contains(name, "_RC4_"), "rc4")
	add(strings.Contains(name, "_3DES_"), "3des")
	add(strings.Contains(name, "_CBC_") && !strings.Contains(name, "_3DES_"), "cbc")
	add(strings.HasPrefix(name, "TLS_RSA_"), "static-rsa")
	add(strings.Contains(name, "_NULL_"), "null")
	add(strings.Contains(name, "_EXPORT_"), "export")
	add(strings.Contains(name, "_anon_"), "anon")
	add(strings.Contains(name, "_DES_CBC_") || strings.Contains(name, "_DES40_") || strings.Contains(name, "_RC2_") || strings.Contains(name, "_IDEA_"), "des")
	return w
}

// AEAD says whether the suite uses an AEAD cipher.
func AEAD(name string) bool {
	return strings.Contains(name, "_GCM_") || strings.Contains(name, "_CHACHA20_POLY1305_") || strings.Contains(name, "_CCM")
}

// ForwardSecret says whether the suite's key exchange is ephemeral.
func ForwardSecret(name string) bool {
	return strings.Contains(name, "_ECDHE_") || strings.Contains(name, "_DHE_") || !strings.Contains(name, "_WITH_")
}

// Version names.
const (
	SSL30 uint16 = 0x0300
	TLS10 uint16 = 0x0301
	TLS11 uint16 = 0x0302
	TLS12 uint16 = 0x0303
	TLS13 uint16 = 0x0304
)

// VersionName returns "ssl3", "tls1.0" … "tls1.3".
func VersionName(v uint16) string {
	switch v {
	case SSL20:
		return "ssl2"
	case SSL30:
		return "ssl3"
	case TLS10:
		return "tls1.0"
	case TLS11:
		return "tls1.1"
	case TLS12:
		return "tls1.2"
	case TLS13:
		return "tls1.3"
	}
	return fmt.Sprintf("0x%04x", v)
}

// Group is a named key exchange group.
type Group struct {
	ID   uint16
	Name string
}

// Groups are the key exchange groups the prober asks about.
var Groups = []Group{
	{0x001d, "x25519"},
	{0x0017, "secp256r1"},
	{0x0018, "secp384r1"},
	{0x0019, "secp521r1"},
	{0x001e, "x448"},
	{0x0100, "ffdhe2048"},
	{0x0101, "ffdhe3072"},
	{0x11ec, "x25519mlkem768"},
	{0x11eb, "secp256r1mlkem768"},
	{0x11ed, "secp384r1mlkem1024"},
}

// GroupName names a group id.
func GroupName(id uint16) string {
	for _, g := range Groups {
		if g.ID == id {
			return g.Name
		}
	}
	return fmt.Sprintf("0x%04x", id)
}
