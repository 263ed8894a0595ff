package intake

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net/netip"
	"os"
	"sort"
	"strings"
)

// SourceTable maps syslog senders to agencies: by network (the longest
// matching prefix wins) or, for TLS senders with a verified client
// certificate, by the certificate's name.
//
// The file format is one mapping per line, "#" starting a comment:
//
//	10.20.0.0/16            MOH
//	192.0.2.7               MOE
//	2001:db8:42::/48        MOH
//	cert:fw01.moe.example   MOE
type SourceTable struct {
	nets  []sourceNet // longest prefix first
	certs map[string]string
}

type sourceNet struct {
	prefix netip.Prefix
	agency string
}

// maxSourceLines bounds a source table file.
const maxSourceLines = 100000

// ParseSourceTable reads a source table. Errors name the line.
func ParseSourceTable(r io.Reader) (*SourceTable, error) {
	t := &SourceTable{certs: map[string]string{}}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 4096), 64<<10)
	line := 0
	for sc.Scan() {
		line++
		if line > maxSourceLines {
			return nil, fmt.Errorf("source table: more than %d lines", maxSourceLines)
		}
		text := sc.Bytes()
		if i := bytes.IndexByte(text, '#'); i >= 0 {
			text = text[:i]
		}
		fields := strings.Fields(string(text))
		if len(fields) == 0 {
			continue
		}
		if len(fields) != 2 {
			return nil, fmt.Errorf("source table line %d: want \"NETWORK AGENCY\" or \"cert:NAME AGENCY\"", line)
		}
		agency := strings.ToUpper(fields[1])
		if !validAgencyCode(agency) {
			return nil, fmt.Errorf("source table line %d: %q is not an agency code", line, fields[1])
		}
		if name, ok := strings.CutPrefix(fields[0], "cert:"); ok {
			if name == "" {
				return nil, fmt.Errorf("source table line %d: empty certificate name", line)
			}
			t.certs[strings.ToLower(name)] = agency
			continue
		}
		p, err := netip.ParsePrefix(fields[0])
		if err != nil {
			a, aerr := netip.ParseAddr(fields[0])
			if aerr != nil {
				return nil, fmt.Errorf("source table line %d: %q is not an address or network", line, fields[0])
			}
			a = a.Unmap()
			p = netip.PrefixFrom(a, a.BitLen())
		}
		if p.Addr().Is4In6() {
			p = netip.PrefixFrom(p.Addr().Unmap(), p.Bits()-96)
		}
		t.nets = append(t.nets, sourceNet{prefix: p.Masked(), agency: agency})
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("source table: %w", err)
	}
	sort.SliceStable(t.nets, func(i, j int) bool { return t.nets[i].prefix.Bits() > t.nets[j].prefix.Bits() })
	return t, nil
}

// LoadSourceTable reads the source table file at path.
func LoadSourceTable(path string) (*SourceTable, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("source table: %w", err)
	}
	defer f.Close()
	t, err := ParseSourceTable(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return t, nil
}

// Lookup returns the agency code of a sender address.
func (t *SourceTable) Lookup(addr netip.Addr) (string, bool) {
	if t == nil {
		return "", false
	}
	addr = addr.Unmap()
	for _, n := range t.nets {
		if n.prefix.Contains(addr) {
			return n.agency, true
		}
	}
	return "", false
}

// LookupCert returns the agency code mapped to a certificate name.
func (t *SourceTable) LookupCert(name string) (string, bool) {
	if t == nil || name == "" {
		return "", false
	}
	a, ok := t.certs[strings.ToLower(name)]
	return a, ok
}

// Len is the number of mappings.
func (t *SourceTable) Len() int {
	if t == nil {
		return 0
	}
	return len(t.nets) + len(t.certs)
}

// validAgencyCode matches registry's agency codes.
func validAgencyCode(s string) bool {
	if len(s) < 2 || len(s) > 16 || s[0] < 'A' || s[0] > 'Z' {
		return false
	}
	for i := 1; i < len(s); i++ {
		c := s[i]
		if !(c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-') {
			return false
		}
	}
	return true
}
