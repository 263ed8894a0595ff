// Package oidctest is a small but real OpenID Connect provider for tests:
// discovery, a JWKS, an authorisation endpoint that signs in whoever the
// test says (and redirects back with a code), a token endpoint that checks
// the client secret, the redirect URI and the PKCE verifier and answers a
// real RS256-signed ID token (github.com/go-jose/go-jose/v4), and an end
// session endpoint. Faults make the next ID token wrong in one way each —
// signed by another key, for another audience, expired, or carrying the
// nonce of an earlier sign-in — so relying parties can be shown to refuse
// them.
package oidctest

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync"
	"time"

	jose "github.com/go-jose/go-jose/v4"
)

// Fault spoils the next ID token.
type Fault int

// The faults.
const (
	None          Fault = iota
	BadSignature        // signed with a key not in the JWKS (same kid)
	WrongAudience       // aud is another client
	Expired             // exp an hour ago
	ReplayNonce         // the nonce of the sign-in before this one
)

// Provider is a running test provider.
type Provider struct {
	URL          string // the issuer
	ClientID     string
	ClientSecret string

	srv   *httptest.Server
	key   *rsa.PrivateKey
	other *rsa.PrivateKey
	kid   string

	mu        sync.Mutex
	user      map[string]any // claims of whoever signs in next
	codes     map[string]grant
	lastNonce string
	fault     Fault
	redirects map[string]bool
	Logouts   []url.Values // end_session calls
	Issued    int          // ID tokens issued
}

type grant struct {
	claims      map[string]any
	nonce       string
	challenge   string
	redirectURI string
	used        bool
}

// New starts a provider on loopback with one client.
func New(clientID, clientSecret string, redirectURIs ...string) *Provider {
	p := &Provider{ClientID: clientID, ClientSecret: clientSecret, codes: map[string]grant{}, redirects: map[string]bool{}, kid: "kubu-test-1"}
	var err error
	if p.key, err = rsa.GenerateKey(rand.Reader, 2048); err != nil {
		panic(err)
	}
	if p.other, err = rsa.GenerateKey(rand.Reader, 2048); err != nil {
		panic(err)
	}
	for _, r := range redirectURIs {
		p.redirects[r] = true
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /.well-known/openid-configuration", p.discovery)
	mux.HandleFunc("GET /jwks", p.jwks)
	mux.HandleFunc("GET /authorize", p.authorize)
	mux.HandleFunc("POST /token", p.token)
	mux.HandleFunc("GET /logout", p.logout)
	p.srv = httptest.NewServer(mux)
	p.URL = p.srv.URL
	return p
}

// Close stops the provider.
func (p *Provider) Close() { p.srv.Close() }

// AllowRedirect registers another redirect URI of the client.
func (p *Provider) AllowRedirect(u string) {
	p.mu.Lock()
	p.redirects[u] = true
	p.mu.Unlock()
}

// SignInAs sets the claims of whoever signs in next (sub is required).
func (p *Provider) SignInAs(claims map[string]any) {
	p.mu.Lock()
	p.user = claims
	p.mu.Unlock()
}

// Fail spoils the next ID token with f.
func (p *Provider) Fail(f Fault) {
	p.mu.Lock()
	p.fault = f
	p.mu.Unlock()
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

func (p *Provider) discovery(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, 200, map[string]any{
		"issuer":                                p.URL,
		"authorization_endpoint":                p.URL + "/authorize",
		"token_endpoint":                        p.URL + "/token",
		"jwks_uri":                              p.URL + "/jwks",
		"end_session_endpoint":                  p.URL + "/logout",
		"response_types_supported":              []string{"code"},
		"subject_types_supported":               []string{"public"},
		"id_token_signing_alg_values_supported": []string{"RS256"},
		"code_challenge_methods_supported":      []string{"S256"},
		"token_endpoint_auth_methods_supported": []string{"client_secret_basic", "client_secret_post"},
		"scopes_supported":                      []string{"openid", "email", "profile"},
	})
}

func (p *Provider) jwks(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, 200, jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: &p.key.PublicKey, KeyID: p.kid, Algorithm: string(jose.RS256), Use: "sig"}}})
}

func random() string {
	b := make([]byte, 24)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

func (p *Provider) authorize(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	p.mu.Lock()
	defer p.mu.Unlock()
	redirect := q.Get("redirect_uri")
	if q.Get("client_id") != p.ClientID || !p.redirects[redirect] {
		http.Error(w, "unknown client or redirect_uri", http.StatusBadRequest)
		return
	}
	back, _ := url.Parse(redirect)
	bq := back.Query()
	bq.Set("state", q.Get("state"))
	switch {
	case q.Get("response_type") != "code":
		bq.Set("error", "unsupported_response_type")
	case q.Get("code_challenge_method") != "S256" || q.Get("code_challenge") == "":
		bq.Set("error", "invalid_request") // PKCE is required here
	case p.user == nil:
		bq.Set("error", "access_denied")
	default:
		code := random()
		p.codes[code] = grant{claims: p.user, nonce: q.Get("nonce"), challenge: q.Get("code_challenge"), redirectURI: redirect}
		if p.fault == ReplayNonce && p.lastNonce != "" {
			g := p.codes[code]
			g.nonce = p.lastNonce
			p.codes[code] = g
		}
		p.lastNonce = q.Get("nonce")
		bq.Set("code", code)
	}
	back.RawQuery = bq.Encode()
	http.Redirect(w, r, back.String(), http.StatusFound)
}

func (p *Provider) token(w http.ResponseWriter, r *http.Request) {
	r.ParseForm()
	id, secret, ok := r.BasicAuth()
	if !ok {
		id, secret = r.PostForm.Get("client_id"), r.PostForm.Get("client_secret")
	} else {
		id, _ = url.QueryUnescape(id)
		secret, _ = url.QueryUnescape(secret)
	}
	if id != p.ClientID || subtle.ConstantTimeCompare([]byte(secret), []byte(p.ClientSecret)) != 1 {
		writeJSON(w, 401, map[string]string{"error": "invalid_client"})
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	code := r.PostForm.Get("code")
	g, ok := p.codes[code]
	sum := sha256.Sum256([]byte(r.PostForm.Get("code_verifier")))
	switch {
	case r.PostForm.Get("grant_type") != "authorization_code" || !ok || g.used:
		writeJSON(w, 400, map[string]string{"error": "invalid_grant"})
		return
	case r.PostForm.Get("redirect_uri") != g.redirectURI:
		writeJSON(w, 400, map[string]string{"error": "invalid_grant", "error_description": "redirect_uri"})
		return
	case base64.RawURLEncoding.EncodeToString(sum[:]) != g.challenge:
		writeJSON(w, 400, map[string]string{"error": "invalid_grant", "error_description": "PKCE verifier"})
		return
	}
	g.used = true
	p.codes[code] = g
	now := time.Now()
	claims := map[string]any{"iss": p.URL, "aud": p.ClientID, "iat": now.Unix(), "exp": now.Add(5 * time.Minute).Unix(), "nonce": g.nonce}
	for k, v := range g.claims {
		claims[k] = v
	}
	key := p.key
	switch p.fault {
	case BadSignature:
		key = p.other
	case WrongAudience:
		claims["aud"] = "another-client"
	case Expired:
		claims["iat"], claims["exp"] = now.Add(-2*time.Hour).Unix(), now.Add(-time.Hour).Unix()
	}
	p.fault = None
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.RS256, Key: key}, (&jose.SignerOptions{}).WithType("JWT").WithHeader("kid", p.kid))
	if err != nil {
		writeJSON(w, 500, map[string]string{"error": err.Error()})
		return
	}
	payload, _ := json.Marshal(claims)
	jws, err := signer.Sign(payload)
	if err != nil {
		writeJSON(w, 500, map[string]string{"error": err.Error()})
		return
	}
	raw, _ := jws.CompactSerialize()
	p.Issued++
	writeJSON(w, 200, map[string]any{"access_token": random(), "token_type": "Bearer", "expires_in": 300, "id_token": raw})
}

func (p *Provider) logout(w http.ResponseWriter, r *http.Request) {
	p.mu.Lock()
	p.Logouts = append(p.Logouts, r.URL.Query())
	p.mu.Unlock()
	if after := r.URL.Query().Get("post_logout_redirect_uri"); after != "" {
		http.Redirect(w, r, after, http.StatusFound)
		return
	}
	fmt.Fprintln(w, "signed out")
}

// LogoutCalls returns the end_session calls so far.
func (p *Provider) LogoutCalls() []url.Values {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]url.Values(nil), p.Logouts...)
}
