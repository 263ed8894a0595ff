package mailauth

import (
	"fmt"
	"strconv"
	"strings"
)

// DMARC is a parsed DMARC record.
type DMARC struct {
	Policy          string   `json:"p"`
	SubdomainPolicy string   `json:"sp,omitempty"`
	Percent         int      `json:"pct"`
	RUA             []string `json:"rua"`
	RUF             []string `json:"ruf,omitempty"`
	ADKIM           string   `json:"adkim"`
	ASPF            string   `json:"aspf"`
}

// IsDMARC says whether a TXT string claims to be a DMARC record.
func IsDMARC(txt string) bool {
	v, _, _ := strings.Cut(txt, ";")
	k, val, ok := strings.Cut(v, "=")
	return ok && strings.TrimSpace(k) == "v" && strings.TrimSpace(val) == "DMARC1"
}

// ParseDMARC parses a DMARC record (RFC 7489 §6.3). It fails on anything
// a receiver must reject: a missing or misplaced v=, a bad p=, a bad pct=,
// report URIs that are not URIs.
func ParseDMARC(txt string) (*DMARC, error) {
	if !IsDMARC(txt) {
		return nil, fmt.Errorf("record does not start with v=DMARC1")
	}
	d := &DMARC{Percent: 100, ADKIM: "r", ASPF: "r", RUA: []string{}}
	seen := map[string]bool{}
	for i, part := range strings.Split(txt, ";") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		k, v, ok := strings.Cut(part, "=")
		if !ok {
			return nil, fmt.Errorf("%q is not tag=value", part)
		}
		k, v = strings.ToLower(strings.TrimSpace(k)), strings.TrimSpace(v)
		if seen[k] {
			return nil, fmt.Errorf("tag %s appears twice", k)
		}
		seen[k] = true
		switch k {
		case "v":
			if i != 0 {
				return nil, fmt.Errorf("v= must come first")
			}
		case "p", "sp":
			v = strings.ToLower(v)
			if v != "none" && v != "quarantine" && v != "reject" {
				return nil, fmt.Errorf("%s=%q is not none, quarantine or reject", k, v)
			}
			if k == "p" {
				if i != 1 {
					return nil, fmt.Errorf("p= must follow v=")
				}
				d.Policy = v
			} else {
				d.SubdomainPolicy = v
			}
		case "pct":
			n, err := strconv.Atoi(v)
			if err != nil || n < 0 || n > 100 {
				return nil, fmt.Errorf("pct=%q is not 0–100", v)
			}
			d.Percent = n
		case "rua", "ruf":
			var uris []string
			for _, u := range strings.Split(v, ",") {
				u = strings.TrimSpace(u)
				if !strings.Contains(u, ":") || strings.ContainsAny(u, " \t") {
					return nil, fmt.Errorf("%s: %q is not a URI", k, u)
				}
				uris = append(uris, u)
			}
			if k == "rua" {
				d.RUA = uris
			} else {
				d.RUF = uris
			}
		case "adkim", "aspf":
			v = strings.ToLower(v)
			if v != "r" && v != "s" {
				return nil, fmt.Errorf("%s=%q is not r or s", k, v)
			}
			if k == "adkim" {
				d.ADKIM = v
			} else {
				d.ASPF = v
			}
		}
	}
	if d.Policy == "" {
		return nil, fmt.Errorf("no p= tag")
	}
	return d, nil
}
