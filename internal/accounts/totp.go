package accounts

import (
	"bytes"
	"context"
	"database/sql"
	"image/png"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"

	"github.com/kubu-gov/kubu/internal/audit"
	"github.com/kubu-gov/kubu/internal/authz"
	"github.com/kubu-gov/kubu/internal/validate"
)

// Enrolment is a TOTP secret being set up.
type Enrolment struct {
	Secret string // base32, for typing into an authenticator app
	URL    string // otpauth:// URL, for the QR code
}

// QRCode renders the enrolment URL as a PNG.
func (e Enrolment) QRCode() ([]byte, error) {
	k, err := otp.NewKeyFromURL(e.URL)
	if err != nil {
		return nil, err
	}
	img, err := k.Image(240, 240)
	if err != nil {
		return nil, err
	}
	var b bytes.Buffer
	err = png.Encode(&b, img)
	return b.Bytes(), err
}

// BeginTOTP makes a new secret for the caller and keeps it (encrypted) until
// they confirm it with a code. A user who already has TOTP must have it
// reset by an administrator first.
func (s *Service) BeginTOTP(ctx context.Context, a authz.Actor) (Enrolment, error) {
	u, err := s.ActiveUser(ctx, a.UserID)
	if err != nil {
		return Enrolment{}, err
	}
	if u.TOTPEnabled {
		return Enrolment{}, validate.Errors{{Field: "totp", Message: "two-factor sign-in is already set up"}}
	}
	key, err := totp.Generate(totp.GenerateOpts{Issuer: "kubu", AccountName: u.Email})
	if err != nil {
		return Enrolment{}, err
	}
	sealed := s.totpSealer.SealString(key.Secret(), u.ID)
	err = s.db.Tx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `UPDATE users SET totp_secret = $1 WHERE id = $2 AND totp_enabled = $3`, sealed, u.ID, false)
		return err
	})
	if err != nil {
		return Enrolment{}, err
	}
	return Enrolment{Secret: key.Secret(), URL: key.URL()}, nil
}

// PendingTOTP returns the enrolment begun by BeginTOTP and not yet
// confirmed.
func (s *Service) PendingTOTP(ctx context.Context, a authz.Actor) (Enrolment, bool, error) {
	var sealed, email string
	var enabled bool
	err := s.db.R().QueryRowContext(ctx, `SELECT totp_secret, totp_enabled, email FROM users WHERE id = $1`, a.UserID).Scan(&sealed, &enabled, &email)
	if err != nil || enabled || sealed == "" {
		return Enrolment{}, false, err
	}
	secret, err := s.totpSealer.OpenString(sealed, a.UserID)
	if err != nil {
		return Enrolment{}, false, err
	}
	key, err := otp.NewKeyFromURL("otpauth://totp/kubu:" + email + "?secret=" + secret + "&issuer=kubu")
	if err != nil {
		return Enrolment{}, false, err
	}
	return Enrolment{Secret: secret, URL: key.URL()}, true, nil
}

// ConfirmTOTP turns on the pending secret when code is right.
func (s *Service) ConfirmTOTP(ctx context.Context, a authz.Actor, code string) error {
	return s.db.Tx(ctx, func(tx *sql.Tx) error {
		var sealed string
		var enabled bool
		var last int64
		if err := tx.QueryRowContext(ctx, `SELECT totp_secret, totp_enabled, totp_last_step FROM users WHERE id = $1`+s.db.Dialect.ForUpdate, a.UserID).Scan(&sealed, &enabled, &last); err != nil {
			return authz.ErrNotFound
		}
		if enabled || sealed == "" {
			return validate.Errors{{Field: "totp", Message: "no enrolment is in progress"}}
		}
		step, ok := s.checkCode(sealed, a.UserID, code, last)
		if !ok {
			return ErrBadCode
		}
		if _, err := tx.ExecContext(ctx, `UPDATE users SET totp_enabled = $1, totp_last_step = $2, updated_at = $3 WHERE id = $4`,
			true, step, s.now().UnixMilli(), a.UserID); err != nil {
			return err
		}
		_, err := s.audit.Append(ctx, tx, audit.Entry{Code: audit.UserTOTPEnrolled, Actor: a.AuditActor(), AgencyID: a.AgencyID,
			TargetType: "user", TargetID: a.UserID})
		return err
	})
}

// CheckTOTP checks a sign-in code for u from client. Each code works
// once; wrong codes count towards the sign-in throttle like wrong
// passwords.
func (s *Service) CheckTOTP(ctx context.Context, u User, code, client string) error {
	attempt, locked, err := s.reserve(ctx, u.Email, client)
	if err != nil {
		return err
	}
	if locked {
		s.refuseLocked(ctx, u.Email, client, u)
		return ErrLocked
	}
	ok := false
	err = s.db.Tx(ctx, func(tx *sql.Tx) error {
		var sealed string
		var enabled bool
		var last int64
		if err := tx.QueryRowContext(ctx, `SELECT totp_secret, totp_enabled, totp_last_step FROM users WHERE id = $1`+s.db.Dialect.ForUpdate, u.ID).Scan(&sealed, &enabled, &last); err != nil {
			return err
		}
		if !enabled {
			return nil
		}
		var step int64
		if step, ok = s.checkCode(sealed, u.ID, code, last); ok {
			_, err := tx.ExecContext(ctx, `UPDATE users SET totp_last_step = $1 WHERE id = $2`, step, u.ID)
			return err
		}
		return nil
	})
	if err != nil {
		return err
	}
	if !ok {
		s.recordFailure(ctx, u.Email, client, u)
		return ErrBadCode
	}
	return s.release(ctx, attempt)
}

// checkCode validates code against the sealed secret, allowing one step of
// clock skew either way and refusing steps at or before last (replay).
func (s *Service) checkCode(sealed, userID, code string, last int64) (int64, bool) {
	secret, err := s.totpSealer.OpenString(sealed, userID)
	if err != nil || len(code) != 6 {
		return 0, false
	}
	now := s.now()
	for _, skew := range []int64{0, -1, 1} {
		t := now.Add(time.Duration(skew) * 30 * time.Second)
		step := t.Unix() / 30
		if step <= last {
			continue
		}
		want, err := totp.GenerateCodeCustom(secret, t, totp.ValidateOpts{Period: 30, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
		if err == nil && want == code {
			return step, true
		}
	}
	return 0, false
}

// ResetTOTP removes a user's second factor so they can enrol again (an
// administrator's action, e.g. for a lost phone). Every session of that
// user ends (the caller's own too, when they reset their own), and with
// revokeTokens so do all their API tokens.
func (s *Service) ResetTOTP(ctx context.Context, a authz.Actor, userID string, revokeTokens bool) error {
	if err := authz.Check(a, authz.UserManage, authz.Collection()); err != nil { // no grant: refused before any lookup
		return err
	}
	u, err := s.User(ctx, a, userID)
	if err != nil {
		return err
	}
	if err := authz.Check(a, authz.UserManage, authz.Record(u.AgencyID)); err != nil {
		return err
	}
	return s.db.Tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `UPDATE users SET totp_enabled = $1, totp_secret = '', totp_last_step = 0, updated_at = $2 WHERE id = $3`,
			false, s.now().UnixMilli(), userID); err != nil {
			return err
		}
		if _, err := s.audit.Append(ctx, tx, audit.Entry{Code: audit.UserTOTPReset, Actor: a.AuditActor(), AgencyID: u.AgencyID,
			TargetType: "user", TargetID: userID, After: map[string]bool{"revoke_tokens": revokeTokens}}); err != nil {
			return err
		}
		return s.endSessionsTx(ctx, tx, a.AuditActor(), u, "second factor reset", revokeTokens)
	})
}

// TOTPCode computes the code of a secret at t (for tests and scripted
// sign-ins, e.g. the browser tests).
func TOTPCode(secret string, t time.Time) string {
	c, _ := totp.GenerateCode(secret, t)
	return c
}
