package disclosure

import (
	"fmt"
	"strings"
	"time"
)

// SecurityTxt configures /.well-known/security.txt (RFC 9116).
type SecurityTxt struct {
	BaseURL    string   // the public URL ("https://kubu.example.gov")
	Contacts   []string // mailto: or https: URIs; the VDP form is always listed
	Encryption string   // optional URI of an OpenPGP key
	Languages  string   // Preferred-Languages, default "en"
}

// SecurityTxtLifetime is how far ahead Expires is set. The file is made on
// each request, so Expires renews itself and is always under a year ahead
// (RFC 9116 recommends less than a year).
const SecurityTxtLifetime = 180 * 24 * time.Hour

// Render writes the file at now.
func (c SecurityTxt) Render(now time.Time) string {
	base := strings.TrimRight(c.BaseURL, "/")
	var b strings.Builder
	b.WriteString("# Report security vulnerabilities in government systems here.\n")
	b.WriteString("# Anonymous reports are welcome; see the policy for safe harbour.\n")
	for _, ct := range c.Contacts {
		if ct = strings.TrimSpace(ct); ct != "" && !strings.ContainsAny(ct, "\r\n") {
			fmt.Fprintf(&b, "Contact: %s\n", ct)
		}
	}
	fmt.Fprintf(&b, "Contact: %s/vdp\n", base)
	expires := now.UTC().Add(SecurityTxtLifetime).Truncate(24 * time.Hour)
	fmt.Fprintf(&b, "Expires: %s\n", expires.Format(time.RFC3339))
	if e := strings.TrimSpace(c.Encryption); e != "" && !strings.ContainsAny(e, "\r\n") {
		fmt.Fprintf(&b, "Encryption: %s\n", e)
	}
	lang := c.Languages
	if lang == "" {
		lang = "en"
	}
	fmt.Fprintf(&b, "Preferred-Languages: %s\n", lang)
	fmt.Fprintf(&b, "Canonical: %s/.well-known/security.txt\n", base)
	fmt.Fprintf(&b, "Policy: %s/vdp\n", base)
	fmt.Fprintf(&b, "Acknowledgments: %s/vdp/disclosures\n", base)
	return b.String()
}
