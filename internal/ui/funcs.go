package ui

import (
	"fmt"
	"html/template"
	"net/url"
	"strings"
	"time"

	"github.com/kubu-gov/kubu/internal/incident"
	"github.com/kubu-gov/kubu/internal/registry"
)

// funcs are the helpers templates may call.
func (u *ui) funcs() template.FuncMap {
	return template.FuncMap{
		"markdown": u.md.HTML,
		"date":     formatDate,
		"datetime": func(t time.Time) string { return t.UTC().Format("2 Jan 2006 15:04 UTC") },
		"iso":      func(t time.Time) string { return t.UTC().Format(time.RFC3339) },
		"timeLeft": timeLeft,
		"has": func(list []string, s string) bool {
			for _, x := range list {
				if x == s {
					return true
				}
			}
			return false
		},
		"query": queryWith,
		"plural": func(n int, one, many string) string {
			if n == 1 {
				return fmt.Sprintf("%d %s", n, one)
			}
			return fmt.Sprintf("%d %s", n, many)
		},
		"title":    humanise,
		"score":    scoreText,
		"source":   sourceLabel,
		"lines":    func(list []string) string { return strings.Join(list, "\n") },
		"contacts": formatContacts,
		"fe":       func(p page, id string) fieldErr { return fieldErr{ID: id, Msg: p.FieldError(id)} },
		"pager": func(base string, q url.Values, cursor, next string) pager {
			return pager{Base: base, Query: q, Cursor: cursor, Next: next}
		},
		"duration": func(p *int64) string {
			if p == nil {
				return "—"
			}
			return incident.HumanDuration(*p)
		},
		"whenp": func(t *time.Time) string {
			if t == nil {
				return "—"
			}
			return t.UTC().Format("2 Jan 2006 15:04 UTC")
		},
		"yesno": func(b bool) string {
			if b {
				return "Yes"
			}
			return "No"
		},
	}
}

// formatDate shows a date, or a dash for a missing one.
func formatDate(t any) string {
	switch v := t.(type) {
	case time.Time:
		if v.IsZero() {
			return "—"
		}
		return v.UTC().Format("2 Jan 2006")
	case *time.Time:
		if v == nil || v.IsZero() {
			return "—"
		}
		return v.UTC().Format("2 Jan 2006")
	}
	return ""
}

// humanise turns a value such as "in-progress" into "In progress".
func humanise(s string) string {
	if s == "" {
		return s
	}
	s = strings.NewReplacer("-", " ", "_", " ").Replace(s)
	return strings.ToUpper(s[:1]) + s[1:]
}

// queryWith returns "?"+base with the given keys set (an empty value
// removes the key). Pagination links use it to keep the filters.
func queryWith(base url.Values, kv ...string) string {
	q := url.Values{}
	for k, v := range base {
		q[k] = append([]string(nil), v...)
	}
	for i := 0; i+1 < len(kv); i += 2 {
		if kv[i+1] == "" {
			q.Del(kv[i])
		} else {
			q.Set(kv[i], kv[i+1])
		}
	}
	if len(q) == 0 {
		return "?"
	}
	return "?" + q.Encode()
}

// formatContacts writes contacts one a line, as the form takes them.
func formatContacts(cs []registry.Contact) string {
	lines := make([]string, len(cs))
	for i, c := range cs {
		lines[i] = formatContact(c)
	}
	return strings.Join(lines, "\n")
}

// fieldErr is the message beside one input.
type fieldErr struct{ ID, Msg string }

// pager is what the pagination links need: the list's path, its filters,
// the cursor of this page ("" for the first) and of the next.
type pager struct {
	Base         string
	Query        url.Values
	Cursor, Next string
}

// sourceLabel names a finding source for people.
func sourceLabel(s string) string {
	switch s {
	case "vdp", "vrp":
		return strings.ToUpper(s)
	}
	return humanise(s)
}
