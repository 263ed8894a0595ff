package farm

import (
	"crypto/tls"
	"time"
)

// Standard security.txt bodies.
func SecurityTxt(expires time.Time) string {
	return "Contact: mailto:security@kubu.test\nExpires: " + expires.UTC().Format(time.RFC3339) + "\nPreferred-Languages: en\n"
}

// GoodHeaders are the headers of an exemplary site.
var GoodHeaders = map[string]string{
	"Strict-Transport-Security":    "max-age=31536000; includeSubDomains; preload",
	"Content-Security-Policy":      "default-src 'none'; frame-ancestors 'none'",
	"X-Frame-Options":              "DENY",
	"X-Content-Type-Options":       "nosniff",
	"Referrer-Policy":              "no-referrer",
	"Cross-Origin-Resource-Policy": "same-origin",
}

// AEAD is a TLS 1.2 suite list with no weak suite.
var AEAD = []uint16{tls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, tls.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
	tls.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256, tls.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
	tls.TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384, tls.TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256}

// Good returns an exemplary target: TLS 1.2+ with AEAD only, every header,
// HSTS, redirect, www, IPv6, valid security.txt, STARTTLS mail with SPF and
// DMARC p=reject.
func Good(label string) Target {
	return Target{
		Label: label, WWW: true, AAAA: true, MX: true,
		HTTPS:    &TLSSpec{CipherSuites: AEAD},
		Site:     Site{Headers: GoodHeaders, HTTP: "redirect", SecurityTxt: SecurityTxt(time.Now().Add(180 * 24 * time.Hour))},
		STARTTLS: &TLSSpec{CipherSuites: AEAD},
		SPF:      "v=spf1 mx -all",
		DMARC:    "v=DMARC1; p=reject; rua=mailto:dmarc@kubu.test",
	}
}
