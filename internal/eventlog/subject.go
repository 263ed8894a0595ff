package eventlog

import (
	"fmt"
	"strings"
)

// maxTokenLen bounds one subject token (an agency code, a stream word).
const maxTokenLen = 64

// isToken reports whether s is a safe subject token: 1..maxTokenLen ASCII
// letters, digits, '-' and (when underscore is true) '_'. This excludes the
// NATS separators and wildcards ('.', '*', '>') and whitespace.
func isToken(s string, underscore bool) bool {
	if s == "" || len(s) > maxTokenLen {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9', c == '-':
		case c == '_' && underscore:
		default:
			return false
		}
	}
	return true
}

// Prefix is the subject prefix of the log's stream, e.g. "kubu.events".
// The stream holds the subjects Prefix()+".>".
func (l *Log) Prefix() string { return l.prefix }

// Subject returns the subject for an agency's events, e.g.
// "kubu.events.MOH". The agency code must be a safe subject token
// (letters, digits, '-' and '_', at most 64 bytes).
func (l *Log) Subject(agency string) (string, error) {
	return subjectFor(l.prefix, agency)
}

// Agency returns the agency token of a subject under the log's prefix, and
// false when the subject is not one of the log's.
func (l *Log) Agency(subject string) (string, bool) {
	return agencyOf(l.prefix, subject)
}

func subjectFor(prefix, agency string) (string, error) {
	if !isToken(agency, true) {
		return "", fmt.Errorf("eventlog: agency %q is not a valid subject token", agency)
	}
	return prefix + "." + agency, nil
}

func agencyOf(prefix, subject string) (string, bool) {
	if err := checkSubject(prefix, subject); err != nil {
		return "", false
	}
	rest := subject[len(prefix)+1:]
	agency, _, _ := strings.Cut(rest, ".")
	return agency, true
}

// checkSubject accepts prefix.TOKEN[.TOKEN…] with every token safe.
func checkSubject(prefix, subject string) error {
	rest, ok := strings.CutPrefix(subject, prefix+".")
	if !ok {
		return fmt.Errorf("eventlog: subject %q is not under %q", subject, prefix+".>")
	}
	for tok := range strings.SplitSeq(rest, ".") {
		if !isToken(tok, true) {
			return fmt.Errorf("eventlog: subject %q has an invalid token %q", subject, tok)
		}
	}
	return nil
}
