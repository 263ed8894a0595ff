package disclosure

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/kubu-gov/kubu/internal/accounts"
	"github.com/kubu-gov/kubu/internal/audit"
	"github.com/kubu-gov/kubu/internal/authz"
	"github.com/kubu-gov/kubu/internal/mail"
	"github.com/kubu-gov/kubu/internal/validate"
)

// Researcher is a registered researcher's public profile and standing.
type Researcher struct {
	UserID      string     `json:"user_id"`
	Handle      string     `json:"handle"`
	Bio         string     `json:"bio"`
	Website     string     `json:"website"`
	Verified    bool       `json:"verified"`
	TOTPEnabled bool       `json:"totp_enabled"`
	Reputation  int        `json:"reputation"`
	CreatedAt   time.Time  `json:"created_at"`
	VerifiedAt  *time.Time `json:"verified_at,omitempty"`
}

// Registration is a self-registration: an address and a handle. The
// password is chosen when the emailed link is opened (accounts.UseLink).
type Registration struct {
	Email  string `json:"email"`
	Handle string `json:"handle"`
}

var handleRe = regexp.MustCompile(`^[a-zA-Z0-9][a-zA-Z0-9_-]{2,31}$`)

// VerifyTTL is how long an email verification link works.
const VerifyTTL = accounts.VerifyLinkTTL

// Register starts a researcher account and its profile; the account is
// usable once the link emailed to the address is opened and a password
// chosen there. When the address already has an account, that address is
// sent what it needs instead; the answer to the caller, and the work done
// for it, are the same either way (see accounts.RegisterResearcher), so
// registration can be used neither to find accounts nor to take them.
func (s *Service) Register(ctx context.Context, in Registration) error {
	if s.accounts == nil {
		return errors.New("disclosure: registration needs Options.Accounts")
	}
	in.Email = strings.ToLower(strings.TrimSpace(in.Email))
	in.Handle = strings.TrimSpace(in.Handle)
	var v validate.Errors
	v.Email("email", in.Email)
	v.MaxLen("email", in.Email, 254)
	if !handleRe.MatchString(in.Handle) {
		v.Add("handle", "must be 3–32 letters, digits, hyphens or underscores")
	}
	if err := v.Err(); err != nil {
		return err
	}
	var taken int
	if err := s.db.R().QueryRowContext(ctx, `SELECT COUNT(*) FROM researchers WHERE LOWER(handle) = $1`, strings.ToLower(in.Handle)).Scan(&taken); err != nil {
		return err
	}
	if taken > 0 {
		return fmt.Errorf("%w: the handle %q is taken", validate.ErrConflict, in.Handle)
	}
	return s.accounts.RegisterResearcher(ctx, in.Email, in.Handle, func(ctx context.Context, tx *sql.Tx, uid string) error {
		return s.insertProfileTx(ctx, tx, uid, in.Email, in.Handle, audit.Actor{ID: uid, Label: in.Email})
	})
}

// insertProfileTx adds a researcher's profile with its audit entry.
func (s *Service) insertProfileTx(ctx context.Context, tx *sql.Tx, uid, email, handle string, actor audit.Actor) error {
	now := s.stamp()
	_, err := tx.ExecContext(ctx, `INSERT INTO researchers (user_id, handle, created_at) VALUES ($1,$2,$3)`, uid, handle, now.UnixMilli())
	if isUnique(err) {
		return fmt.Errorf("%w: the handle %q is taken", validate.ErrConflict, handle)
	}
	if err != nil {
		return err
	}
	_, err = s.audit.Append(ctx, tx, audit.Entry{Code: ResearcherRegistered, Actor: actor,
		TargetType: "user", TargetID: uid, After: map[string]any{"handle": handle, "role": authz.Researcher}})
	return err
}

// ProfileForNewAccount gives every researcher account made by an
// administrator or the command line a profile, in the transaction that
// makes the account (see accounts.Service.OnCreate). Its handle is the
// account's name when that is a free, valid handle, else one made from
// the email address.
func (s *Service) ProfileForNewAccount(ctx context.Context, tx *sql.Tx, u accounts.User) error {
	if u.Role != authz.Researcher {
		return nil
	}
	base := u.Name
	if !handleRe.MatchString(base) {
		base = strings.Map(func(r rune) rune {
			switch {
			case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '-', r == '_':
				return r
			}
			return -1
		}, u.Email[:strings.IndexByte(u.Email+"@", '@')])
		for len(base) < 3 {
			base += "0"
		}
		if len(base) > 24 {
			base = base[:24]
		}
		if !handleRe.MatchString(base) {
			base = "r" + base[1:]
		}
	}
	for n := 1; n < 1000; n++ {
		handle := base
		if n > 1 {
			handle = fmt.Sprintf("%s-%d", base[:min(len(base), 26)], n)
		}
		var taken int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM researchers WHERE LOWER(handle) = $1`, strings.ToLower(handle)).Scan(&taken); err != nil {
			return err
		}
		if taken == 0 {
			return s.insertProfileTx(ctx, tx, u.ID, u.Email, handle, audit.Actor{ID: "kubu", Label: "account created by an administrator"})
		}
	}
	return fmt.Errorf("%w: no free handle for %s", validate.ErrConflict, u.Email)
}

// ErrBadVerification means a verification link is unknown, used or expired.
var ErrBadVerification = accounts.ErrBadLink

// Verify uses a verification link: it proves the address and sets the
// account's password, then returns the researcher's profile.
func (s *Service) Verify(ctx context.Context, token, password string) (Researcher, error) {
	if s.accounts == nil {
		return Researcher{}, errors.New("disclosure: verification needs Options.Accounts")
	}
	u, err := s.accounts.UseLink(ctx, accounts.LinkUse{Purpose: accounts.PurposeVerify, Token: token, Password: password})
	if err != nil {
		return Researcher{}, err
	}
	return s.researcher(ctx, u.ID)
}

func (s *Service) verified(ctx context.Context, userID string) (bool, error) {
	var at sql.NullInt64
	err := s.db.R().QueryRowContext(ctx, `SELECT email_verified_at FROM users WHERE id = $1`, userID).Scan(&at)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	return at.Valid, err
}

// reputationSQL scores a researcher's reports: valid reports earn points by
// severity; not-applicable costs 5 and spam 20.
const reputationSQL = `COALESCE(SUM(CASE
	WHEN r.status IN ('accepted','resolved','retest','closed') THEN
		CASE r.severity WHEN 'critical' THEN 50 WHEN 'high' THEN 25 WHEN 'medium' THEN 10 WHEN 'low' THEN 5 ELSE 2 END
	WHEN r.status = 'not-applicable' THEN -5
	WHEN r.status = 'spam' THEN -20
	ELSE 0 END), 0)`

func (s *Service) researcher(ctx context.Context, uid string) (Researcher, error) {
	var rs Researcher
	var created int64
	var verified sql.NullInt64
	err := s.db.R().QueryRowContext(ctx, `SELECT x.user_id, x.handle, x.bio, x.website, u.email_verified_at, x.created_at, u.totp_enabled,
		(SELECT `+reputationSQL+` FROM reports r WHERE r.researcher_id = x.user_id)
		FROM researchers x JOIN users u ON u.id = x.user_id WHERE x.user_id = $1`, uid).
		Scan(&rs.UserID, &rs.Handle, &rs.Bio, &rs.Website, &verified, &created, &rs.TOTPEnabled, &rs.Reputation)
	if errors.Is(err, sql.ErrNoRows) {
		return Researcher{}, authz.ErrNotFound
	}
	if err != nil {
		return Researcher{}, err
	}
	rs.CreatedAt, rs.VerifiedAt, rs.Verified = time.UnixMilli(created).UTC(), timePtr(verified), verified.Valid
	return rs, nil
}

// Profile returns the caller's researcher profile.
func (s *Service) Profile(ctx context.Context, a authz.Actor) (Researcher, error) {
	if err := authz.Check(a, authz.ResearcherSelf, authz.OwnedBy(a.UserID)); err != nil {
		return Researcher{}, err
	}
	return s.researcher(ctx, a.UserID)
}

// ProfileUpdate changes the caller's profile; nil leaves a field alone.
type ProfileUpdate struct {
	Handle  *string `json:"handle"`
	Bio     *string `json:"bio"`
	Website *string `json:"website"`
}

// UpdateProfile changes the caller's handle, bio or website.
func (s *Service) UpdateProfile(ctx context.Context, a authz.Actor, u ProfileUpdate) (Researcher, error) {
	before, err := s.Profile(ctx, a)
	if err != nil {
		return Researcher{}, err
	}
	after := before
	var v validate.Errors
	if u.Handle != nil {
		after.Handle = strings.TrimSpace(*u.Handle)
		if !handleRe.MatchString(after.Handle) {
			v.Add("handle", "must be 3–32 letters, digits, hyphens or underscores")
		}
	}
	if u.Bio != nil {
		after.Bio = *u.Bio
		v.MaxLen("bio", after.Bio, 2000)
	}
	if u.Website != nil {
		after.Website = strings.TrimSpace(*u.Website)
		v.MaxLen("website", after.Website, 300)
		if after.Website != "" && !strings.HasPrefix(after.Website, "https://") && !strings.HasPrefix(after.Website, "http://") {
			v.Add("website", "must be an http(s) address")
		}
	}
	if err := v.Err(); err != nil {
		return Researcher{}, err
	}
	err = s.db.Tx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `UPDATE researchers SET handle = $1, bio = $2, website = $3 WHERE user_id = $4`,
			after.Handle, after.Bio, after.Website, a.UserID)
		if isUnique(err) {
			return fmt.Errorf("%w: the handle %q is taken", validate.ErrConflict, after.Handle)
		}
		if err != nil {
			return err
		}
		_, err = s.audit.Append(ctx, tx, audit.Entry{Code: ResearcherUpdated, Actor: a.AuditActor(), TargetType: "user", TargetID: a.UserID,
			Before: map[string]any{"handle": before.Handle, "website": before.Website}, After: map[string]any{"handle": after.Handle, "website": after.Website}})
		return err
	})
	if err != nil {
		return Researcher{}, err
	}
	return s.researcher(ctx, a.UserID)
}

// Invite lets a researcher (by handle) into an invite-only programme and
// tells them.
func (s *Service) Invite(ctx context.Context, a authz.Actor, programmeID, handle string) error {
	if err := authz.Check(a, authz.ProgrammeInvite, authz.Record()); err != nil {
		return err
	}
	p, err := s.Programme(ctx, a, programmeID)
	if err != nil {
		return err
	}
	var uid, email string
	err = s.db.R().QueryRowContext(ctx, `SELECT x.user_id, u.email FROM researchers x JOIN users u ON u.id = x.user_id
		WHERE LOWER(x.handle) = $1 AND u.email_verified_at IS NOT NULL`, strings.ToLower(strings.TrimSpace(handle))).Scan(&uid, &email)
	if errors.Is(err, sql.ErrNoRows) {
		return validate.Errors{{Field: "handle", Message: "no verified researcher has that handle"}}
	}
	if err != nil {
		return err
	}
	err = s.db.Tx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO programme_invitations (programme_id, user_id, invited_by, created_at) VALUES ($1,$2,$3,$4)
			ON CONFLICT (programme_id, user_id) DO NOTHING`, p.ID, uid, a.UserID, s.stamp().UnixMilli())
		if err != nil {
			return err
		}
		_, err = s.audit.Append(ctx, tx, audit.Entry{Code: ProgrammeInvited, Actor: a.AuditActor(), TargetType: "programme",
			TargetID: p.ID, After: map[string]any{"researcher_id": uid}})
		return err
	})
	if err != nil {
		return err
	}
	s.notify(ctx, []string{uid}, "", "You are invited to "+p.Name+".")
	s.sendMail(mail.Message{To: []string{email}, Subject: "Invitation: " + p.Name,
		Body: "You are invited to take part in " + p.Name + ".\nSee its scope and rules at " + s.link("/programmes/"+p.ID) + "\n"})
	return nil
}

// LeaderEntry is one row of a programme's leaderboard.
type LeaderEntry struct {
	Rank       int    `json:"rank"`
	Handle     string `json:"handle"`
	Reputation int    `json:"reputation"`
	Valid      int    `json:"valid_reports"`
}

// Leaderboard ranks a programme's researchers by the reputation their
// reports in it earned (top 100). Anonymous reports do not appear.
func (s *Service) Leaderboard(ctx context.Context, a authz.Actor, programmeID string) ([]LeaderEntry, error) {
	p, err := s.Programme(ctx, a, programmeID)
	if err != nil {
		return nil, err
	}
	rows, err := s.db.R().QueryContext(ctx, `SELECT x.handle, `+reputationSQL+`,
		SUM(CASE WHEN r.status IN ('accepted','resolved','retest','closed') THEN 1 ELSE 0 END)
		FROM reports r JOIN researchers x ON x.user_id = r.researcher_id
		WHERE r.programme_id = $1 GROUP BY x.handle ORDER BY 2 DESC, 3 DESC, x.handle LIMIT 100`, p.ID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []LeaderEntry{}
	for rows.Next() {
		var e LeaderEntry
		if err := rows.Scan(&e.Handle, &e.Reputation, &e.Valid); err != nil {
			return nil, err
		}
		e.Rank = len(out) + 1
		out = append(out, e)
	}
	return out, rows.Err()
}
