// Package validate reports bad input field by field, so the API can answer
// 400 with what is wrong and the UI can show it beside the field.
package validate

import (
	"errors"
	"fmt"
	"net/mail"
	"slices"
	"strings"
	"unicode/utf8"
)

// FieldError is one problem with one field.
type FieldError struct {
	Field   string `json:"field"`
	Message string `json:"message"`
}

// Errors is a list of field problems; it is an error when not empty.
type Errors []FieldError

func (e Errors) Error() string {
	parts := make([]string, len(e))
	for i, f := range e {
		parts[i] = f.Field + ": " + f.Message
	}
	return strings.Join(parts, "; ")
}

// Add records a problem.
func (e *Errors) Add(field, format string, args ...any) {
	*e = append(*e, FieldError{Field: field, Message: fmt.Sprintf(format, args...)})
}

// Err returns e as an error, or nil when there is no problem.
func (e Errors) Err() error {
	if len(e) == 0 {
		return nil
	}
	return e
}

// As extracts Errors from err.
func As(err error) (Errors, bool) {
	var e Errors
	ok := errors.As(err, &e)
	return e, ok
}

// ErrConflict means the input clashes with an existing record (a duplicate
// code or name).
var ErrConflict = errors.New("conflict")

// Required checks s is not blank and at most max runes.
func (e *Errors) Required(field, s string, max int) {
	switch {
	case strings.TrimSpace(s) == "":
		e.Add(field, "is required")
	case utf8.RuneCountInString(s) > max:
		e.Add(field, "must be at most %d characters", max)
	case !utf8.ValidString(s):
		e.Add(field, "must be valid UTF-8")
	}
}

// MaxLen checks an optional s is at most max runes.
func (e *Errors) MaxLen(field, s string, max int) {
	if utf8.RuneCountInString(s) > max {
		e.Add(field, "must be at most %d characters", max)
	} else if !utf8.ValidString(s) {
		e.Add(field, "must be valid UTF-8")
	}
}

// OneOf checks s is one of the allowed values.
func (e *Errors) OneOf(field, s string, allowed []string) {
	if !slices.Contains(allowed, s) {
		e.Add(field, "must be one of %s", strings.Join(allowed, ", "))
	}
}

// Email checks s is a plain email address.
func (e *Errors) Email(field, s string) {
	a, err := mail.ParseAddress(s)
	if err != nil || a.Address != s || a.Name != "" {
		e.Add(field, "must be an email address")
	}
}

// Hostname checks s is a DNS name (letters, digits, hyphens, dots; each
// label 1–63 characters; 253 at most).
func Hostname(s string) bool {
	if s == "" || len(s) > 253 {
		return false
	}
	for _, label := range strings.Split(strings.TrimSuffix(s, "."), ".") {
		if label == "" || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return false
		}
		for _, c := range label {
			if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '*' && label == "*") {
				return false
			}
		}
	}
	return true
}
