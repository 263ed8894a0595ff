package oidc

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"strings"
)

// Mapping turns an identity provider's claims into a role and an agency,
// for accounts made on first sign-in. It is read from a file of rules, one
// a line, tried in order; the first that matches decides:
//
//	# CLAIM   VALUE              ROLE           [AGENCY]
//	groups    kubu-wog-admins    wog-admin
//	groups    soc-analysts       analyst
//	groups    moh-security       agency-admin   MOH
//	groups    agency-staff       agency-member  $agency_code
//	email     *                  agency-member  $agency_code
//
// A rule matches when the claim (a string, or a list of strings such as
// groups) equals VALUE or contains it; VALUE * matches any non-empty
// value. AGENCY is an agency code, or $CLAIM for the code the provider
// sends in that claim. Claim names may be dotted paths into objects
// (realm_access.roles). Blank lines and lines starting with # are skipped.
type Mapping struct {
	Rules []Rule
}

// Rule is one line of a Mapping.
type Rule struct {
	Line   int
	Claim  string
	Value  string
	Role   string
	Agency string // "" none; "$claim" from a claim; else a code
}

// ParseMapping reads a mapping; validRole says which role names exist and
// agencyBound which of them need an agency.
func ParseMapping(r io.Reader, validRole, agencyBound func(string) bool) (Mapping, error) {
	var m Mapping
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 4096), 64<<10)
	n := 0
	var errs []error
	for sc.Scan() {
		n++
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		f := strings.Fields(line)
		if len(f) < 3 || len(f) > 4 {
			errs = append(errs, fmt.Errorf("line %d: want CLAIM VALUE ROLE [AGENCY], got %d fields", n, len(f)))
			continue
		}
		rule := Rule{Line: n, Claim: f[0], Value: f[1], Role: f[2]}
		if len(f) == 4 {
			rule.Agency = f[3]
		}
		if !validRole(rule.Role) {
			errs = append(errs, fmt.Errorf("line %d: unknown role %q", n, rule.Role))
		}
		if agencyBound(rule.Role) != (rule.Agency != "") {
			if rule.Agency == "" {
				errs = append(errs, fmt.Errorf("line %d: role %s needs an agency (a code or $claim)", n, rule.Role))
			} else {
				errs = append(errs, fmt.Errorf("line %d: role %s belongs to no agency", n, rule.Role))
			}
		}
		if rule.Agency == "$" || strings.HasPrefix(rule.Claim, ".") || strings.HasSuffix(rule.Claim, ".") {
			errs = append(errs, fmt.Errorf("line %d: bad claim name", n))
		}
		m.Rules = append(m.Rules, rule)
	}
	if err := sc.Err(); err != nil {
		errs = append(errs, err)
	}
	if len(errs) > 0 {
		return Mapping{}, errors.Join(errs...)
	}
	return m, nil
}

// lookup finds a claim by a dotted path.
func lookup(claims map[string]any, path string) (any, bool) {
	var cur any = claims
	for _, part := range strings.Split(path, ".") {
		obj, ok := cur.(map[string]any)
		if !ok {
			return nil, false
		}
		if cur, ok = obj[part]; !ok {
			return nil, false
		}
	}
	return cur, true
}

func strs(v any) []string {
	switch v := v.(type) {
	case string:
		return []string{v}
	case []any:
		var out []string
		for _, x := range v {
			if s, ok := x.(string); ok {
				out = append(out, s)
			}
		}
		return out
	case []string:
		return v
	}
	return nil
}

// Map returns the role and agency code the first matching rule gives, and
// which rule it was; ok is false when no rule matches (or the matching
// rule's $claim agency is missing).
func (m Mapping) Map(claims map[string]any) (role, agency string, rule Rule, ok bool) {
	for _, r := range m.Rules {
		v, found := lookup(claims, r.Claim)
		if !found {
			continue
		}
		match := false
		for _, s := range strs(v) {
			if s != "" && (r.Value == "*" || s == r.Value) {
				match = true
				break
			}
		}
		if !match {
			continue
		}
		agency := r.Agency
		if strings.HasPrefix(agency, "$") {
			a, found := lookup(claims, agency[1:])
			s, isStr := a.(string)
			if !found || !isStr || s == "" {
				return "", "", r, false
			}
			agency = s
		}
		return r.Role, agency, r, true
	}
	return "", "", Rule{}, false
}
