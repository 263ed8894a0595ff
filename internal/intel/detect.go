package intel

import (
	"errors"
	"fmt"
	"strings"
)

// Detect recognises what a single value is — an address or CIDR, a URL
// (it has "://"), an email address (it has '@'), a hash (hex of 32, 40, 64
// or 128 digits) or else a domain of at least two labels — and normalises
// it. It is for lists
// that do not say the type of each entry (CSV feeds, block lists).
func Detect(value string) (Observable, error) {
	v := strings.TrimSpace(value)
	if v == "" {
		return Observable{}, errors.New("empty value")
	}
	if _, err := ParseIP(v); err == nil {
		return NewObservable(IP, v)
	}
	if strings.Contains(v, "://") {
		return NewObservable(URL, v)
	}
	if strings.IndexByte(v, '@') > 0 {
		return NewObservable(Email, v)
	}
	if t := HashType(len(v)); t != "" && isAllHex(v) {
		return NewObservable(t, v)
	}
	o, err := NewObservable(Domain, v)
	if err != nil || !strings.Contains(o.Value, ".") {
		return Observable{}, fmt.Errorf("%q is not an address, URL, email address, hash or domain", shorten(v))
	}
	return o, nil
}

func isAllHex(s string) bool {
	for i := 0; i < len(s); i++ {
		if !isHex(s[i]) {
			return false
		}
	}
	return true
}

func shorten(s string) string {
	if len(s) > 100 {
		return s[:100] + "…"
	}
	return s
}
