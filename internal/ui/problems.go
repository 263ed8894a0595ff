package ui

import (
	"errors"
	"strings"

	"github.com/kubu-gov/kubu/internal/validate"
)

// problem is one thing wrong with a form, shown in the error summary (as
// a link to the input) and beside the input.
type problem struct {
	Anchor  string // the id of the input
	Label   string // the input's label
	Message string // what is wrong, e.g. "is required"
}

// Text is the problem as a sentence for the error summary.
func (p problem) Text() string {
	m := p.Message
	for _, verb := range []string{"is ", "must ", "are ", "cannot ", "at most ", "has "} {
		if strings.HasPrefix(m, verb) {
			return p.Label + " " + m
		}
	}
	return p.Label + ": " + m
}

// fieldLabels names the inputs behind the field names the domain
// services report.
var fieldLabels = map[string]string{
	"agency": "Agency", "code": "Code", "name": "Name", "description": "Description",
	"hostnames": "Hostnames", "asset_type": "Asset type", "criticality": "Criticality",
	"internet_facing": "Internet-facing", "owner_contacts": "Owner contacts",
	"data_classification": "Data classification",
	"critical_days":       "Critical", "high_days": "High", "medium_days": "Medium", "low_days": "Low", "info_days": "Informational",
	"system_id": "System", "source": "Source", "source_ref": "Source reference", "title": "Title",
	"severity": "Severity", "cvss_vector": "CVSS vector", "cvss_score": "CVSS score", "cwe": "CWE",
	"status": "Status", "duplicate_of": "Duplicate of", "reason": "Reason", "expires_at": "Expiry date",
	"body": "Comment", "risk_acceptance": "Risk acceptance", "note": "Note",
	"email": "Email address", "role": "Role", "password": "Password", "disabled": "Account",
	"current_password": "Current password", "new_password": "New password", "confirm_password": "Confirm new password",
	"ttl": "Expires in", "totp": "Two-factor sign-in",
}

// fieldAnchor turns a reported field name such as owner_contacts[2].email
// into the name of its input (owner_contacts).
func fieldAnchor(field string) string {
	if i := strings.IndexAny(field, "[."); i > 0 {
		return field[:i]
	}
	return field
}

func fieldLabel(field string) string {
	if l, ok := fieldLabels[field]; ok {
		return l
	}
	return capitalise(strings.ReplaceAll(field, "_", " "))
}

// problemsOf turns a domain error about the input into problems; ok is
// false for any other error.
func problemsOf(err error, prefix, conflictField string) ([]problem, bool) {
	if v, ok := validate.As(err); ok {
		out := make([]problem, 0, len(v))
		for _, fe := range v {
			f := fieldAnchor(fe.Field)
			out = append(out, problem{Anchor: prefix + f, Label: fieldLabel(f), Message: fe.Message})
		}
		return out, true
	}
	if errors.Is(err, validate.ErrConflict) {
		msg := strings.TrimPrefix(err.Error(), validate.ErrConflict.Error()+": ")
		return []problem{{Anchor: prefix + conflictField, Label: fieldLabel(conflictField), Message: msg}}, true
	}
	return nil, false
}

// check collects problems found in the UI itself (before a domain call),
// such as a number that does not parse.
type check struct {
	prefix string
	list   []problem
}

func (c *check) add(field, msg string) {
	c.list = append(c.list, problem{Anchor: c.prefix + field, Label: fieldLabel(field), Message: msg})
}

func (c *check) ok() bool { return len(c.list) == 0 }
