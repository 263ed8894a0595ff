package web

import (
	"context"
	"encoding/base64"
	"errors"
	"net/http"
	"strings"

	"github.com/alexedwards/scs/v2"

	"github.com/kubu-gov/kubu/internal/accounts"
	"github.com/kubu-gov/kubu/internal/authz"
)

// Session keys.
const (
	sessUserID      = "uid"        // set once fully signed in
	sessPendingUser = "pending"    // password checked, TOTP code awaited
	sessNeedsEnrol  = "needs_totp" // signed in, but must enrol TOTP before anything else
	sessEpoch       = "epoch"      // the account's session epoch when this session signed in
)

// IntakeAuthFunc checks an intake request's credentials and returns the
// agency its token is bound to. It writes the protocol's own error answer
// and returns ok=false when the request is refused.
type IntakeAuthFunc func(w http.ResponseWriter, r *http.Request) (agencyID string, ok bool)

// Authenticator identifies callers on each surface.
type Authenticator struct {
	Accounts *accounts.Service
	Sessions *scs.SessionManager
	// Intake authenticates log shippers (set by the intake package).
	Intake IntakeAuthFunc
	// EnrolPath is where a staff user who must set up TOTP is sent.
	EnrolPath string
}

// intakeTokenPrefix starts every intake token (intake.TokenPrefix; web
// cannot import intake, and only recognises the shape here).
const intakeTokenPrefix = "kubu_in_"

// IntakeCredential reports whether r carries an intake token the way log
// shippers send one: "Splunk T", "ApiKey …", "Bearer kubu_in_…", or Basic
// with a kubu_in_ password. It reads headers only (no lookup); the intake
// surface checks the token itself.
func IntakeCredential(r *http.Request) bool {
	h := strings.TrimSpace(r.Header.Get("Authorization"))
	scheme, rest, _ := strings.Cut(h, " ")
	rest = strings.TrimSpace(rest)
	switch strings.ToLower(scheme) {
	case "splunk", "apikey":
		return rest != ""
	case "bearer":
		return strings.HasPrefix(rest, intakeTokenPrefix)
	case "basic":
		raw, err := base64.StdEncoding.DecodeString(rest)
		_, pw, ok := strings.Cut(string(raw), ":")
		return err == nil && ok && strings.HasPrefix(pw, intakeTokenPrefix)
	}
	return false
}

// BearerToken returns the request's bearer token, if any.
func BearerToken(r *http.Request) (string, bool) {
	h := r.Header.Get("Authorization")
	if len(h) > 7 && strings.EqualFold(h[:7], "bearer ") {
		return strings.TrimSpace(h[7:]), true
	}
	return "", false
}

// bearer authenticates API requests by their bearer token: a request
// without one goes on as anonymous, a bad one is refused with 401.
func (au *Authenticator) bearer(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		actor := authz.Anonymous
		if tok, ok := BearerToken(r); ok {
			u, err := au.Accounts.Authenticate(r.Context(), tok)
			if err != nil {
				if !errors.Is(err, accounts.ErrBadToken) {
					WriteError(w, r, err)
					return
				}
				w.Header().Set("WWW-Authenticate", `Bearer error="invalid_token"`)
				WriteError(w, r, authz.ErrUnauthenticated)
				return
			}
			actor = u.Actor()
		} else if r.Header.Get("Authorization") != "" {
			w.Header().Set("WWW-Authenticate", `Bearer`)
			WriteError(w, r, authz.ErrUnauthenticated)
			return
		}
		next.ServeHTTP(w, r.WithContext(WithActor(r.Context(), actor)))
	})
}

// apiRoute checks an API route's action for the caller the surface
// authenticated.
func (au *Authenticator) apiRoute(act authz.Action, h http.HandlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := authz.Check(ActorFrom(r.Context()), act, authz.Collection()); err != nil {
			if errors.Is(err, authz.ErrUnauthenticated) {
				w.Header().Set("WWW-Authenticate", `Bearer`)
			}
			WriteError(w, r, err)
			return
		}
		h(w, r)
	})
}

// browserActor identifies the signed-in user of a browser request from its
// session (anonymous without one).
func (au *Authenticator) browserActor(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		actor, needsEnrol := authz.Anonymous, false
		if au != nil && au.Sessions != nil {
			if uid := au.Sessions.GetString(r.Context(), sessUserID); uid != "" {
				u, err := au.Accounts.ActiveUser(r.Context(), uid)
				if err == nil && u.SessionEpoch != au.Sessions.GetInt64(r.Context(), sessEpoch) {
					err = authz.ErrNotFound // ended by a password change or reset elsewhere
				}
				if err == nil {
					actor = u.Actor()
					needsEnrol = au.Sessions.GetBool(r.Context(), sessNeedsEnrol)
				} else {
					au.Sessions.Destroy(r.Context())
				}
			}
		}
		ctx := WithActor(r.Context(), actor)
		if needsEnrol {
			ctx = context.WithValue(ctx, enrolKey, true)
		}
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

// uiRoute checks a page's action: anonymous callers are sent to sign in,
// staff who must enrol a second factor to enrolment, and refusals answer
// the browser's error pages.
func (au *Authenticator) uiRoute(act authz.Action, h http.HandlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		needsEnrol, _ := r.Context().Value(enrolKey).(bool)
		if needsEnrol && act != authz.Public && !strings.HasPrefix(r.URL.Path, au.EnrolPath) && r.URL.Path != "/logout" {
			http.Redirect(w, r, au.EnrolPath, http.StatusSeeOther)
			return
		}
		if err := authz.Check(ActorFrom(r.Context()), act, authz.Collection()); err != nil {
			switch {
			case errors.Is(err, authz.ErrUnauthenticated) && (r.Method == http.MethodGet || r.Method == http.MethodHead):
				http.Redirect(w, r, loginURL(r), http.StatusSeeOther)
			case errors.Is(err, authz.ErrUnauthenticated):
				ErrorPage(w, r, http.StatusUnauthorized)
			case errors.Is(err, authz.ErrForbidden):
				ErrorPage(w, r, http.StatusForbidden)
			default:
				ErrorPage(w, r, http.StatusNotFound)
			}
			return
		}
		h(w, r)
	})
}

// intakeRoute authenticates a shipper's request by its intake token.
func (au *Authenticator) intakeRoute(h http.HandlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if au == nil || au.Intake == nil {
			http.Error(w, "intake is not configured", http.StatusServiceUnavailable)
			return
		}
		agency, ok := au.Intake(w, r)
		if !ok {
			return
		}
		h(w, r.WithContext(context.WithValue(r.Context(), agencyKey, agency)))
	})
}

// SignIn marks the session as fully signed in as u (after the password and,
// when enrolled, the TOTP code). needsEnrol keeps the user on the TOTP
// enrolment page until they finish it.
func (au *Authenticator) SignIn(ctx context.Context, u accounts.User, needsEnrol bool) error {
	if err := au.Sessions.RenewToken(ctx); err != nil {
		return err
	}
	au.Sessions.Remove(ctx, sessPendingUser)
	au.Sessions.Put(ctx, sessUserID, u.ID)
	au.Sessions.Put(ctx, sessNeedsEnrol, needsEnrol)
	au.Sessions.Put(ctx, sessEpoch, u.SessionEpoch)
	return nil
}

// KeepSession keeps this session signed in after the account's other
// sessions were ended (u carries the new session epoch), with a new
// session token.
func (au *Authenticator) KeepSession(ctx context.Context, u accounts.User) error {
	if err := au.Sessions.RenewToken(ctx); err != nil {
		return err
	}
	au.Sessions.Put(ctx, sessEpoch, u.SessionEpoch)
	return nil
}

// SetPending records that u passed the password check and owes a TOTP code.
func (au *Authenticator) SetPending(ctx context.Context, u accounts.User) error {
	if err := au.Sessions.RenewToken(ctx); err != nil {
		return err
	}
	au.Sessions.Put(ctx, sessPendingUser, u.ID)
	au.Sessions.Put(ctx, sessEpoch, u.SessionEpoch)
	return nil
}

// Pending returns the user id awaiting a TOTP code, if any.
func (au *Authenticator) Pending(ctx context.Context) string {
	return au.Sessions.GetString(ctx, sessPendingUser)
}

// PendingUser returns the account awaiting a TOTP code, if any and if its
// sessions were not ended since the password was checked.
func (au *Authenticator) PendingUser(ctx context.Context) (accounts.User, bool) {
	uid := au.Pending(ctx)
	if uid == "" {
		return accounts.User{}, false
	}
	u, err := au.Accounts.ActiveUser(ctx, uid)
	if err != nil || u.SessionEpoch != au.Sessions.GetInt64(ctx, sessEpoch) {
		return accounts.User{}, false
	}
	return u, true
}

// EnrolDone lifts the enrolment requirement.
func (au *Authenticator) EnrolDone(ctx context.Context) { au.Sessions.Put(ctx, sessNeedsEnrol, false) }

// SignOut ends the session.
func (au *Authenticator) SignOut(ctx context.Context) error { return au.Sessions.Destroy(ctx) }
