package web

import (
	"bytes"
	"net/http"
	"strconv"
	"strings"

	"golang.org/x/net/html"
)

// HSTS is a parsed Strict-Transport-Security header.
type HSTS struct {
	Present           bool   `json:"present"`
	Valid             bool   `json:"valid"`
	MaxAge            int64  `json:"max_age"`
	IncludeSubdomains bool   `json:"include_subdomains"`
	Preload           bool   `json:"preload"`
	Raw               string `json:"raw,omitempty"`
}

// ParseHSTS parses the first Strict-Transport-Security header (RFC 6797).
func ParseHSTS(h http.Header) HSTS {
	v := h.Values("Strict-Transport-Security")
	if len(v) == 0 {
		return HSTS{}
	}
	raw := v[0]
	if len(raw) > 1024 {
		raw = raw[:1024]
	}
	s := HSTS{Present: true, Raw: raw, MaxAge: -1}
	valid := !strings.Contains(raw, ",")
	seen := map[string]bool{}
	for _, d := range strings.Split(raw, ";") {
		d = strings.TrimSpace(d)
		if d == "" {
			continue
		}
		k, val, _ := strings.Cut(d, "=")
		k = strings.ToLower(strings.TrimSpace(k))
		if seen[k] {
			valid = false
		}
		seen[k] = true
		switch k {
		case "max-age":
			n, err := strconv.ParseInt(strings.Trim(strings.TrimSpace(val), `"`), 10, 64)
			if err != nil || n < 0 {
				valid = false
				continue
			}
			s.MaxAge = n
		case "includesubdomains":
			s.IncludeSubdomains = true
		case "preload":
			s.Preload = true
		}
	}
	if s.MaxAge < 0 {
		valid = false
		s.MaxAge = 0
	}
	s.Valid = valid
	return s
}

// Cookie is what matters of a Set-Cookie header.
type Cookie struct {
	Name     string `json:"name"`
	Secure   bool   `json:"secure"`
	HTTPOnly bool   `json:"httponly"`
	SameSite string `json:"samesite,omitempty"`
}

// Cookies reads the Set-Cookie headers.
func Cookies(h http.Header) []Cookie {
	var out []Cookie
	for _, line := range h.Values("Set-Cookie") {
		parts := strings.Split(line, ";")
		name, _, ok := strings.Cut(parts[0], "=")
		if !ok {
			continue
		}
		c := Cookie{Name: strings.TrimSpace(name)}
		for _, a := range parts[1:] {
			k, v, _ := strings.Cut(strings.TrimSpace(a), "=")
			switch strings.ToLower(k) {
			case "secure":
				c.Secure = true
			case "httponly":
				c.HTTPOnly = true
			case "samesite":
				c.SameSite = strings.ToLower(strings.TrimSpace(v))
				if c.SameSite == "" {
					c.SameSite = "invalid"
				}
			}
		}
		out = append(out, c)
	}
	return out
}

// Script is a <script src> in a page.
type Script struct {
	Src       string `json:"src"`
	Integrity bool   `json:"integrity"`
}

// Scripts lists the external scripts of an HTML page.
func Scripts(body []byte) []Script {
	var out []Script
	z := html.NewTokenizer(bytes.NewReader(body))
	for {
		switch z.Next() {
		case html.ErrorToken:
			return out
		case html.StartTagToken, html.SelfClosingTagToken:
			name, hasAttr := z.TagName()
			if string(name) != "script" || !hasAttr {
				continue
			}
			var s Script
			for {
				k, v, more := z.TagAttr()
				switch string(k) {
				case "src":
					s.Src = string(v)
				case "integrity":
					s.Integrity = len(v) > 0
				}
				if !more {
					break
				}
			}
			if s.Src != "" {
				out = append(out, s)
			}
		}
	}
}

// IsHTML says whether a response is HTML.
func IsHTML(h http.Header) bool {
	return strings.HasPrefix(strings.ToLower(strings.TrimSpace(h.Get("Content-Type"))), "text/html")
}

// Meta returns the policies an HTML page sets in <meta> elements, keyed
// like headers: "content-security-policy" (http-equiv) and
// "referrer-policy" (<meta name="referrer">, the last one wins).
func Meta(body []byte) map[string][]string {
	out := map[string][]string{}
	z := html.NewTokenizer(bytes.NewReader(body))
	for {
		switch z.Next() {
		case html.ErrorToken:
			return out
		case html.StartTagToken, html.SelfClosingTagToken:
			name, hasAttr := z.TagName()
			if string(name) != "meta" || !hasAttr {
				continue
			}
			var equiv, mname, content string
			hasContent := false
			for {
				k, v, more := z.TagAttr()
				switch string(k) {
				case "http-equiv":
					equiv = strings.ToLower(strings.TrimSpace(string(v)))
				case "name":
					mname = strings.ToLower(strings.TrimSpace(string(v)))
				case "content":
					content, hasContent = string(v), true
				}
				if !more {
					break
				}
			}
			switch {
			case equiv == "content-security-policy" && content != "":
				out[equiv] = append(out[equiv], content)
			case equiv == "" && mname == "referrer" && hasContent && content != "":
				out["referrer-policy"] = []string{content}
			}
		}
	}
}
