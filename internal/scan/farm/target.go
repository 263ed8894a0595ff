package farm

import (
	"crypto/tls"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"
)

var quietLog = log.New(io.Discard, "", 0)

// TLSSpec is how a target's HTTPS (or STARTTLS) server speaks TLS.
type TLSSpec struct {
	Cert         CertSpec // Names default to the target's name and www
	MinVersion   uint16   // default TLS 1.2
	MaxVersion   uint16
	CipherSuites []uint16
	Curves       []tls.CurveID
}

// Site is what the web servers answer.
type Site struct {
	Headers     map[string]string // on every HTTPS response
	HTTPHeaders map[string]string // on every HTTP response
	// HTTP: "redirect" (301 to https://same host/), "serve" (a page),
	// "loop" (endless redirects), "none" (no HTTP listener).
	HTTP string
	// Downgrade: HTTPS / redirects to http://.
	Downgrade bool
	// ToWWW: the apex redirects to https://www.NAME/ (HTTP and HTTPS),
	// as many sites do; www serves the site.
	ToWWW           bool
	SecurityTxt     string // body at /.well-known/security.txt; "" answers 404
	SecurityTxtType string // Content-Type; default text/plain; charset=utf-8
	Body            string // HTML of /
}

// Target is one farm name.
type Target struct {
	Label string // the name is Label + "." + Zone
	Zone  string // Signed (default), Unsigned or Broken
	HTTPS *TLSSpec
	Site  Site
	WWW   bool // www.NAME resolves to the same address
	AAAA  bool // publish an AAAA (::1): internet.nl wants IPv6
	// Mail: MX mail.NAME on the same address.
	MX        bool
	STARTTLS  *TLSSpec // nil: the SMTP server does not offer STARTTLS
	SPF       string   // TXT at NAME
	DMARC     string   // TXT at _dmarc.NAME
	NoAddress bool     // publish no A record (mail-only names)
	// Hostile behaviours.
	SilentTLS  bool // the HTTPS port accepts and never answers
	HugeHeader bool // the HTTP port answers with a 1 GB header line
}

// Started is a running target.
type Started struct {
	Name string
	IP   net.IP
	Cert tls.Certificate
	rrs  []string // the records it published
}

// Add starts a target's servers and publishes its records.
func (f *Farm) Add(t Target) (*Started, error) {
	return f.add(t, f.NewIP())
}

// Replace stops a running target's servers, withdraws its records and
// starts t in its place on the same address: a site whose owner changed
// its configuration (tests of rescans). t's name may differ from the old
// one's.
func (f *Farm) Replace(old *Started, t Target) (*Started, error) {
	f.stopIP(old.IP)
	for _, rr := range old.rrs {
		if err := f.DNS.Remove(rr); err != nil {
			return nil, err
		}
	}
	return f.add(t, old.IP)
}

func (f *Farm) add(t Target, ip net.IP) (*Started, error) {
	if t.Zone == "" {
		t.Zone = Signed
	}
	name := strings.TrimSuffix(t.Label+"."+t.Zone, ".")
	st := &Started{Name: name, IP: ip}
	rr := func(format string, a ...any) error {
		text := fmt.Sprintf(format, a...)
		if err := f.DNS.Add(text); err != nil {
			return err
		}
		st.rrs = append(st.rrs, text)
		return nil
	}
	if !t.NoAddress {
		if err := rr("%s. 300 IN A %s", name, ip); err != nil {
			return nil, err
		}
		if t.WWW {
			if err := rr("www.%s. 300 IN A %s", name, ip); err != nil {
				return nil, err
			}
		}
		if t.AAAA {
			if err := rr("%s. 300 IN AAAA ::1", name); err != nil {
				return nil, err
			}
		}
	}
	if t.SPF != "" {
		if err := rr("%s. 300 IN TXT %q", name, t.SPF); err != nil {
			return nil, err
		}
	}
	if t.DMARC != "" {
		if err := rr("_dmarc.%s. 300 IN TXT %q", name, t.DMARC); err != nil {
			return nil, err
		}
	}
	if t.MX {
		if err := rr("%s. 300 IN MX 10 mail.%s.", name, name); err != nil {
			return nil, err
		}
		if err := rr("mail.%s. 300 IN A %s", name, ip); err != nil {
			return nil, err
		}
		if err := f.startSMTP(ip, "mail."+name, t.STARTTLS); err != nil {
			return nil, err
		}
	}
	if t.NoAddress {
		return st, nil
	}
	if t.HugeHeader {
		if err := f.startHugeHeader(ip); err != nil {
			return nil, err
		}
	} else if t.Site.HTTP != "none" {
		ln, err := f.listen(ip, f.Ports.HTTP)
		if err != nil {
			return nil, err
		}
		f.serveHTTP(ln, nil, httpHandler(t.Site, f.Ports.HTTP, f.Ports.HTTPS))
	}
	switch {
	case t.SilentTLS:
		if err := f.startSilent(ip); err != nil {
			return nil, err
		}
	case t.HTTPS != nil:
		cfg, cert, err := f.tlsConfig(*t.HTTPS, name, t.WWW)
		if err != nil {
			return nil, err
		}
		st.Cert = cert
		ln, err := f.listen(ip, f.Ports.HTTPS)
		if err != nil {
			return nil, err
		}
		f.serveHTTP(ln, cfg, httpsHandler(t.Site, f.Ports.HTTP, f.Ports.HTTPS))
	}
	return st, nil
}

func (f *Farm) tlsConfig(s TLSSpec, name string, www bool) (*tls.Config, tls.Certificate, error) {
	if len(s.Cert.Names) == 0 {
		s.Cert.Names = []string{name}
		if www {
			s.Cert.Names = append(s.Cert.Names, "www."+name)
		}
	}
	cert, err := f.CA.Leaf(s.Cert)
	if err != nil {
		return nil, cert, err
	}
	cfg := &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: s.MinVersion, MaxVersion: s.MaxVersion,
		CipherSuites: s.CipherSuites, CurvePreferences: s.Curves}
	if cfg.MinVersion == 0 {
		cfg.MinVersion = tls.VersionTLS12
	}
	return cfg, cert, nil
}

func setHeaders(w http.ResponseWriter, h map[string]string) {
	for k, v := range h {
		w.Header().Add(k, v)
	}
}

// httpHandler serves a site's HTTP side. A Host with the farm's HTTP port
// (a client that was given the ports) is redirected to the HTTPS port.
func httpHandler(s Site, httpPort, httpsPort int) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		setHeaders(w, s.HTTPHeaders)
		switch s.HTTP {
		case "loop":
			n := 0
			fmt.Sscanf(r.URL.Path, "/r/%d", &n)
			http.Redirect(w, r, fmt.Sprintf("/r/%d", n+1), http.StatusFound)
		case "serve":
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			io.WriteString(w, page(s))
		default: // redirect
			host := r.Host
			if s.ToWWW && !strings.HasPrefix(host, "www.") {
				host = "www." + host
			}
			if h, p, err := net.SplitHostPort(host); err == nil && p == strconv.Itoa(httpPort) {
				host = net.JoinHostPort(h, strconv.Itoa(httpsPort))
			}
			http.Redirect(w, r, "https://"+host+r.URL.RequestURI(), http.StatusMovedPermanently)
		}
	})
}

func httpsHandler(s Site, httpPort, httpsPort int) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		setHeaders(w, s.Headers)
		if r.URL.Path == "/.well-known/security.txt" {
			if s.SecurityTxt == "" {
				http.NotFound(w, r)
				return
			}
			ct := s.SecurityTxtType
			if ct == "" {
				ct = "text/plain; charset=utf-8"
			}
			w.Header().Set("Content-Type", ct)
			io.WriteString(w, s.SecurityTxt)
			return
		}
		if s.ToWWW && !strings.HasPrefix(r.Host, "www.") {
			http.Redirect(w, r, "https://www."+r.Host+r.URL.RequestURI(), http.StatusMovedPermanently)
			return
		}
		if s.Downgrade {
			host := r.Host
			if h, p, err := net.SplitHostPort(host); err == nil && p == strconv.Itoa(httpsPort) {
				host = net.JoinHostPort(h, strconv.Itoa(httpPort))
			}
			http.Redirect(w, r, "http://"+host+r.URL.RequestURI(), http.StatusMovedPermanently)
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		io.WriteString(w, page(s))
	})
}

func page(s Site) string {
	if s.Body != "" {
		return s.Body
	}
	return "<!doctype html><html><head><title>farm</title></head><body><p>kubu farm target</p></body></html>"
}

// startSilent accepts on the HTTPS port and never answers.
func (f *Farm) startSilent(ip net.IP) error {
	ln, err := f.listen(ip, f.Ports.HTTPS)
	if err != nil {
		return err
	}
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				c.SetDeadline(time.Now().Add(2 * time.Minute))
				io.Copy(io.Discard, c)
			}()
		}
	}()
	return nil
}

// startHugeHeader answers every HTTP request with a header line 1 GB long,
// generated as it is written, until the client hangs up.
func (f *Farm) startHugeHeader(ip net.IP) error {
	ln, err := f.listen(ip, f.Ports.HTTP)
	if err != nil {
		return err
	}
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				c.SetDeadline(time.Now().Add(2 * time.Minute))
				buf := make([]byte, 4096)
				c.Read(buf)
				io.WriteString(c, "HTTP/1.1 200 OK\r\nX-Huge: ")
				chunk := []byte(strings.Repeat("a", 64<<10))
				for sent := 0; sent < 1<<30; sent += len(chunk) {
					if _, err := c.Write(chunk); err != nil {
						return
					}
				}
				io.WriteString(c, "\r\n\r\n")
			}()
		}
	}()
	return nil
}

// GarbageDNS starts a UDP and TCP "DNS server" that answers every query
// with random bytes; it returns its address.
func (f *Farm) GarbageDNS() (string, error) {
	ip := f.NewIP()
	pc, err := net.ListenPacket("udp", net.JoinHostPort(ip.String(), "0"))
	if err != nil {
		return "", err
	}
	f.onClose(func() { pc.Close() })
	ln, err := net.Listen("tcp", pc.LocalAddr().String())
	if err != nil {
		return "", err
	}
	f.onClose(func() { ln.Close() })
	garbage := []byte("\x13\x37garbage that is not a DNS message \xff\xfe\x00\x01")
	go func() {
		buf := make([]byte, 2048)
		for {
			n, addr, err := pc.ReadFrom(buf)
			if err != nil {
				return
			}
			if n >= 2 {
				// Keep the id so the client reads it, then garbage.
				pc.WriteTo(append(buf[:2:2], garbage...), addr)
			}
		}
	}()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			c.Write([]byte{0, byte(len(garbage))})
			c.Write(garbage)
			c.Close()
		}
	}()
	return pc.LocalAddr().String(), nil
}
