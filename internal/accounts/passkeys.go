package accounts

import (
	"context"
	"database/sql"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"strings"
	"time"

	"github.com/go-webauthn/webauthn/protocol"
	"github.com/go-webauthn/webauthn/webauthn"

	"github.com/kubu-gov/kubu/internal/audit"
	"github.com/kubu-gov/kubu/internal/authz"
	"github.com/kubu-gov/kubu/internal/id"
	"github.com/kubu-gov/kubu/internal/store"
	"github.com/kubu-gov/kubu/internal/validate"
)

// Passkeys (WebAuthn, github.com/go-webauthn/webauthn): researchers and
// staff register several, each named, and sign in with one instead of a
// password. Sign-in asks for a discoverable credential with user
// verification, so a passkey is both factors at once (possession, and the
// PIN or biometric that unlocks it). A signature counter that does not
// grow means the key was cloned: the sign-in is refused and audited
// (user.passkey_cloned).

// Errors of the passkey ceremonies. Their messages are safe to show.
var (
	ErrPasskeysOff   = errors.New("passkeys are not available on this kubu (its public URL must name a host, not an address)")
	ErrPasskeyFailed = errors.New("the passkey did not sign you in")
	ErrPasskeyCloned = errors.New("this passkey's signature counter went back, as a copied key's would: it is refused. Remove it and register a new one")
)

// MaxPasskeys bounds the passkeys of one account.
const MaxPasskeys = 20

// Passkey is a registered credential as its owner sees it.
type Passkey struct {
	ID         string     `json:"id"`
	Name       string     `json:"name"`
	CreatedAt  time.Time  `json:"created_at"`
	LastUsedAt *time.Time `json:"last_used_at,omitempty"`
}

// PasskeyRP derives the relying party of kubu's public URL: the host is
// the RP ID, the origin the only one allowed. ok is false when the host is
// an IP address (WebAuthn needs a domain; "localhost" is one).
func PasskeyRP(publicURL string) (rpID, origin string, ok bool) {
	u, err := url.Parse(publicURL)
	if err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") {
		return "", "", false
	}
	host := u.Hostname()
	if net.ParseIP(host) != nil || (u.Scheme == "http" && host != "localhost") {
		return "", "", false // WebAuthn needs a domain, and a secure context (https, or localhost)
	}
	return host, u.Scheme + "://" + u.Host, true
}

// newWebAuthn configures the relying party from the public URL; nil when
// passkeys cannot work there.
func newWebAuthn(publicURL string) *webauthn.WebAuthn {
	rpID, origin, ok := PasskeyRP(publicURL)
	if !ok {
		return nil
	}
	w, err := webauthn.New(&webauthn.Config{RPID: rpID, RPDisplayName: "kubu", RPOrigins: []string{origin}})
	if err != nil {
		return nil
	}
	return w
}

// PasskeysOn reports whether passkeys work on this kubu.
func (s *Service) PasskeysOn() bool { return s.webauthn != nil }

// waUser is an account as the WebAuthn library sees it: its handle is the
// account id.
type waUser struct {
	u     User
	creds []webauthn.Credential
}

func (w waUser) WebAuthnID() []byte   { return []byte(w.u.ID) }
func (w waUser) WebAuthnName() string { return w.u.Email }
func (w waUser) WebAuthnDisplayName() string {
	if w.u.Name != "" {
		return w.u.Name
	}
	return w.u.Email
}
func (w waUser) WebAuthnCredentials() []webauthn.Credential { return w.creds }

// credentials loads an account's stored credentials.
func (s *Service) credentials(ctx context.Context, q store.Querier, userID string) ([]webauthn.Credential, error) {
	rows, err := q.QueryContext(ctx, `SELECT credential, sign_count FROM passkeys WHERE user_id = $1 ORDER BY created_at`, userID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []webauthn.Credential
	for rows.Next() {
		var raw string
		var count int64
		if err := rows.Scan(&raw, &count); err != nil {
			return nil, err
		}
		var c webauthn.Credential
		if err := json.Unmarshal([]byte(raw), &c); err != nil {
			return nil, fmt.Errorf("passkey of %s: %w", userID, err)
		}
		c.Authenticator.SignCount = uint32(count)
		out = append(out, c)
	}
	return out, rows.Err()
}

func credKey(id []byte) string { return base64.RawURLEncoding.EncodeToString(id) }

// Passkeys lists the caller's own passkeys.
func (s *Service) Passkeys(ctx context.Context, a authz.Actor) ([]Passkey, error) {
	if !a.Authenticated() {
		return nil, authz.ErrUnauthenticated
	}
	rows, err := s.db.R().QueryContext(ctx, `SELECT id, name, created_at, last_used_at FROM passkeys WHERE user_id = $1 ORDER BY created_at`, a.UserID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []Passkey{}
	for rows.Next() {
		var p Passkey
		var created int64
		var used sql.NullInt64
		if err := rows.Scan(&p.ID, &p.Name, &created, &used); err != nil {
			return nil, err
		}
		p.CreatedAt, p.LastUsedAt = time.UnixMilli(created).UTC(), msPtr(used)
		out = append(out, p)
	}
	return out, rows.Err()
}

// BeginPasskeyRegistration starts registering a passkey for the caller:
// the options go to the browser (navigator.credentials.create), the
// session data stays on the server until FinishPasskeyRegistration.
func (s *Service) BeginPasskeyRegistration(ctx context.Context, a authz.Actor) (*protocol.CredentialCreation, *webauthn.SessionData, error) {
	if s.webauthn == nil {
		return nil, nil, ErrPasskeysOff
	}
	u, err := s.ActiveUser(ctx, a.UserID)
	if err != nil {
		return nil, nil, err
	}
	creds, err := s.credentials(ctx, s.db.R(), u.ID)
	if err != nil {
		return nil, nil, err
	}
	if len(creds) >= MaxPasskeys {
		return nil, nil, validate.Errors{{Field: "passkey", Message: fmt.Sprintf("at most %d passkeys: remove one first", MaxPasskeys)}}
	}
	exclude := make([]protocol.CredentialDescriptor, len(creds))
	for i := range creds {
		exclude[i] = creds[i].Descriptor()
	}
	return s.webauthn.BeginRegistration(waUser{u, creds},
		webauthn.WithExclusions(exclude),
		webauthn.WithAuthenticatorSelection(protocol.AuthenticatorSelection{
			ResidentKey: protocol.ResidentKeyRequirementRequired, RequireResidentKey: protocol.ResidentKeyRequired(),
			UserVerification: protocol.VerificationRequired}),
		webauthn.WithConveyancePreference(protocol.PreferNoAttestation))
}

// FinishPasskeyRegistration checks the browser's answer (body: the
// PublicKeyCredential as JSON) against the session data and stores the
// passkey under name (user.passkey_added).
func (s *Service) FinishPasskeyRegistration(ctx context.Context, a authz.Actor, sess webauthn.SessionData, name string, body io.Reader) (Passkey, error) {
	if s.webauthn == nil {
		return Passkey{}, ErrPasskeysOff
	}
	name = strings.TrimSpace(name)
	if name == "" {
		name = "Passkey"
	}
	if len([]rune(name)) > 60 {
		return Passkey{}, validate.Errors{{Field: "name", Message: "at most 60 characters"}}
	}
	u, err := s.ActiveUser(ctx, a.UserID)
	if err != nil {
		return Passkey{}, err
	}
	if string(sess.UserID) != u.ID {
		return Passkey{}, ErrPasskeyFailed
	}
	parsed, err := protocol.ParseCredentialCreationResponseBody(io.LimitReader(body, 64<<10))
	if err != nil {
		return Passkey{}, fmt.Errorf("%w: %v", ErrPasskeyFailed, err)
	}
	creds, err := s.credentials(ctx, s.db.R(), u.ID)
	if err != nil {
		return Passkey{}, err
	}
	cred, err := s.webauthn.CreateCredential(waUser{u, creds}, sess, parsed)
	if err != nil {
		return Passkey{}, fmt.Errorf("%w: %v", ErrPasskeyFailed, err)
	}
	raw, err := json.Marshal(cred)
	if err != nil {
		return Passkey{}, err
	}
	now := s.now().UTC().Truncate(time.Millisecond)
	p := Passkey{ID: id.New(), Name: name, CreatedAt: now}
	err = s.db.Tx(ctx, func(tx *sql.Tx) error {
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM passkeys WHERE user_id = $1`, u.ID).Scan(&n); err != nil {
			return err
		}
		if n >= MaxPasskeys {
			return validate.Errors{{Field: "passkey", Message: fmt.Sprintf("at most %d passkeys: remove one first", MaxPasskeys)}}
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO passkeys (id, user_id, credential_id, name, credential, sign_count, created_at) VALUES ($1,$2,$3,$4,$5,$6,$7)`,
			p.ID, u.ID, credKey(cred.ID), name, string(raw), int64(cred.Authenticator.SignCount), now.UnixMilli())
		if store.IsUniqueViolation(err) {
			return validate.Errors{{Field: "passkey", Message: "this passkey is registered already"}}
		}
		if err != nil {
			return err
		}
		_, err = s.audit.Append(ctx, tx, audit.Entry{Code: audit.UserPasskeyAdded, Actor: a.AuditActor(), AgencyID: u.AgencyID,
			TargetType: "user", TargetID: u.ID, After: map[string]string{"passkey": p.ID, "name": name, "aaguid": fmt.Sprintf("%x", cred.Authenticator.AAGUID)}})
		return err
	})
	if err != nil {
		return Passkey{}, err
	}
	return p, nil
}

// RemovePasskey removes one of the caller's passkeys (user.passkey_removed).
// Another person's passkey answers as a missing one.
func (s *Service) RemovePasskey(ctx context.Context, a authz.Actor, passkeyID string) error {
	if !a.Authenticated() {
		return authz.ErrUnauthenticated
	}
	return s.db.Tx(ctx, func(tx *sql.Tx) error {
		var name string
		err := tx.QueryRowContext(ctx, `SELECT name FROM passkeys WHERE id = $1 AND user_id = $2`, passkeyID, a.UserID).Scan(&name)
		if errors.Is(err, sql.ErrNoRows) {
			return authz.ErrNotFound
		}
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM passkeys WHERE id = $1 AND user_id = $2`, passkeyID, a.UserID); err != nil {
			return err
		}
		_, err = s.audit.Append(ctx, tx, audit.Entry{Code: audit.UserPasskeyRemoved, Actor: a.AuditActor(), AgencyID: a.AgencyID,
			TargetType: "user", TargetID: a.UserID, Before: map[string]string{"passkey": passkeyID, "name": name}})
		return err
	})
}

// HasPasskeys reports whether the account has a passkey (then a password
// sign-in asks for one as the second factor).
func (s *Service) HasPasskeys(ctx context.Context, userID string) (bool, error) {
	if s.webauthn == nil {
		return false, nil
	}
	var n int
	err := s.db.R().QueryRowContext(ctx, `SELECT COUNT(*) FROM passkeys WHERE user_id = $1`, userID).Scan(&n)
	return n > 0, err
}

// BeginPasskeySecondFactor starts the second step of a password sign-in
// of u: one of u's passkeys (user presence is enough here; the password
// was the first factor).
func (s *Service) BeginPasskeySecondFactor(ctx context.Context, u User) (*protocol.CredentialAssertion, *webauthn.SessionData, error) {
	if s.webauthn == nil {
		return nil, nil, ErrPasskeysOff
	}
	creds, err := s.credentials(ctx, s.db.R(), u.ID)
	if err != nil {
		return nil, nil, err
	}
	if len(creds) == 0 {
		return nil, nil, ErrPasskeyFailed
	}
	return s.webauthn.BeginLogin(waUser{u, creds}, webauthn.WithUserVerification(protocol.VerificationPreferred))
}

// FinishPasskeySecondFactor checks the second step of u's password
// sign-in, with the same counter rule as FinishPasskeyLogin.
func (s *Service) FinishPasskeySecondFactor(ctx context.Context, u User, sess webauthn.SessionData, body io.Reader, client string) error {
	if s.webauthn == nil {
		return ErrPasskeysOff
	}
	if string(sess.UserID) != u.ID {
		return ErrPasskeyFailed
	}
	parsed, err := protocol.ParseCredentialRequestResponseBody(io.LimitReader(body, 64<<10))
	if err != nil {
		return fmt.Errorf("%w: %v", ErrPasskeyFailed, err)
	}
	creds, err := s.credentials(ctx, s.db.R(), u.ID)
	if err != nil {
		return err
	}
	cred, err := s.webauthn.ValidateLogin(waUser{u, creds}, sess, parsed)
	if err != nil {
		return fmt.Errorf("%w: %v", ErrPasskeyFailed, err)
	}
	return s.usePasskey(ctx, u, cred, client)
}

// BeginPasskeyLogin starts a passkey sign-in: any discoverable credential
// of this site, with user verification.
func (s *Service) BeginPasskeyLogin() (*protocol.CredentialAssertion, *webauthn.SessionData, error) {
	if s.webauthn == nil {
		return nil, nil, ErrPasskeysOff
	}
	return s.webauthn.BeginDiscoverableLogin(webauthn.WithUserVerification(protocol.VerificationRequired))
}

// FinishPasskeyLogin checks a passkey sign-in (body: the browser's
// PublicKeyCredential assertion as JSON) and returns the account. The
// signature counter must grow past the stored one (unless the
// authenticator keeps none): a clone is refused and audited. It does not
// sign in: the caller calls CompleteLogin.
func (s *Service) FinishPasskeyLogin(ctx context.Context, sess webauthn.SessionData, body io.Reader, client string) (User, error) {
	if s.webauthn == nil {
		return User{}, ErrPasskeysOff
	}
	parsed, err := protocol.ParseCredentialRequestResponseBody(io.LimitReader(body, 64<<10))
	if err != nil {
		return User{}, fmt.Errorf("%w: %v", ErrPasskeyFailed, err)
	}
	handler := func(rawID, userHandle []byte) (webauthn.User, error) {
		u, err := s.ActiveUser(ctx, string(userHandle))
		if err != nil {
			return nil, err
		}
		creds, err := s.credentials(ctx, s.db.R(), u.ID)
		if err != nil {
			return nil, err
		}
		return waUser{u, creds}, nil
	}
	wu, cred, err := s.webauthn.ValidatePasskeyLogin(handler, sess, parsed)
	if err != nil {
		s.log.Info("passkey sign-in refused", "err", err, "client", client)
		return User{}, fmt.Errorf("%w: %v", ErrPasskeyFailed, err)
	}
	u := wu.(waUser).u
	if err := s.usePasskey(ctx, u, cred, client); err != nil {
		return User{}, err
	}
	return u, nil
}

// usePasskey refuses a cloned credential (audited) or a staff member's
// while local credentials are off for staff, and moves the credential's
// counter forward.
func (s *Service) usePasskey(ctx context.Context, u User, cred *webauthn.Credential, client string) error {
	if cred.Authenticator.CloneWarning {
		s.refuseClone(ctx, u, cred, client)
		return ErrPasskeyCloned
	}
	if !s.passwordAllowed(u) {
		return ErrUseSSO // local credentials are off for staff
	}
	count, key := int64(cred.Authenticator.SignCount), credKey(cred.ID)
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		// The counter moves forward only: two sign-ins racing with the
		// same counter value (a clone used at the same time) cannot both
		// pass.
		res, err := tx.ExecContext(ctx, `UPDATE passkeys SET sign_count = $1, last_used_at = $2 WHERE credential_id = $3 AND user_id = $4
			AND (sign_count < $1 OR ($1 = 0 AND sign_count = 0))`, count, s.now().UnixMilli(), key, u.ID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return ErrPasskeyCloned
		}
		return nil
	})
	if errors.Is(err, ErrPasskeyCloned) {
		s.refuseClone(ctx, u, cred, client)
	}
	return err
}

// refuseClone records a sign-in refused for a signature counter that went
// back.
func (s *Service) refuseClone(ctx context.Context, u User, cred *webauthn.Credential, client string) {
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		var stored int64
		tx.QueryRowContext(ctx, `SELECT sign_count FROM passkeys WHERE credential_id = $1`, credKey(cred.ID)).Scan(&stored)
		_, err := s.audit.Append(ctx, tx, audit.Entry{Code: audit.UserPasskeyCloned, Actor: u.Actor().AuditActor(), AgencyID: u.AgencyID,
			TargetType: "user", TargetID: u.ID, After: map[string]any{"credential": credKey(cred.ID), "counter": cred.Authenticator.SignCount,
				"stored_counter": stored, "client": client}})
		return err
	})
	if err != nil {
		s.log.Error("audit a cloned passkey", "err", err)
	}
}
