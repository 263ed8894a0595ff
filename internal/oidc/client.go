// Package oidc signs people in with an OpenID Connect identity provider:
// the authorisation code flow with PKCE (S256), state and nonce, ID tokens
// checked by github.com/coreos/go-oidc (signature against the provider's
// JWKS, issuer, audience, expiry), RP-initiated sign-out, and a claim
// mapping that turns the provider's claims into a role and an agency. It
// knows nothing else of kubu.
package oidc

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"sync"
	"time"

	gooidc "github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"
)

// Config configures a Client.
type Config struct {
	Issuer       string // the provider's issuer URL (discovery at Issuer/.well-known/openid-configuration)
	ClientID     string
	ClientSecret string
	RedirectURL  string   // kubu's callback, e.g. https://kubu.example.gov/login/oidc/callback
	Scopes       []string // default: openid email profile
	// HTTPClient talks to the provider (nil: http.DefaultClient with a 10 s
	// timeout).
	HTTPClient *http.Client
	// Now is the clock (nil: time.Now); tests move it.
	Now func() time.Time
}

// MaxFlowAge is how long a sign-in may take between leaving for the
// provider and coming back.
const MaxFlowAge = 10 * time.Minute

// Errors of Finish. Their messages are safe to show.
var (
	ErrState   = errors.New("this sign-in link is not the one kubu started (or it was used already): start again")
	ErrExpired = errors.New("the sign-in took too long: start again")
	ErrNonce   = errors.New("the identity provider's token was not made for this sign-in (nonce)")
	ErrToken   = errors.New("the identity provider's token did not verify")
	ErrDenied  = errors.New("the identity provider did not sign you in")
)

// Client is a relying party of one provider. Discovery happens on first
// use (and again after a failure), so kubu starts while the provider is
// down.
type Client struct {
	cfg Config

	mu         sync.Mutex
	provider   *gooidc.Provider
	verifier   *gooidc.IDTokenVerifier
	endSession string
}

// New returns a client; it does not contact the provider yet.
func New(cfg Config) (*Client, error) {
	if cfg.Issuer == "" || cfg.ClientID == "" || cfg.RedirectURL == "" {
		return nil, errors.New("oidc: issuer, client id and redirect URL are required")
	}
	if u, err := url.Parse(cfg.Issuer); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return nil, fmt.Errorf("oidc: issuer %q is not an http(s) URL", cfg.Issuer)
	}
	if len(cfg.Scopes) == 0 {
		cfg.Scopes = []string{gooidc.ScopeOpenID, "email", "profile"}
	}
	if cfg.HTTPClient == nil {
		cfg.HTTPClient = &http.Client{Timeout: 10 * time.Second}
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Client{cfg: cfg}, nil
}

func (c *Client) ctx(ctx context.Context) context.Context {
	return gooidc.ClientContext(ctx, c.cfg.HTTPClient)
}

// discover fetches the provider's metadata once.
func (c *Client) discover(ctx context.Context) (*gooidc.Provider, *gooidc.IDTokenVerifier, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.provider != nil {
		return c.provider, c.verifier, nil
	}
	p, err := gooidc.NewProvider(c.ctx(ctx), c.cfg.Issuer)
	if err != nil {
		return nil, nil, fmt.Errorf("oidc discovery at %s: %w", c.cfg.Issuer, err)
	}
	var extra struct {
		EndSession string `json:"end_session_endpoint"`
	}
	p.Claims(&extra)
	c.provider, c.endSession = p, extra.EndSession
	c.verifier = p.VerifierContext(c.ctx(context.Background()), &gooidc.Config{ClientID: c.cfg.ClientID, Now: c.cfg.Now})
	return c.provider, c.verifier, nil
}

func (c *Client) oauth(p *gooidc.Provider) *oauth2.Config {
	return &oauth2.Config{ClientID: c.cfg.ClientID, ClientSecret: c.cfg.ClientSecret, RedirectURL: c.cfg.RedirectURL,
		Endpoint: p.Endpoint(), Scopes: c.cfg.Scopes}
}

// Pending is a sign-in on its way to the provider: kept in the browser's
// session (server side) until the provider sends the browser back.
type Pending struct {
	State    string    `json:"state"`
	Nonce    string    `json:"nonce"`
	Verifier string    `json:"verifier"` // PKCE code verifier
	Next     string    `json:"next"`     // where to go once signed in
	Started  time.Time `json:"started"`
}

func random() string {
	b := make([]byte, 32)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// Begin starts a sign-in: it returns what to keep in the session and the
// provider URL to send the browser to.
func (c *Client) Begin(ctx context.Context, next string) (Pending, string, error) {
	p, _, err := c.discover(ctx)
	if err != nil {
		return Pending{}, "", err
	}
	pend := Pending{State: random(), Nonce: random(), Verifier: oauth2.GenerateVerifier(), Next: next, Started: c.cfg.Now()}
	u := c.oauth(p).AuthCodeURL(pend.State, gooidc.Nonce(pend.Nonce), oauth2.S256ChallengeOption(pend.Verifier))
	return pend, u, nil
}

// Identity is who the provider says signed in.
type Identity struct {
	Issuer        string
	Subject       string
	Email         string
	EmailVerified bool
	Name          string
	// Claims are all the ID token's claims (for the claim mapping).
	Claims map[string]any
	// IDToken is the raw token, kept for sign-out (id_token_hint).
	IDToken string
}

// Finish completes a sign-in from the callback's query: the state must be
// the pending one, the code is exchanged with the PKCE verifier, and the
// ID token must verify (signature, issuer, audience, expiry) and carry the
// pending nonce. The caller must forget pend whatever the outcome, so a
// callback cannot be replayed.
func (c *Client) Finish(ctx context.Context, pend Pending, q url.Values) (Identity, error) {
	if pend.State == "" || subtle.ConstantTimeCompare([]byte(q.Get("state")), []byte(pend.State)) != 1 {
		return Identity{}, ErrState
	}
	if c.cfg.Now().Sub(pend.Started) > MaxFlowAge {
		return Identity{}, ErrExpired
	}
	if e := q.Get("error"); e != "" {
		return Identity{}, fmt.Errorf("%w: %s", ErrDenied, e)
	}
	p, verifier, err := c.discover(ctx)
	if err != nil {
		return Identity{}, err
	}
	tok, err := c.oauth(p).Exchange(c.ctx(ctx), q.Get("code"), oauth2.VerifierOption(pend.Verifier))
	if err != nil {
		return Identity{}, fmt.Errorf("%w: code exchange: %v", ErrToken, err)
	}
	raw, _ := tok.Extra("id_token").(string)
	if raw == "" {
		return Identity{}, fmt.Errorf("%w: no id_token in the token answer", ErrToken)
	}
	idt, err := verifier.Verify(c.ctx(ctx), raw)
	if err != nil {
		return Identity{}, fmt.Errorf("%w: %v", ErrToken, err)
	}
	if subtle.ConstantTimeCompare([]byte(idt.Nonce), []byte(pend.Nonce)) != 1 {
		return Identity{}, ErrNonce
	}
	var claims map[string]any
	if err := idt.Claims(&claims); err != nil {
		return Identity{}, fmt.Errorf("%w: %v", ErrToken, err)
	}
	id := Identity{Issuer: idt.Issuer, Subject: idt.Subject, Claims: claims, IDToken: raw}
	id.Email, _ = claims["email"].(string)
	id.Name, _ = claims["name"].(string)
	switch v := claims["email_verified"].(type) {
	case bool:
		id.EmailVerified = v
	case string: // some providers send "true"
		id.EmailVerified = v == "true"
	}
	return id, nil
}

// LogoutURL is where to send a browser signing out so the provider signs
// it out too (RP-initiated logout), or "" when the provider offers none.
func (c *Client) LogoutURL(ctx context.Context, idToken, after string) string {
	if _, _, err := c.discover(ctx); err != nil || c.endSession == "" {
		return ""
	}
	u, err := url.Parse(c.endSession)
	if err != nil {
		return ""
	}
	q := u.Query()
	if idToken != "" {
		q.Set("id_token_hint", idToken)
	}
	q.Set("client_id", c.cfg.ClientID)
	if after != "" {
		q.Set("post_logout_redirect_uri", after)
	}
	u.RawQuery = q.Encode()
	return u.String()
}
