// Package securitytxt parses and checks a security.txt file (RFC 9116). It
// has no dependency on the rest of kubu.
package securitytxt

import (
	"bufio"
	"bytes"
	"fmt"
	"net/url"
	"strings"
	"time"
	"unicode/utf8"
)

// File is a parsed security.txt.
type File struct {
	Contact            []string  `json:"contact"`
	Expires            time.Time `json:"expires"`
	Encryption         []string  `json:"encryption,omitempty"`
	Acknowledgments    []string  `json:"acknowledgments,omitempty"`
	PreferredLanguages string    `json:"preferred_languages,omitempty"`
	Canonical          []string  `json:"canonical,omitempty"`
	Policy             []string  `json:"policy,omitempty"`
	Hiring             []string  `json:"hiring,omitempty"`
	CSAF               []string  `json:"csaf,omitempty"`
	Signed             bool      `json:"signed"`
	// Errors are violations of RFC 9116's MUSTs; a file with any is invalid.
	Errors []string `json:"errors,omitempty"`
}

// MaxSize is the largest file Parse reads.
const MaxSize = 32 << 10

// Parse reads a security.txt body. It never fails: problems go to Errors.
func Parse(b []byte) *File {
	f := &File{}
	bad := func(format string, a ...any) { f.Errors = append(f.Errors, fmt.Sprintf(format, a...)) }
	if len(b) > MaxSize {
		bad("file larger than %d bytes", MaxSize)
		b = b[:MaxSize]
	}
	if !utf8.Valid(b) {
		bad("not UTF-8")
		return f
	}
	if bytes.HasPrefix(b, []byte("-----BEGIN PGP SIGNED MESSAGE-----")) {
		f.Signed = true
		b = stripSignature(b)
	}
	expires := 0
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(make([]byte, 0, 4096), MaxSize+1)
	line := 0
	for sc.Scan() {
		line++
		l := strings.TrimRight(sc.Text(), "\r")
		if strings.TrimSpace(l) == "" || strings.HasPrefix(l, "#") {
			continue
		}
		name, value, ok := strings.Cut(l, ":")
		if !ok || name == "" || strings.ContainsAny(name, " \t") {
			bad("line %d: not a field", line)
			continue
		}
		value = strings.TrimSpace(value)
		switch strings.ToLower(name) {
		case "contact":
			if !uriOK(value, "mailto", "tel", "https") {
				bad("line %d: Contact must be a mailto:, tel: or https: URI", line)
				continue
			}
			f.Contact = append(f.Contact, value)
		case "expires":
			expires++
			t, err := time.Parse(time.RFC3339, value)
			if err != nil {
				bad("line %d: Expires is not an RFC 3339 date-time", line)
				continue
			}
			f.Expires = t.UTC()
		case "encryption":
			if !uriOK(value, "https", "dns", "openpgp4fpr") {
				bad("line %d: Encryption must be a URI", line)
				continue
			}
			f.Encryption = append(f.Encryption, value)
		case "acknowledgments":
			f.Acknowledgments = append(f.Acknowledgments, value)
		case "preferred-languages":
			if f.PreferredLanguages != "" {
				bad("line %d: Preferred-Languages appears more than once", line)
			}
			f.PreferredLanguages = value
		case "canonical":
			if !uriOK(value, "https") {
				bad("line %d: Canonical must be an https: URI", line)
				continue
			}
			f.Canonical = append(f.Canonical, value)
		case "policy":
			f.Policy = append(f.Policy, value)
		case "hiring":
			f.Hiring = append(f.Hiring, value)
		case "csaf":
			f.CSAF = append(f.CSAF, value)
		}
	}
	if err := sc.Err(); err != nil {
		bad("reading: %v", err)
	}
	if len(f.Contact) == 0 {
		bad("no Contact field")
	}
	switch expires {
	case 0:
		bad("no Expires field")
	case 1:
	default:
		bad("Expires appears %d times", expires)
	}
	return f
}

// Status is "valid", "expired" or "invalid" at time now; an expiry more
// than a year ahead is allowed but noted by RFC 9116 as a SHOULD NOT.
func (f *File) Status(now time.Time) string {
	if len(f.Errors) > 0 {
		return "invalid"
	}
	if !f.Expires.After(now) {
		return "expired"
	}
	return "valid"
}

func uriOK(s string, schemes ...string) bool {
	u, err := url.Parse(s)
	if err != nil || u.Scheme == "" {
		return false
	}
	for _, sc := range schemes {
		if strings.EqualFold(u.Scheme, sc) {
			return (u.Opaque != "" || u.Host != "") || sc == "dns"
		}
	}
	return false
}

// stripSignature returns the cleartext of an OpenPGP cleartext-signed
// message (the signature itself is not verified).
func stripSignature(b []byte) []byte {
	_, rest, ok := bytes.Cut(b, []byte("\n\n"))
	if !ok {
		_, rest, _ = bytes.Cut(b, []byte("\r\n\r\n"))
	}
	body, _, _ := bytes.Cut(rest, []byte("-----BEGIN PGP SIGNATURE-----"))
	// Dash-escaped lines (RFC 4880 §7.1).
	return bytes.ReplaceAll(body, []byte("\n- "), []byte("\n"))
}
