package oidc_test

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/kubu-gov/kubu/internal/oidc"
	"github.com/kubu-gov/kubu/internal/oidc/oidctest"
)

const redirect = "http://127.0.0.1:1/login/oidc/callback"

// flow runs Begin, lets the provider's /authorize answer (as a browser
// would follow it) and returns the callback's query.
func flow(t *testing.T, c *oidc.Client) (oidc.Pending, url.Values) {
	t.Helper()
	pend, authURL, err := c.Begin(context.Background(), "/findings")
	if err != nil {
		t.Fatal(err)
	}
	u, _ := url.Parse(authURL)
	if u.Query().Get("code_challenge_method") != "S256" || u.Query().Get("nonce") != pend.Nonce || u.Query().Get("state") != pend.State {
		t.Fatalf("authorisation URL lacks PKCE, nonce or state: %s", authURL)
	}
	hc := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := hc.Get(authURL)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	back, err := url.Parse(resp.Header.Get("Location"))
	if err != nil || !strings.HasPrefix(back.String(), redirect) {
		t.Fatalf("provider answered %d to %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	return pend, back.Query()
}

func newClient(t *testing.T) (*oidctest.Provider, *oidc.Client) {
	p := oidctest.New("kubu", "s3cret-for-kubu", redirect)
	t.Cleanup(p.Close)
	p.SignInAs(map[string]any{"sub": "u-123", "email": "Analyst@Example.gov", "email_verified": true, "name": "Ana Lyst", "groups": []string{"soc-analysts"}})
	c, err := oidc.New(oidc.Config{Issuer: p.URL, ClientID: "kubu", ClientSecret: "s3cret-for-kubu", RedirectURL: redirect})
	if err != nil {
		t.Fatal(err)
	}
	return p, c
}

func TestSignIn(t *testing.T) {
	p, c := newClient(t)
	pend, q := flow(t, c)
	id, err := c.Finish(context.Background(), pend, q)
	if err != nil {
		t.Fatal(err)
	}
	if id.Issuer != p.URL || id.Subject != "u-123" || id.Email != "Analyst@Example.gov" || !id.EmailVerified || id.Name != "Ana Lyst" || id.IDToken == "" {
		t.Fatalf("identity: %+v", id)
	}
	// The same callback again: the code is spent at the provider.
	if _, err := c.Finish(context.Background(), pend, q); !errors.Is(err, oidc.ErrToken) {
		t.Fatalf("a replayed callback: %v", err)
	}
	if got := c.LogoutURL(context.Background(), id.IDToken, "http://127.0.0.1:1/login"); !strings.HasPrefix(got, p.URL+"/logout?") || !strings.Contains(got, "id_token_hint=") {
		t.Fatalf("logout URL %q", got)
	}
}

// TestRefusals: a token with a bad signature, for another audience,
// expired, or with an earlier sign-in's nonce is refused, and so is a
// callback whose state is not the pending one, or that comes too late.
func TestRefusals(t *testing.T) {
	for _, tc := range []struct {
		name  string
		fault oidctest.Fault
		want  error
		text  string
	}{
		{"bad signature", oidctest.BadSignature, oidc.ErrToken, "signature"},
		{"wrong audience", oidctest.WrongAudience, oidc.ErrToken, "audience"},
		{"expired", oidctest.Expired, oidc.ErrToken, "expired"},
		{"replayed nonce", oidctest.ReplayNonce, oidc.ErrNonce, "nonce"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, c := newClient(t)
			if tc.fault == oidctest.ReplayNonce { // an earlier sign-in the attacker saw
				pend, q := flow(t, c)
				if _, err := c.Finish(context.Background(), pend, q); err != nil {
					t.Fatal(err)
				}
			}
			p.Fail(tc.fault)
			pend, q := flow(t, c)
			_, err := c.Finish(context.Background(), pend, q)
			if !errors.Is(err, tc.want) || !strings.Contains(err.Error(), tc.text) {
				t.Fatalf("err %v, want %v mentioning %q", err, tc.want, tc.text)
			}
		})
	}
	t.Run("state", func(t *testing.T) {
		_, c := newClient(t)
		pend, q := flow(t, c)
		q.Set("state", "forged")
		if _, err := c.Finish(context.Background(), pend, q); !errors.Is(err, oidc.ErrState) {
			t.Fatalf("err %v", err)
		}
		if _, err := c.Finish(context.Background(), oidc.Pending{}, q); !errors.Is(err, oidc.ErrState) {
			t.Fatalf("no pending sign-in: %v", err)
		}
	})
	t.Run("too slow", func(t *testing.T) {
		p := oidctest.New("kubu", "s", redirect)
		defer p.Close()
		p.SignInAs(map[string]any{"sub": "x"})
		now := time.Now()
		c, _ := oidc.New(oidc.Config{Issuer: p.URL, ClientID: "kubu", ClientSecret: "s", RedirectURL: redirect, Now: func() time.Time { return now }})
		pend, q := flow(t, c)
		now = now.Add(oidc.MaxFlowAge + time.Second)
		if _, err := c.Finish(context.Background(), pend, q); !errors.Is(err, oidc.ErrExpired) {
			t.Fatalf("err %v", err)
		}
	})
	t.Run("denied", func(t *testing.T) {
		p, c := newClient(t)
		p.SignInAs(nil)
		pend, q := flow(t, c)
		if _, err := c.Finish(context.Background(), pend, q); !errors.Is(err, oidc.ErrDenied) {
			t.Fatalf("err %v", err)
		}
	})
}

var roles = []string{"wog-admin", "analyst", "triager", "agency-admin", "agency-member", "researcher"}

func validRole(r string) bool   { return slices.Contains(roles, r) }
func agencyBound(r string) bool { return r == "agency-admin" || r == "agency-member" }

func TestMapping(t *testing.T) {
	m, err := oidc.ParseMapping(strings.NewReader(`
# CLAIM VALUE ROLE [AGENCY]
groups              kubu-wog-admins wog-admin
realm_access.roles  soc             analyst
groups              moh-security    agency-admin  MOH
groups              agency-staff    agency-member $agency_code
`), validRole, agencyBound)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		claims       map[string]any
		role, agency string
		ok           bool
	}{
		{map[string]any{"groups": []any{"x", "kubu-wog-admins"}}, "wog-admin", "", true},
		{map[string]any{"realm_access": map[string]any{"roles": []any{"soc"}}}, "analyst", "", true},
		{map[string]any{"groups": "moh-security"}, "agency-admin", "MOH", true},
		{map[string]any{"groups": []any{"agency-staff"}, "agency_code": "MOE"}, "agency-member", "MOE", true},
		{map[string]any{"groups": []any{"agency-staff"}}, "", "", false}, // $agency_code missing
		{map[string]any{"groups": []any{"moh-security", "kubu-wog-admins"}}, "wog-admin", "", true},
		{map[string]any{"groups": []any{"nobody"}}, "", "", false},
		{map[string]any{}, "", "", false},
	} {
		role, agency, _, ok := m.Map(tc.claims)
		if role != tc.role || agency != tc.agency || ok != tc.ok {
			t.Errorf("%v: %q %q %v, want %q %q %v", tc.claims, role, agency, ok, tc.role, tc.agency, tc.ok)
		}
	}
	for _, bad := range []string{"groups x", "groups x king", "groups x agency-admin", "groups x analyst MOH", "groups x analyst MOH extra", "groups x agency-admin $"} {
		if _, err := oidc.ParseMapping(strings.NewReader(bad), validRole, agencyBound); err == nil || !strings.Contains(err.Error(), "line 1") {
			t.Errorf("%q: %v", bad, err)
		}
	}
}

func FuzzParseMapping(f *testing.F) {
	f.Add("groups kubu-wog-admins wog-admin\ngroups agency-staff agency-member $agency_code\n")
	f.Add("# comment\n\nemail * agency-member MOH")
	f.Fuzz(func(t *testing.T, s string) {
		m, err := oidc.ParseMapping(strings.NewReader(s), validRole, agencyBound)
		if err != nil {
			return
		}
		for _, r := range m.Rules {
			if !validRole(r.Role) || agencyBound(r.Role) != (r.Agency != "") {
				t.Fatalf("accepted rule %+v", r)
			}
		}
		role, _, _, ok := m.Map(map[string]any{"groups": []any{"kubu-wog-admins"}, "email": "a@b", "agency_code": "X"})
		if ok && !validRole(role) {
			t.Fatalf("mapped to %q", role)
		}
	})
}
