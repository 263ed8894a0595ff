// Package accounts holds people and their credentials: local accounts with
// argon2id passwords and TOTP, login rate limiting, sessions stored in
// kubu's database, and API tokens. Passwords, TOTP seeds, session tokens
// and API tokens never appear in plain text at rest: passwords and tokens
// are hashed, TOTP seeds encrypted.
package accounts

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/go-webauthn/webauthn/webauthn"

	"github.com/kubu-gov/kubu/internal/audit"
	"github.com/kubu-gov/kubu/internal/authz"
	"github.com/kubu-gov/kubu/internal/id"
	"github.com/kubu-gov/kubu/internal/keys"
	"github.com/kubu-gov/kubu/internal/mail"
	"github.com/kubu-gov/kubu/internal/registry"
	"github.com/kubu-gov/kubu/internal/store"
	"github.com/kubu-gov/kubu/internal/validate"
)

// User is an account.
type User struct {
	ID          string     `json:"id"`
	Email       string     `json:"email"`
	Name        string     `json:"name"`
	Role        authz.Role `json:"role"`
	AgencyID    string     `json:"agency_id,omitempty"`
	Agency      string     `json:"agency,omitempty"`
	TOTPEnabled bool       `json:"totp_enabled"`
	Disabled    bool       `json:"disabled"`
	CreatedAt   time.Time  `json:"created_at"`
	LastLoginAt *time.Time `json:"last_login_at,omitempty"`
	// EmailVerifiedAt is when the address was proven: by opening an
	// emailed link, or vouched for by the administrator who made the
	// account. A self-registered account has none until its link is used.
	EmailVerifiedAt *time.Time `json:"email_verified_at,omitempty"`
	// SessionEpoch counts the times the account's sessions were ended
	// (password changed or reset, second factor reset); a session made
	// under an older epoch no longer signs anyone in.
	SessionEpoch int64 `json:"-"`
}

// Pending reports whether u registered themselves and has not yet opened
// the emailed link (which proves the address and sets the password).
func (u User) Pending() bool { return u.EmailVerifiedAt == nil && !u.Disabled }

// Actor is the user as an authz actor.
func (u User) Actor() authz.Actor {
	return authz.Actor{UserID: u.ID, Email: u.Email, Role: u.Role, AgencyID: u.AgencyID}
}

// Service manages accounts.
type Service struct {
	db          *store.DB
	audit       *audit.Log
	registry    *registry.Registry
	totpSealer  *keys.Sealer
	requireTOTP bool
	mail        mail.Sender
	log         *slog.Logger
	publicURL   string
	onCreate    func(ctx context.Context, tx *sql.Tx, u User) error
	limits      Throttle
	now         func() time.Time
	// noStaffPasswords switches local passwords off for staff (they sign
	// in with single sign-on).
	noStaffPasswords bool
	// webauthn is the passkey relying party (nil: passkeys off, see
	// PasskeyRP).
	webauthn *webauthn.WebAuthn
}

// Options configure the service.
type Options struct {
	// RequireTOTP makes a second factor mandatory for staff roles.
	RequireTOTP bool
	// Mail sends verification, password reset and sign-in warning
	// messages; nil means mail is off (links are then logged, see
	// mail.Discard).
	Mail mail.Sender
	// Log records failures of background work; nil discards.
	Log *slog.Logger
	// PublicURL is the base of links in email ("https://kubu.example.gov").
	PublicURL string
	// Throttle sizes sign-in throttling; zero fields take the defaults.
	Throttle Throttle
	// NoStaffPasswords switches local passwords off for staff roles: they
	// sign in with single sign-on only; Login answers their right password
	// with ErrUseSSO, and no password link is sent to them.
	NoStaffPasswords bool
}

// New returns the accounts service.
func New(db *store.DB, log *audit.Log, reg *registry.Registry, ring *keys.Ring, o Options) *Service {
	s := &Service{db: db, audit: log, registry: reg, totpSealer: ring.Sealer("totp"), requireTOTP: o.RequireTOTP,
		mail: o.Mail, log: o.Log, publicURL: strings.TrimRight(o.PublicURL, "/"), limits: o.Throttle.withDefaults(), now: time.Now,
		noStaffPasswords: o.NoStaffPasswords, webauthn: newWebAuthn(o.PublicURL)}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.mail == nil {
		s.mail = mail.Discard{Log: s.log}
	}
	return s
}

// OnCreate sets a function run in the transaction that creates an account
// (by an administrator, the command line or self-registration), so another
// part of kubu can add what belongs with it: the community programmes add
// a researcher's profile.
func (s *Service) OnCreate(f func(ctx context.Context, tx *sql.Tx, u User) error) { s.onCreate = f }

// TOTPRequired reports whether u must use a second factor.
func (s *Service) TOTPRequired(u User) bool { return s.requireTOTP && u.Role.Staff() }

// NewUser is the input to CreateUser.
type NewUser struct {
	Email    string     `json:"email"`
	Name     string     `json:"name"`
	Role     authz.Role `json:"role"`
	Agency   string     `json:"agency"` // agency code, required for agency roles
	Password string     `json:"password"`
}

// CreateUser makes an account. A wog-admin may create any role; an agency
// admin only agency-admins and agency-members of their own agency.
func (s *Service) CreateUser(ctx context.Context, a authz.Actor, in NewUser) (User, error) {
	in.Email = strings.ToLower(strings.TrimSpace(in.Email))
	in.Name = strings.TrimSpace(in.Name)
	var v validate.Errors
	v.Email("email", in.Email)
	v.MaxLen("name", in.Name, 200)
	if !in.Role.Valid() {
		v.Add("role", "must be one of wog-admin, analyst, triager, agency-admin, agency-member, researcher")
	}
	if err := checkPasswordRule(in.Password); err != nil {
		v.Add("password", "%v", err)
	}
	u := User{ID: id.New(), Email: in.Email, Name: in.Name, Role: in.Role, CreatedAt: s.now().UTC().Truncate(time.Millisecond)}
	if in.Role.AgencyBound() {
		if in.Agency == "" {
			v.Add("agency", "is required for role %s", in.Role)
		} else if ag, err := s.registry.AgencyByCode(ctx, a, in.Agency); errors.Is(err, authz.ErrNotFound) {
			v.Add("agency", "no such agency")
		} else if err != nil {
			return User{}, err
		} else {
			u.AgencyID, u.Agency = ag.ID, ag.Code
		}
	} else if in.Agency != "" {
		v.Add("agency", "only agency-admin and agency-member belong to an agency")
	}
	if err := v.Err(); err != nil {
		return User{}, err
	}
	if err := authz.Check(a, authz.UserManage, authz.Record(u.AgencyID)); err != nil {
		return User{}, err
	}
	hash := HashPassword(in.Password)
	// The administrator who makes an account vouches for its address.
	verified := u.CreatedAt
	u.EmailVerifiedAt = &verified
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO users (id, email, name, role, agency_id, password_hash, email_verified_at, created_at, updated_at)
			VALUES ($1,$2,$3,$4,$5,$6,$7,$7,$7)`, u.ID, u.Email, u.Name, string(u.Role), nullable(u.AgencyID), hash, u.CreatedAt.UnixMilli())
		if store.IsUniqueViolation(err) {
			return fmt.Errorf("%w: an account with that email exists", validate.ErrConflict)
		}
		if err != nil {
			return err
		}
		if _, err = s.audit.Append(ctx, tx, audit.Entry{Code: audit.UserCreated, Actor: a.AuditActor(), AgencyID: u.AgencyID,
			TargetType: "user", TargetID: u.ID, After: u}); err != nil {
			return err
		}
		if s.onCreate != nil {
			return s.onCreate(ctx, tx, u)
		}
		return nil
	})
	if err != nil {
		return User{}, err
	}
	return u, nil
}

const userCols = `u.id, u.email, u.name, u.role, COALESCE(u.agency_id, ''), COALESCE(a.code, ''), u.totp_enabled, u.disabled, u.created_at, u.last_login_at,
	u.email_verified_at, u.session_epoch`
const userFrom = ` FROM users u LEFT JOIN agencies a ON a.id = u.agency_id`

func scanUser(sc store.Scanner, extra ...any) (User, error) {
	var u User
	var role string
	var created int64
	var last, verified sql.NullInt64
	dest := append([]any{&u.ID, &u.Email, &u.Name, &role, &u.AgencyID, &u.Agency, &u.TOTPEnabled, &u.Disabled, &created, &last,
		&verified, &u.SessionEpoch}, extra...)
	if err := sc.Scan(dest...); errors.Is(err, sql.ErrNoRows) {
		return User{}, authz.ErrNotFound
	} else if err != nil {
		return User{}, err
	}
	u.Role = authz.Role(role)
	u.CreatedAt = time.UnixMilli(created).UTC()
	u.LastLoginAt, u.EmailVerifiedAt = msPtr(last), msPtr(verified)
	return u, nil
}

// User returns an account the caller may see (everyone may see their own).
func (s *Service) User(ctx context.Context, a authz.Actor, userID string) (User, error) {
	if userID != a.UserID {
		if err := authz.Check(a, authz.UserRead, authz.Collection()); err != nil { // no grant: refused before any lookup
			return User{}, err
		}
	}
	u, err := scanUser(s.db.R().QueryRowContext(ctx, `SELECT `+userCols+userFrom+` WHERE u.id = $1`, userID))
	if err != nil {
		return User{}, err
	}
	if u.ID == a.UserID {
		return u, nil
	}
	if err := authz.Check(a, authz.UserRead, authz.Record(u.AgencyID)); err != nil {
		return User{}, err
	}
	return u, nil
}

// UserByEmail finds an account by email for a trusted local caller (the
// command line); it does no access check.
func (s *Service) UserByEmail(ctx context.Context, email string) (User, error) {
	return scanUser(s.db.R().QueryRowContext(ctx, `SELECT `+userCols+userFrom+` WHERE u.email = $1`, strings.ToLower(strings.TrimSpace(email))))
}

// ListUsers lists the accounts the caller may see, by email.
func (s *Service) ListUsers(ctx context.Context, a authz.Actor, agencyID string, limit int, cursor string) (store.Page[User], error) {
	sc, err := authz.ScopeFor(a, authz.UserRead)
	if err != nil {
		return store.Page[User]{Items: []User{}}, err
	}
	var wh store.Where
	sc.Where(&wh, "u.agency_id", "")
	if agencyID != "" {
		wh.And("u.agency_id = " + wh.Arg(agencyID))
	}
	return store.List(ctx, s.db.R(), store.ListQuery[User]{
		SQL: `SELECT ` + userCols + userFrom, Where: &wh, Keyset: store.Keyset{Keys: []string{"u.email"}}, Cursor: cursor, Limit: limit,
		Scan: func(sc store.Scanner) (User, error) { return scanUser(sc) },
		Key:  func(u User) []any { return []any{u.Email} },
	})
}

// SetDisabled disables or re-enables an account; its sessions and
// tokens stop working at once.
func (s *Service) SetDisabled(ctx context.Context, a authz.Actor, userID string, disabled bool) error {
	if err := authz.Check(a, authz.UserManage, authz.Collection()); err != nil { // no grant: refused before any lookup
		return err
	}
	before, err := s.User(ctx, a, userID)
	if err != nil {
		return err
	}
	if err := authz.Check(a, authz.UserManage, authz.Record(before.AgencyID)); err != nil {
		return err
	}
	if before.ID == a.UserID {
		return validate.Errors{{Field: "disabled", Message: "you cannot disable your own account"}}
	}
	after := before
	after.Disabled = disabled
	return s.db.Tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `UPDATE users SET disabled = $1, updated_at = $2 WHERE id = $3`, disabled, s.now().UnixMilli(), userID); err != nil {
			return err
		}
		// Sessions and tokens of a disabled account stop working at once:
		// both are checked against the account on every request.
		code := audit.UserUpdated
		if disabled {
			code = audit.UserDisabled
		}
		_, err := s.audit.Append(ctx, tx, audit.Entry{Code: code, Actor: a.AuditActor(), AgencyID: after.AgencyID,
			TargetType: "user", TargetID: userID, Before: before, After: after})
		return err
	})
}

func nullable(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// msPtr turns a nullable Unix-millisecond column into a time.
func msPtr(n sql.NullInt64) *time.Time {
	if !n.Valid {
		return nil
	}
	t := time.UnixMilli(n.Int64).UTC()
	return &t
}
