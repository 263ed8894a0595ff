// Package attack turns the ATT&CK tags of Sigma rules ("attack.t1059.001",
// "attack.execution") into names and links to attack.mitre.org. The names
// are a small embedded table; the package has no other dependency.
package attack

import (
	"regexp"
	"strings"
)

// Ref is one ATT&CK technique, sub-technique or tactic.
type Ref struct {
	ID   string // T1059.001, TA0002
	Name string // "" for a technique the table does not name
	URL  string // its page on attack.mitre.org
}

// Label is "ID Name", or the id alone when the name is unknown.
func (r Ref) Label() string {
	if r.Name == "" {
		return r.ID
	}
	return r.ID + " " + r.Name
}

var techniqueID = regexp.MustCompile(`^t(\d{4})(?:\.(\d{3}))?$`)

// Lookup reads one tag, with or without its "attack." prefix, in any case.
// ok is false for a tag that is not an ATT&CK technique or tactic (group
// ids such as attack.g0016 and software ids are not linked).
func Lookup(tag string) (Ref, bool) {
	t := strings.ToLower(strings.TrimSpace(tag))
	t = strings.TrimPrefix(t, "attack.")
	if m := techniqueID.FindStringSubmatch(t); m != nil {
		id, url := "T"+m[1], "https://attack.mitre.org/techniques/T"+m[1]+"/"
		if m[2] != "" {
			id += "." + m[2]
			url += m[2] + "/"
		}
		return Ref{ID: id, Name: techniques[id], URL: url}, true
	}
	if ta, ok := tactics[strings.ReplaceAll(t, "-", "_")]; ok {
		return Ref{ID: ta.id, Name: ta.name, URL: "https://attack.mitre.org/tactics/" + ta.id + "/"}, true
	}
	return Ref{}, false
}

// Refs reads every ATT&CK tag of tags, in order, without repeats.
func Refs(tags []string) []Ref {
	var out []Ref
	seen := map[string]bool{}
	for _, tag := range tags {
		if r, ok := Lookup(tag); ok && !seen[r.ID] {
			seen[r.ID] = true
			out = append(out, r)
		}
	}
	return out
}
