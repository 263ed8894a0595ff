package accounts

import (
	"context"
	"database/sql"
	"errors"
	"strings"

	"github.com/kubu-gov/kubu/internal/audit"
	"github.com/kubu-gov/kubu/internal/authz"
	"github.com/kubu-gov/kubu/internal/id"
	"github.com/kubu-gov/kubu/internal/mail"
	"github.com/kubu-gov/kubu/internal/store"
	"github.com/kubu-gov/kubu/internal/validate"
)

// Self-registration and emailed links on request.
//
// Whatever the address, the caller gets the same answer after the same
// work: one transaction that records at most one link and one audit
// entry, then one message through the mail-or-log step. Only the mailbox
// learns whether an account exists. Nobody chooses a password by
// registering: it is chosen when the emailed link is opened, so whoever
// registers an address first cannot take the account of its owner.

// How a link was asked for (audited, and it chooses the message's words).
const (
	viaRegistration = "registration"
	viaRequest      = "request"
)

var errRegistered = errors.New("accounts: address registered meanwhile")

// RegisterResearcher starts a researcher account for email, named name,
// and emails the link that verifies the address and sets the password.
// profile runs in the transaction that creates the account (the community
// programmes add the researcher's profile; its error is returned as is).
// When the address already has an account, nothing is created: the
// mailbox is sent what it needs instead (a new verification link for a
// registration not yet finished, a password reset link otherwise).
func (s *Service) RegisterResearcher(ctx context.Context, email, name string, profile func(ctx context.Context, tx *sql.Tx, userID string) error) error {
	email = strings.ToLower(strings.TrimSpace(email))
	name = strings.TrimSpace(name)
	var v validate.Errors
	v.Email("email", email)
	v.MaxLen("email", email, 254)
	v.MaxLen("name", name, 200)
	if err := v.Err(); err != nil {
		return err
	}
	u, err := s.UserByEmail(ctx, email)
	if err == nil {
		return s.requestLink(ctx, email, &u, viaRegistration)
	}
	if !errors.Is(err, authz.ErrNotFound) {
		return err
	}
	uid := id.New()
	var link string
	err = s.db.Tx(ctx, func(tx *sql.Tx) error {
		now := s.now().UnixMilli()
		_, err := tx.ExecContext(ctx, `INSERT INTO users (id, email, name, role, created_at, updated_at) VALUES ($1,$2,$3,$4,$5,$5)`,
			uid, email, name, string(authz.Researcher), now)
		if store.IsUniqueViolation(err) {
			return errRegistered
		}
		if err != nil {
			return err
		}
		if profile != nil {
			if err := profile(ctx, tx, uid); err != nil {
				return err
			}
		}
		if link, err = s.issueLinkTx(ctx, tx, uid, PurposeVerify); err != nil {
			return err
		}
		_, err = s.audit.Append(ctx, tx, audit.Entry{Code: audit.UserLinkSent, Actor: anonymous, TargetType: "user", TargetID: uid,
			After: map[string]string{"purpose": PurposeVerify, "via": viaRegistration}})
		return err
	})
	if errors.Is(err, errRegistered) { // registered a moment ago by another request
		if u, err = s.UserByEmail(ctx, email); err != nil {
			return err
		}
		return s.requestLink(ctx, email, &u, viaRegistration)
	}
	if err != nil {
		return err
	}
	s.send(linkMessage(email, name, PurposeVerify, viaRegistration, link, s.link(LoginPath)))
	return nil
}

// RequestLink emails the address what it needs to get into its account:
// a password reset link, or a new verification link when a registration
// is not finished. An address without an account (or with a disabled one)
// is told so. The answer is the same in every case.
func (s *Service) RequestLink(ctx context.Context, email string) error {
	email = strings.ToLower(strings.TrimSpace(email))
	var v validate.Errors
	v.Email("email", email)
	v.MaxLen("email", email, 254)
	if err := v.Err(); err != nil {
		return err
	}
	u, err := s.UserByEmail(ctx, email)
	if errors.Is(err, authz.ErrNotFound) {
		return s.requestLink(ctx, email, nil, viaRequest)
	}
	if err != nil {
		return err
	}
	return s.requestLink(ctx, email, &u, viaRequest)
}

var anonymous = audit.Actor{ID: "anonymous", Label: "anonymous"}

func (s *Service) requestLink(ctx context.Context, email string, u *User, via string) error {
	purpose, link, name := "none", "", ""
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		target, agency := "unknown:"+accountKey(email)[:16], ""
		if u != nil {
			target, agency, name = u.ID, u.AgencyID, u.Name
			switch {
			case u.Disabled:
			case !s.passwordAllowed(*u):
				purpose = purposeSSO
			case u.Pending():
				purpose = PurposeVerify
			default:
				purpose = PurposeReset
			}
			if purpose != "none" && purpose != purposeSSO {
				var err error
				if link, err = s.issueLinkTx(ctx, tx, u.ID, purpose); err != nil {
					return err
				}
			}
		}
		_, err := s.audit.Append(ctx, tx, audit.Entry{Code: audit.UserLinkSent, Actor: anonymous, AgencyID: agency, TargetType: "user",
			TargetID: target, After: map[string]string{"purpose": purpose, "via": via}})
		return err
	})
	if err != nil {
		return err
	}
	m := linkMessage(email, name, purpose, via, link, s.link(LoginPath))
	if u == nil {
		m.Body += "\nTo register as a researcher, go to " + s.link("/researchers/register") + ".\n"
	}
	s.send(m)
	return nil
}

// linkMessage words the email for each case.
func linkMessage(email, name, purpose, via, link, login string) mail.Message {
	m := mail.Message{To: []string{email}, Link: link}
	switch {
	case purpose == PurposeVerify:
		m.Subject = "Verify your email address for kubu"
		greeting := "Welcome"
		if name != "" {
			greeting += ", " + name
		}
		m.Body = greeting + ".\n\nTo finish registering as a researcher, open this link within 48 hours and choose your password:\n\n" +
			link + "\n\nIf you did not register, ignore this message.\n"
	case purpose == PurposeReset && via == viaRegistration:
		m.Subject = "You already have a kubu account"
		m.Body = "Someone (perhaps you) tried to register a researcher account with this address, which already has an account.\n\n" +
			"Sign in at " + login + ". If you have forgotten your password, choose a new one within an hour at:\n\n" + link +
			"\n\nIf it was not you, ignore this message: nothing has changed.\n"
	case purpose == PurposeReset:
		m.Subject = "Choose a new kubu password"
		m.Body = "Someone (perhaps you) asked to reset the password of your kubu account. To choose a new one, open this link within an hour:\n\n" +
			link + "\n\nIf it was not you, ignore this message: your password has not changed.\n"
	case purpose == purposeSSO:
		m.Subject = "About your kubu account"
		m.Body = "Someone (perhaps you) asked kubu for a password link for this address. Staff accounts sign in with your " +
			"organisation's single sign-on, not a kubu password, so no link was made.\n\nSign in at " + login + " with single sign-on.\n"
	default:
		m.Subject = "About your kubu account"
		m.Body = "Someone (perhaps you) asked kubu for a sign-in link for this address, but it has no active account, so no link was made.\n" +
			"If your account was disabled, ask the people who run kubu for you.\n"
	}
	return m
}
