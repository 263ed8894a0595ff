package ui

import (
	"fmt"
	"net/mail"
	"strings"

	"github.com/kubu-gov/kubu/internal/registry"
)

// maxContactLines bounds the work of parsing the owner contacts box; the
// registry allows far fewer contacts than this anyway.
const maxContactLines = 100

// parseContacts reads the owner contacts box: one contact a line, written
// "Name <email> role" (name and role optional), or "Name email role"
// without the angle brackets. Blank lines are skipped. It returns the
// contacts and one message per line it could not read.
func parseContacts(text string) ([]registry.Contact, []string) {
	var out []registry.Contact
	var problems []string
	lines := strings.Split(text, "\n")
	if len(lines) > maxContactLines {
		return nil, []string{fmt.Sprintf("at most %d lines", maxContactLines)}
	}
	for i, line := range lines {
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		c, err := parseContact(line)
		if err != "" {
			problems = append(problems, fmt.Sprintf("line %d %s", i+1, err))
			continue
		}
		out = append(out, c)
	}
	return out, problems
}

// parseContact reads one trimmed, non-empty line, or says what is wrong.
func parseContact(line string) (registry.Contact, string) {
	var c registry.Contact
	if open := strings.IndexByte(line, '<'); open >= 0 {
		end := strings.IndexByte(line[open:], '>')
		if end < 0 {
			return c, "has a < without a closing >"
		}
		end += open
		c.Name = strings.TrimSpace(line[:open])
		c.Email = strings.TrimSpace(line[open+1 : end])
		c.Role = strings.TrimSpace(line[end+1:])
	} else {
		words := strings.Fields(line)
		at := -1
		for i, w := range words {
			if strings.Contains(w, "@") {
				at = i
				break
			}
		}
		if at < 0 {
			return c, "has no email address (write Name <email> role)"
		}
		c.Name = strings.Join(words[:at], " ")
		c.Email = words[at]
		c.Role = strings.Join(words[at+1:], " ")
	}
	if strings.ContainsAny(c.Name+c.Role, "<>") {
		return registry.Contact{}, "has more than one < or >; names and roles cannot contain them"
	}
	if a, err := mail.ParseAddress(c.Email); err != nil || a.Address != c.Email || a.Name != "" || strings.ContainsAny(c.Email, "<> \t") {
		return registry.Contact{}, fmt.Sprintf("has %q, which is not an email address", c.Email)
	}
	return c, ""
}

// formatContact writes a contact as parseContact reads it.
func formatContact(c registry.Contact) string {
	s := "<" + c.Email + ">"
	if c.Name != "" {
		s = c.Name + " " + s
	}
	if c.Role != "" {
		s += " " + c.Role
	}
	return s
}

// parseLines splits a box of one value a line, dropping blank lines.
func parseLines(text string) []string {
	var out []string
	for _, l := range strings.Split(text, "\n") {
		if l = strings.TrimSpace(l); l != "" {
			out = append(out, l)
		}
	}
	return out
}
