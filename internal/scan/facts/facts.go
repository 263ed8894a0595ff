// Package facts holds the scanner's result: the JSON shape of contract §9
// and the details graders need. It is plain data, shared by the scanner and
// the grading profiles.
package facts

import (
	"time"

	"github.com/kubu-gov/kubu/internal/scan/certs"
	"github.com/kubu-gov/kubu/internal/scan/web"
)

// Result is one name's scan. A part that does not apply is nil (null).
type Result struct {
	Name        string       `json:"name"`
	ScannedAt   time.Time    `json:"scanned_at"`
	DNS         *DNS         `json:"dns"`
	HTTPS       *HTTPS       `json:"https"`
	HSTS        *HSTS        `json:"hsts"`
	TLS         *TLS         `json:"tls"`
	Headers     *Headers     `json:"headers"`
	SecurityTxt *SecurityTxt `json:"security_txt"`
	Mail        *Mail        `json:"mail"`
	Verdicts    *Verdicts    `json:"verdicts"`
	Findings    []Finding    `json:"findings"`
	// Details beyond the contract's summary, which graders use.
	Web *Web `json:"web"`
	// Errors are checks that could not be measured, each with its reason.
	Errors []CheckError `json:"errors"`
	// Seconds the scan took.
	Seconds float64 `json:"seconds"`
}

// CheckError is a check that failed to measure.
type CheckError struct {
	Check string `json:"check"`
	Error string `json:"error"`
}

// DNS facts.
type DNS struct {
	Addresses []string `json:"addresses"`
	DNSSEC    string   `json:"dnssec"` // secure|insecure|bogus
	Reason    string   `json:"dnssec_reason,omitempty"`
	CAA       []string `json:"caa"`
	WWW       []string `json:"www_addresses"`
}

// HTTPS facts, as pshtt defines them.
type HTTPS struct {
	Live       bool     `json:"live"`
	Valid      bool     `json:"valid"`
	Supports   bool     `json:"supports"`
	Enforces   bool     `json:"enforces"`
	Downgrades bool     `json:"downgrades"`
	Redirects  []string `json:"redirects"`
	Canonical  string   `json:"canonical"`
}

// HSTS facts from the canonical HTTPS endpoint.
type HSTS struct {
	Present           bool  `json:"present"`
	Valid             bool  `json:"valid"`
	MaxAge            int64 `json:"max_age"`
	IncludeSubdomains bool  `json:"include_subdomains"`
	Preload           bool  `json:"preload"`
}

// TLS facts of one endpoint.
type TLS struct {
	Address     string              `json:"address"`
	Protocols   []string            `json:"protocols"`
	Suites      map[string][]string `json:"suites"`
	Groups      []string            `json:"groups"`
	Weak        []string            `json:"weak"`
	Certificate *certs.Facts        `json:"certificate"`
	Probes      int                 `json:"probes"`
}

// Headers are the security headers of the final page (null when absent).
type Headers struct {
	CSP                       *string `json:"content-security-policy"`
	XFrameOptions             *string `json:"x-frame-options"`
	XContentTypeOptions       *string `json:"x-content-type-options"`
	ReferrerPolicy            *string `json:"referrer-policy"`
	CrossOriginResourcePolicy *string `json:"cross-origin-resource-policy"`
}

// SecurityTxt facts.
type SecurityTxt struct {
	Status  string     `json:"status"` // valid|expired|invalid|missing|unreachable
	Expires *time.Time `json:"expires"`
	URL     string     `json:"url"`
	Errors  []string   `json:"errors,omitempty"`
}

// Mail facts.
type Mail struct {
	MX              []string          `json:"mx"`
	STARTTLS        map[string]bool   `json:"starttls"`
	STARTTLSEveryMX bool              `json:"starttls_every_mx"`
	SPF             *SPF              `json:"spf"`
	DMARC           *DMARC            `json:"dmarc"`
	TLS             map[string]*TLS   `json:"tls"`
	DNSSEC          map[string]string `json:"mx_dnssec"`
}

// SPF facts.
type SPF struct {
	Record      *string           `json:"record"`
	Valid       bool              `json:"valid"`
	ResultForMX string            `json:"result_for_mx"`
	Results     map[string]string `json:"results"` // per MX address
	Error       string            `json:"error,omitempty"`
}

// DMARC facts.
type DMARC struct {
	// Domain is where the record was found: _dmarc.NAME, or the
	// organizational domain's when NAME has none (RFC 7489 §6.6.3).
	Domain string   `json:"domain"`
	Record *string  `json:"record"`
	P      *string  `json:"p"`
	SP     *string  `json:"sp"`
	Pct    int      `json:"pct"`
	RUA    []string `json:"rua"`
	Error  string   `json:"error,omitempty"`
	// Policy is the policy that applies to NAME: p at NAME itself, sp (or
	// p) when it comes from the organizational domain.
	Policy *string `json:"policy"`
}

// Web holds what the Observatory-style grading reads.
type Web struct {
	Endpoints []Endpoint `json:"endpoints"`
	// Page is the final response of the canonical site (HTTPS when it
	// answers, else HTTP), which header tests read.
	Page *Page `json:"page"`
	// Route of http://NAME/ with the status of each hop.
	HTTPRoute []web.Hop `json:"http_route"`
}

// Endpoint is one of http(s)://(www.)NAME/.
type Endpoint struct {
	URL        string   `json:"url"`
	Live       bool     `json:"live"`
	Status     int      `json:"status"`
	Route      []string `json:"route"`
	Final      string   `json:"final"`
	Valid      *bool    `json:"valid"` // HTTPS: trusted and matching certificate
	Downgrades bool     `json:"downgrades"`
	Error      string   `json:"error,omitempty"`
}

// Page is one response's security-relevant content.
type Page struct {
	URL       string              `json:"url"`
	Status    int                 `json:"status"`
	FromHTTPS bool                `json:"from_https"` // the chain started at https://
	Verified  bool                `json:"verified"`
	Headers   map[string][]string `json:"headers"`
	Meta      map[string][]string `json:"meta"` // <meta> policies (CSP, referrer)
	Cookies   []web.Cookie        `json:"cookies"`
	HTML      bool                `json:"html"`
	Scripts   []web.Script        `json:"scripts"`
	HSTS      web.HSTS            `json:"hsts"`
}

// Verdicts of each grading profile.
type Verdicts struct {
	BOD        *PassFail         `json:"bod-18-01"`
	InternetNL *PassFail         `json:"internet.nl"`
	Observ     *Observatory      `json:"observatory"`
	SSLLabs    *SSLLabs          `json:"ssllabs"`
	IM8        map[string]string `json:"im8"`
	Versions   map[string]string `json:"versions"`
}

// PassFail is a web and a mail verdict with reasons.
type PassFail struct {
	Web     *string             `json:"web"`
	Mail    *string             `json:"mail"`
	Reasons map[string][]string `json:"reasons"`
}

// Observatory is the MDN HTTP Observatory score and grade.
type Observatory struct {
	Score   int               `json:"score"`
	Grade   string            `json:"grade"`
	Tests   map[string]string `json:"tests"`
	Reasons []string          `json:"reasons"`
}

// SSLLabs is an SSL Labs-style grade.
type SSLLabs struct {
	Grade   string   `json:"grade"`
	Reasons []string `json:"reasons"`
}

// Finding is one failed check.
type Finding struct {
	Check    string `json:"check"`
	Severity string `json:"severity"`
	Title    string `json:"title"`
}

// GetTLS returns the per-MX TLS facts (nil-safe).
func (m *Mail) GetTLS() map[string]*TLS {
	if m == nil {
		return nil
	}
	return m.TLS
}
