package sigma

import (
	"encoding/base64"
	"errors"
	"fmt"
	"net/netip"
	"regexp"
	"strings"
	"unicode/utf16"
)

func applyTransform(name string, in [][]gtok) ([][]gtok, error) {
	var out [][]gtok
	for _, s := range in {
		switch name {
		case "windash":
			vs, err := windash(s)
			if err != nil {
				return nil, err
			}
			out = append(out, vs...)
		case "base64", "base64offset", "utf16le", "utf16be", "utf16", "wide":
			if len(s) != 1 || s[0].wild != 0 {
				if len(s) == 0 {
					out = append(out, s)
					continue
				}
				return nil, fmt.Errorf("modifier %s cannot encode a value with wildcards", name)
			}
			for _, e := range encode(name, s[0].lit) {
				out = append(out, []gtok{{lit: e}})
			}
		}
	}
	return out, nil
}

func encode(name, s string) []string {
	switch name {
	case "base64":
		return []string{base64.StdEncoding.EncodeToString([]byte(s))}
	case "base64offset":
		starts := [3]int{0, 2, 3}
		ends := [3]int{0, 3, 2} // chars to drop at the end, by (len+i)%3
		out := make([]string, 0, 3)
		for i := 0; i < 3; i++ {
			enc := base64.StdEncoding.EncodeToString(append([]byte(strings.Repeat(" ", i)), s...))
			e := len(enc) - ends[(len(s)+i)%3]
			if starts[i] > e {
				out = append(out, "")
				continue
			}
			out = append(out, enc[starts[i]:e])
		}
		return out
	case "utf16le", "wide":
		return []string{utf16Bytes(s, false, false)}
	case "utf16be":
		return []string{utf16Bytes(s, true, false)}
	case "utf16":
		return []string{utf16Bytes(s, false, true)}
	}
	return []string{s}
}

func utf16Bytes(s string, be, bom bool) string {
	u := utf16.Encode([]rune(s))
	b := make([]byte, 0, 2*len(u)+2)
	if bom {
		b = append(b, 0xFF, 0xFE)
	}
	for _, c := range u {
		if be {
			b = append(b, byte(c>>8), byte(c))
		} else {
			b = append(b, byte(c), byte(c>>8))
		}
	}
	return string(b)
}

var windashChars = []string{"-", "/", "\u2013", "\u2014", "\u2015"}

const maxWindashVariants = 3125

// windash expands every '-' or '/' that starts a word (preceded by a
// non-word character or the start of a literal run, followed by a word
// character) into all five dash forms.
func windash(s []gtok) ([][]gtok, error) {
	type pos struct{ tok, off int }
	var ps []pos
	for ti, t := range s {
		if t.wild != 0 {
			continue
		}
		for i := 0; i < len(t.lit); i++ {
			c := t.lit[i]
			if c != '-' && c != '/' {
				continue
			}
			prevWord := i > 0 && isWordByte(t.lit[i-1])
			nextWord := i+1 < len(t.lit) && isWordByte(t.lit[i+1])
			if !prevWord && nextWord {
				ps = append(ps, pos{ti, i})
			}
		}
	}
	if len(ps) == 0 {
		return [][]gtok{s}, nil
	}
	total := 1
	for range ps {
		total *= len(windashChars)
		if total > maxWindashVariants {
			return nil, fmt.Errorf("windash: value has too many dashes (over %d variants)", maxWindashVariants)
		}
	}
	out := make([][]gtok, 0, total)
	choice := make([]int, len(ps))
	for {
		v := append([]gtok(nil), s...)
		// rebuild each touched literal from right to left so offsets stay valid
		for k := len(ps) - 1; k >= 0; k-- {
			p := ps[k]
			l := v[p.tok].lit
			v[p.tok].lit = l[:p.off] + windashChars[choice[k]] + l[p.off+1:]
		}
		out = append(out, v)
		k := 0
		for ; k < len(choice); k++ {
			choice[k]++
			if choice[k] < len(windashChars) {
				break
			}
			choice[k] = 0
		}
		if k == len(choice) {
			break
		}
	}
	return out, nil
}

func isWordByte(c byte) bool {
	return c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c >= 0x80
}

// expandPlaceholders replaces %name% placeholders by each of their values
// (cartesian product over several placeholders); \% is a plain percent.
func expandPlaceholders(s string, ph placeholderFunc) ([]string, error) {
	outs := []string{""}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '\\' && i+1 < len(s) && s[i+1] == '%' {
			for k := range outs {
				outs[k] += "%"
			}
			i++
			continue
		}
		if c == '%' {
			j := strings.IndexByte(s[i+1:], '%')
			if j > 0 {
				name := s[i+1 : i+1+j]
				var vals []string
				if ph == nil {
					vals = []string{"placeholder"}
				} else {
					var err error
					if vals, err = ph(name); err != nil {
						return nil, err
					}
				}
				var next []string
				for _, o := range outs {
					for _, v := range vals {
						next = append(next, o+v)
					}
				}
				if len(next) > 10000 {
					return nil, errors.New("expand: too many combinations")
				}
				outs = next
				i += j + 1
				continue
			}
		}
		for k := range outs {
			outs[k] += string(c)
		}
	}
	return outs, nil
}

func parseCIDR(s string) (netip.Prefix, error) {
	s = strings.TrimSpace(s)
	if strings.Contains(s, "/") {
		p, err := netip.ParsePrefix(s)
		if err != nil {
			return netip.Prefix{}, fmt.Errorf("cidr: %w", err)
		}
		return p.Masked(), nil
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Prefix{}, fmt.Errorf("cidr: %w", err)
	}
	return netip.PrefixFrom(a, a.BitLen()), nil
}

// compileRegexp compiles a Sigma (PCRE-flavoured) regular expression with
// Go's RE2 engine, translating the few constructs that have an exact RE2
// equivalent and rejecting the rest with a clear reason.
func compileRegexp(src string) (*regexp.Regexp, error) {
	re, err := regexp.Compile(src)
	if err == nil {
		return re, nil
	}
	if t, ok := translatePCRE(src); ok {
		if re, err2 := regexp.Compile(t); err2 == nil {
			return re, nil
		}
	}
	return nil, fmt.Errorf("regular expression %q is not supported by Go's RE2 engine (no lookaround, backreferences or possessive/atomic groups): %w", src, err)
}

// translatePCRE rewrites PCRE-only syntax with an exact RE2 meaning:
// \Z (end of text, or before a final newline) becomes (?:\n?\z). Lookaround,
// backreferences and possessive or atomic groups have no faithful RE2 form.
func translatePCRE(src string) (string, bool) {
	changed := false
	var b strings.Builder
	for i := 0; i < len(src); i++ {
		if src[i] == '\\' && i+1 < len(src) {
			switch src[i+1] {
			case 'Z':
				b.WriteString(`(?:\n?\z)`)
				changed = true
				i++
				continue
			}
			b.WriteByte(src[i])
			b.WriteByte(src[i+1])
			i++
			continue
		}
		b.WriteByte(src[i])
	}
	return b.String(), changed
}
