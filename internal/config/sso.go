package config

import (
	"errors"
	"flag"
	"fmt"
	"net/url"
	"os"
	"strings"
)

// SSO configures single sign-on for staff with an OpenID Connect identity
// provider, and whether staff may still use local passwords.
type SSO struct {
	Issuer       string // empty: single sign-on off
	ClientID     string
	ClientSecret string // also KUBU_OIDC_CLIENT_SECRET_FILE
	ClaimMap     string // file of claim → role/agency rules (see oidc.Mapping); empty: no accounts made on first sign-in
	Name         string // shown on the sign-in button
	// NoStaffPasswords switches local passwords off for staff
	// (--staff-passwords=false); it needs an issuer.
	NoStaffPasswords bool

	staffPasswords *bool // the flag, when registered
}

func ssoFlags(fs *flag.FlagSet, c *SSO, env Getenv) {
	fs.StringVar(&c.Issuer, "oidc-issuer", envOr(env, "KUBU_OIDC_ISSUER", ""), "OpenID Connect issuer URL for staff single sign-on; empty turns it off (env KUBU_OIDC_ISSUER)")
	fs.StringVar(&c.ClientID, "oidc-client-id", envOr(env, "KUBU_OIDC_CLIENT_ID", ""), "kubu's client id at the identity provider; the secret comes from KUBU_OIDC_CLIENT_SECRET[_FILE] (env KUBU_OIDC_CLIENT_ID)")
	c.ClientSecret = env("KUBU_OIDC_CLIENT_SECRET")
	fs.StringVar(&c.ClaimMap, "oidc-claim-map", envOr(env, "KUBU_OIDC_CLAIM_MAP", ""), "file of rules mapping the provider's claims to a role and agency, for accounts made at first sign-in (env KUBU_OIDC_CLAIM_MAP)")
	fs.StringVar(&c.Name, "oidc-name", envOr(env, "KUBU_OIDC_NAME", "single sign-on"), "what the sign-in button calls the identity provider (env KUBU_OIDC_NAME)")
	c.staffPasswords = fs.Bool("staff-passwords", envBool(env, "KUBU_STAFF_PASSWORDS", true), "let staff sign in with a kubu password; false: single sign-on only (env KUBU_STAFF_PASSWORDS)")
}

func (c *SSO) finish(env Getenv) []error {
	var errs []error
	if c.ClientSecret == "" {
		if f := env("KUBU_OIDC_CLIENT_SECRET_FILE"); f != "" {
			b, err := os.ReadFile(f)
			if err != nil {
				errs = append(errs, fmt.Errorf("KUBU_OIDC_CLIENT_SECRET_FILE: %w", err))
			}
			c.ClientSecret = strings.TrimSpace(string(b))
		}
	}
	if c.staffPasswords != nil {
		c.NoStaffPasswords = !*c.staffPasswords
	}
	if c.Issuer == "" {
		if c.NoStaffPasswords {
			errs = append(errs, errors.New("--staff-passwords=false needs single sign-on (--oidc-issuer)"))
		}
		return errs
	}
	if u, err := url.Parse(c.Issuer); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		errs = append(errs, errors.New("--oidc-issuer must be an absolute http(s) URL"))
	}
	if c.ClientID == "" {
		errs = append(errs, errors.New("--oidc-issuer needs --oidc-client-id"))
	}
	if c.ClaimMap != "" {
		if _, err := os.Stat(c.ClaimMap); err != nil {
			errs = append(errs, fmt.Errorf("--oidc-claim-map: %w", err))
		}
	}
	return errs
}
