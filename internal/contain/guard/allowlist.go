package guard

import (
	"bufio"
	"fmt"
	"io"
	"net/netip"
	"strings"

	"github.com/kubu-gov/kubu/internal/intel"
)

// AllowList holds values that containment must never block.
//
// Its text form is one entry a line; '#' starts a comment; blank lines
// are ignored:
//
//	# the government's own resolvers
//	192.0.2.53                 an address
//	198.51.100.0/24            a range (no block may overlap it)
//	gov.example                a domain and all its subdomains
//	*.health.example           the same as health.example
//	account:breakglass@gov.example   an account that is never disabled
//
// A domain entry protects the domain, its subdomains, and its parents (a
// block of example would take gov.example with it); an address or range
// entry refuses any block that overlaps it.
type AllowList struct {
	Prefixes []netip.Prefix
	Domains  []string
	Accounts []string // lower case
}

// ParseAllowList reads the text form; an entry that is none of the above
// is an error naming its line.
func ParseAllowList(r io.Reader) (*AllowList, error) {
	al := &AllowList{}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 4096), 64<<10)
	n := 0
	for sc.Scan() {
		n++
		line := sc.Text()
		if i := strings.IndexByte(line, '#'); i >= 0 {
			line = line[:i]
		}
		f := strings.Fields(line)
		if len(f) == 0 {
			continue
		}
		if len(f) > 1 {
			return nil, fmt.Errorf("allow-list line %d: one entry a line (comments start with #), got %q", n, strings.TrimSpace(line))
		}
		if err := al.Add(f[0]); err != nil {
			return nil, fmt.Errorf("allow-list line %d: %w", n, err)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("allow-list after line %d: %w", n, err)
	}
	return al, nil
}

// Add adds one entry in the text form.
func (al *AllowList) Add(entry string) error {
	e := strings.TrimSpace(entry)
	if acct, ok := strings.CutPrefix(e, "account:"); ok {
		acct = strings.ToLower(strings.TrimSpace(acct))
		if acct == "" {
			return fmt.Errorf("%q: empty account", entry)
		}
		al.Accounts = append(al.Accounts, acct)
		return nil
	}
	if p, err := intel.ParseIP(e); err == nil {
		al.Prefixes = append(al.Prefixes, p)
		return nil
	}
	d, err := intel.Normalise(intel.Domain, e)
	if err != nil {
		return fmt.Errorf("%q is not an address, range, domain or account:NAME", entry)
	}
	al.Domains = append(al.Domains, d)
	return nil
}
