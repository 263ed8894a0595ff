package cli

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/miekg/dns"

	"github.com/kubu-gov/kubu/internal/scan"
	"github.com/kubu-gov/kubu/internal/scan/grade"
)

// repeated is a repeatable string flag.
type repeated []string

func (r *repeated) String() string     { return strings.Join(*r, ",") }
func (r *repeated) Set(v string) error { *r = append(*r, v); return nil }

// runScan scans names from outside, standalone: no server, no database
// (contract §9). KUBU_SCAN_PORTS ("http=8080,https=8443,smtp=2525") moves
// the standard ports, for test farms.
func runScan(e *Env, args []string) error {
	fs := flags(e, "scan")
	resolver := fs.String("resolver", "", "send every DNS query to this server (HOST:PORT; default: the first nameserver in /etc/resolv.conf)")
	var cas, anchors repeated
	fs.Var(&cas, "ca", "trust the root certificates in this PEM file instead of the system's (repeatable; non-root CA certificates in it are known intermediates)")
	fs.Var(&anchors, "trust-anchor", "add the DNSSEC trust anchors (DNSKEY or DS records in zone-file form) in this file (repeatable)")
	format := fs.String("format", "jsonl", "output: jsonl or table")
	concurrency := fs.Int("concurrency", 16, "names scanned at once")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return errUsage
	}
	names := fs.Args()
	if len(names) == 0 {
		return fmt.Errorf("%w: name at least one host name to scan", errUsage)
	}
	if *format != "jsonl" && *format != "table" {
		return fmt.Errorf("%w: --format must be jsonl or table", errUsage)
	}
	if *concurrency < 1 {
		return fmt.Errorf("%w: --concurrency must be at least 1", errUsage)
	}
	for _, n := range names {
		if _, ok := dns.IsDomainName(n); !ok || strings.ContainsAny(n, "/:@ ") || net.ParseIP(n) != nil {
			return fmt.Errorf("%w: %q is not a host name", errUsage, n)
		}
	}
	o := scan.Options{Resolver: *resolver, Concurrency: *concurrency}
	if len(cas) > 0 {
		roots, inters, err := scan.LoadCAs(cas)
		if err != nil {
			return fmt.Errorf("--ca: %w", err)
		}
		o.Roots, o.Intermediates = roots, inters
	}
	ta, err := scan.LoadTrustAnchors(anchors)
	if err != nil {
		return fmt.Errorf("--trust-anchor: %w", err)
	}
	o.TrustAnchors = ta
	if p := e.Getenv("KUBU_SCAN_PORTS"); p != "" {
		if err := scan.ParsePorts(p, &o.Ports); err != nil {
			return fmt.Errorf("%w: KUBU_SCAN_PORTS: %w", errUsage, err)
		}
	}
	s, err := scan.New(o)
	if err != nil {
		return err
	}
	defer s.Close()
	var werr error
	failed := 0
	s.ScanAll(e.Context, names, func(r *scan.Result, err error) {
		if err != nil {
			failed++
			fmt.Fprintf(e.Stderr, "kubu scan: %v\n", err)
			if r == nil {
				return
			}
		}
		if werr != nil {
			return
		}
		if *format == "table" {
			werr = writeScanTable(e.Stdout, r)
			return
		}
		b, err := json.Marshal(r)
		if err != nil {
			werr = err
			return
		}
		_, werr = fmt.Fprintf(e.Stdout, "%s\n", b)
	})
	if werr != nil {
		return werr
	}
	if failed > 0 {
		return fmt.Errorf("%d of %d names could not be scanned", failed, len(names))
	}
	return nil
}

// writeScanTable writes one name's result for people.
func writeScanTable(w io.Writer, r *scan.Result) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	row := func(k, v string) { fmt.Fprintf(tw, "%s\t%s\n", k, v) }
	yes := func(b bool, word string) string {
		if b {
			return word
		}
		return "not " + word
	}
	row("name", r.Name+"   scanned "+r.ScannedAt.Format(time.RFC3339))
	if d := r.DNS; d != nil {
		row("dns", strings.Join(d.Addresses, " ")+"   dnssec "+d.DNSSEC)
	} else {
		row("dns", "not measured")
	}
	if h := r.HTTPS; h != nil {
		row("https", strings.Join([]string{yes(h.Live, "live"), yes(h.Valid, "valid"), yes(h.Supports, "supported"), yes(h.Enforces, "enforced")}, ", ")+
			map[bool]string{true: ", DOWNGRADES", false: ""}[h.Downgrades])
		if len(h.Redirects) > 1 {
			row("redirects", strings.Join(h.Redirects, " → "))
		}
	}
	if h := r.HSTS; h != nil {
		v := "absent"
		if h.Present {
			v = fmt.Sprintf("max-age=%d", h.MaxAge)
			if h.IncludeSubdomains {
				v += " includeSubDomains"
			}
			if h.Preload {
				v += " preload"
			}
		}
		row("hsts", v)
	}
	if t := r.TLS; t != nil {
		row("tls", strings.Join(t.Protocols, " ")+"   weak: "+orDash(t.Weak))
		for _, p := range t.Protocols {
			row("  "+p, strings.Join(t.Suites[p], " "))
		}
		row("  groups", strings.Join(t.Groups, " "))
		if c := t.Certificate; c != nil {
			row("certificate", fmt.Sprintf("%s %s, %s to %s, %s, %s", c.Key, c.Signature, c.NotBefore.Format("2006-01-02"), c.NotAfter.Format("2006-01-02"),
				yes(c.Trusted, "trusted"), yes(c.HostnameMatch, "matching")))
			if len(c.Problems) > 0 {
				row("  problems", strings.Join(c.Problems, " "))
			}
		}
	}
	if h := r.Headers; h != nil {
		for _, kv := range []struct {
			k string
			v *string
		}{{"content-security-policy", h.CSP}, {"x-frame-options", h.XFrameOptions}, {"x-content-type-options", h.XContentTypeOptions},
			{"referrer-policy", h.ReferrerPolicy}, {"cross-origin-resource-policy", h.CrossOriginResourcePolicy}} {
			v := "—"
			if kv.v != nil {
				v = *kv.v
			}
			row("header "+kv.k, v)
		}
	}
	if s := r.SecurityTxt; s != nil {
		v := s.Status
		if s.Expires != nil {
			v += ", expires " + s.Expires.Format("2006-01-02")
		}
		row("security.txt", v)
	}
	if m := r.Mail; m != nil {
		for _, mx := range m.MX {
			v := yes(m.STARTTLS[mx], "STARTTLS")
			if t := m.TLS[mx]; t != nil {
				v += "   " + strings.Join(t.Protocols, " ") + "   weak: " + orDash(t.Weak)
			}
			row("mx "+mx, v)
		}
		if s := m.SPF; s != nil {
			row("spf", deref(s.Record)+"   "+yes(s.Valid, "valid")+", result for MX "+s.ResultForMX)
		}
		if d := m.DMARC; d != nil {
			row("dmarc", deref(d.Record))
		}
	}
	if v := r.Verdicts; v != nil {
		why := func(reasons map[string][]string) {
			for _, part := range []string{"web", "mail"} {
				for _, r := range reasons[part] {
					row("  "+part, r)
				}
			}
		}
		if v.BOD != nil {
			row("BOD 18-01", "web "+deref(v.BOD.Web)+", mail "+deref(v.BOD.Mail))
			why(v.BOD.Reasons)
		}
		if v.InternetNL != nil {
			row("internet.nl", "web "+deref(v.InternetNL.Web)+", mail "+deref(v.InternetNL.Mail))
			why(v.InternetNL.Reasons)
		}
		if v.Observ != nil {
			row("Observatory", fmt.Sprintf("%s (%d)", v.Observ.Grade, v.Observ.Score))
		}
		if v.SSLLabs != nil {
			row("SSL Labs", v.SSLLabs.Grade)
			for _, r := range v.SSLLabs.Reasons {
				row("  cap", r)
			}
		}
		for _, d := range grade.Disagreements(r) {
			row("disagree", d.Standards[0]+" "+d.Verdicts[0]+" / "+d.Standards[1]+" "+d.Verdicts[1]+" ("+d.Part+"): "+d.Why)
		}
	}
	if len(r.Findings) == 0 {
		row("findings", "none")
	}
	for _, f := range r.Findings {
		row("finding", f.Severity+"  "+f.Check+"  "+f.Title)
	}
	for _, ce := range r.Errors {
		row("error", ce.Check+": "+ce.Error)
	}
	fmt.Fprintln(tw)
	return tw.Flush()
}

func orDash(s []string) string {
	if len(s) == 0 {
		return "—"
	}
	return strings.Join(s, " ")
}

func deref(s *string) string {
	if s == nil {
		return "—"
	}
	return *s
}
