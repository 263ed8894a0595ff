package sigma

import (
	"fmt"
)

// Rule is one parsed Sigma document: a detection rule, a correlation rule
// (Correlation != nil) or a meta filter (Filter != nil). Its fields are
// read-only once parsed; a compiled Set keeps pointers to them.
type Rule struct {
	ID             string
	Name           string
	Title          string
	Status         string
	Description    string
	Author         string
	Date           string
	Modified       string
	Level          string
	License        string
	Taxonomy       string
	References     []string
	Tags           []string
	FalsePositives []string
	Fields         []string
	Related        []Related
	Logsource      Logsource

	// Detection is set for detection rules and filters.
	Detection *Detection
	// Correlation is set for correlation rules.
	Correlation *Correlation
	// Filter is set for meta filter documents.
	Filter *Filter

	// File and Line locate the document the rule came from.
	File string
	Line int
}

// Related links a rule to another rule by id.
type Related struct {
	ID   string
	Type string
}

// Logsource names the log data a rule applies to.
type Logsource struct {
	Category   string
	Product    string
	Service    string
	Definition string
}

// IsZero reports whether no log source attribute is set.
func (l Logsource) IsZero() bool {
	return l.Category == "" && l.Product == "" && l.Service == ""
}

func (l Logsource) String() string {
	s := ""
	add := func(k, v string) {
		if v == "" {
			return
		}
		if s != "" {
			s += " "
		}
		s += k + ":" + v
	}
	add("category", l.Category)
	add("product", l.Product)
	add("service", l.Service)
	if s == "" {
		return "(any)"
	}
	return s
}

// Kind tells which of the three document kinds a Rule is.
func (r *Rule) Kind() string {
	switch {
	case r.Correlation != nil:
		return "correlation"
	case r.Filter != nil:
		return "filter"
	default:
		return "rule"
	}
}

// LoadError reports a rule that could not be parsed or compiled. It names
// the file and the line of the offending YAML node.
type LoadError struct {
	File  string
	Line  int
	Title string // the rule title when known
	ID    string // the rule id when known
	Err   error
}

func (e *LoadError) Error() string {
	loc := e.File
	if loc == "" {
		loc = "<input>"
	}
	if e.Line > 0 {
		loc = fmt.Sprintf("%s:%d", loc, e.Line)
	}
	if e.Title != "" {
		return fmt.Sprintf("%s: rule %q: %v", loc, e.Title, e.Err)
	}
	return fmt.Sprintf("%s: %v", loc, e.Err)
}

func (e *LoadError) Unwrap() error { return e.Err }
