package app

import (
	"fmt"
	"os"

	"github.com/kubu-gov/kubu/internal/authz"
	"github.com/kubu-gov/kubu/internal/config"
	"github.com/kubu-gov/kubu/internal/oidc"
	"github.com/kubu-gov/kubu/internal/ui"
)

// OIDCCallbackPath is where the identity provider sends browsers back
// (register BASE_URL + this path as kubu's redirect URI there).
const OIDCCallbackPath = ui.OIDCCallbackPath

// openSSO sets up single sign-on for staff when an issuer is configured.
// The provider is contacted on first use, so kubu starts while it is down;
// the claim mapping is read now and a bad rule stops the start.
func openSSO(cfg *config.Config) (*ui.OIDCDeps, error) {
	c := cfg.SSO
	if c.Issuer == "" {
		return nil, nil
	}
	client, err := oidc.New(oidc.Config{Issuer: c.Issuer, ClientID: c.ClientID, ClientSecret: c.ClientSecret,
		RedirectURL: cfg.BaseURL() + OIDCCallbackPath})
	if err != nil {
		return nil, err
	}
	d := &ui.OIDCDeps{Client: client, Name: c.Name, AfterLogout: cfg.BaseURL() + "/login"}
	if c.ClaimMap != "" {
		f, err := os.Open(c.ClaimMap)
		if err != nil {
			return nil, fmt.Errorf("--oidc-claim-map: %w", err)
		}
		defer f.Close()
		m, err := oidc.ParseMapping(f, func(r string) bool { return authz.Role(r).Valid() }, func(r string) bool { return authz.Role(r).AgencyBound() })
		if err != nil {
			return nil, fmt.Errorf("--oidc-claim-map %s: %w", c.ClaimMap, err)
		}
		d.Mapping = m
	}
	return d, nil
}
