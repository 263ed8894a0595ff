package scan

import (
	"context"
	"mime"
	"strings"

	"github.com/kubu-gov/kubu/internal/scan/facts"
	"github.com/kubu-gov/kubu/internal/scan/securitytxt"
)

// checkSecurityTxt fetches https://NAME/.well-known/security.txt (RFC 9116
// §3: over HTTPS with a valid certificate; redirects followed only over
// HTTPS).
func (t *target) checkSecurityTxt(ctx context.Context) error {
	u := "https://" + t.name + "/.well-known/security.txt"
	st := &facts.SecurityTxt{URL: u}
	t.r.SecurityTxt = st
	f := t.s.fetch.Get(ctx, u, true)
	if !f.Live() || f.Err != "" {
		st.Status = "unreachable"
		if f.Err != "" {
			st.Errors = []string{f.Err}
		}
		return nil
	}
	for _, hop := range f.Hops {
		if !strings.HasPrefix(hop.URL, "https:") {
			st.Status = "unreachable"
			st.Errors = []string{"redirected to " + hop.URL + " (not HTTPS)"}
			return nil
		}
	}
	if !t.chainValid(f) {
		st.Status = "unreachable"
		st.Errors = []string{"the certificate is not valid for this name"}
		return nil
	}
	last := f.Last()
	switch {
	case last.Status == 404 || last.Status == 410:
		st.Status = "missing"
		return nil
	case last.Status != 200:
		st.Status = "invalid"
		st.Errors = []string{"HTTP status " + itoa(last.Status)}
		return nil
	}
	p := securitytxt.Parse(f.Body)
	errs := p.Errors
	mt, params, err := mime.ParseMediaType(last.Header.Get("Content-Type"))
	if err != nil || mt != "text/plain" {
		errs = append(errs, "Content-Type is not text/plain")
	} else if cs := params["charset"]; cs != "" && !strings.EqualFold(cs, "utf-8") {
		errs = append(errs, "charset is not utf-8")
	}
	if !p.Expires.IsZero() {
		e := p.Expires
		st.Expires = &e
	}
	st.Errors = errs
	switch {
	case len(errs) > 0:
		st.Status = "invalid"
	default:
		st.Status = p.Status(t.s.o.Now())
	}
	return nil
}

func itoa(n int) string {
	const digits = "0123456789"
	if n == 0 {
		return "0"
	}
	var b []byte
	for n > 0 {
		b = append([]byte{digits[n%10]}, b...)
		n /= 10
	}
	return string(b)
}
