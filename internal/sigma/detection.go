package sigma

import (
	"errors"
	"sort"
	"strings"

	"gopkg.in/yaml.v3"
)

// Detection is the parsed detection section of a rule (or the selection
// part of a meta filter): named search identifiers and the condition.
type Detection struct {
	// Conditions holds the raw condition strings; several are ORed.
	Conditions []string
	idents     map[string]*searchIdent
	order      []string
	cond       *condNode
}

// Identifiers returns the search identifier names in document order.
func (d *Detection) Identifiers() []string { return append([]string(nil), d.order...) }

// searchIdent is one named search: an OR over alternatives, each an AND
// over items.
type searchIdent struct {
	name string
	line int
	alts [][]*item
}

// item is one `field|modifiers: values` entry; field "" is a keyword search.
type item struct {
	field  string
	mods   []string
	values []rawValue
	line   int
}

type valueKind uint8

const (
	vString valueKind = iota
	vNumber
	vBool
	vNull
)

// rawValue is one YAML scalar from a detection.
type rawValue struct {
	kind valueKind
	text string
}

func parseDetection(n *yaml.Node) (*Detection, error) {
	if n.Kind != yaml.MappingNode {
		return nil, errAt(n, "detection must be a mapping")
	}
	d := &Detection{idents: map[string]*searchIdent{}}
	var condYAML *yaml.Node
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		name := k.Value
		switch name {
		case "condition":
			condYAML = v
			continue
		case "timeframe":
			// Sigma 1.0 aggregation window: only meaningful with pipes, which
			// the condition parser rejects with a clear error.
			continue
		}
		si, err := parseSearchIdent(name, v)
		if err != nil {
			return nil, err
		}
		if _, dup := d.idents[name]; dup {
			return nil, errAt(k, "duplicate search identifier %q", name)
		}
		d.idents[name] = si
		d.order = append(d.order, name)
	}
	if condYAML == nil {
		return nil, errAt(n, "detection has no condition")
	}
	switch condYAML.Kind {
	case yaml.ScalarNode:
		d.Conditions = []string{condYAML.Value}
	case yaml.SequenceNode:
		for _, c := range condYAML.Content {
			if c.Kind != yaml.ScalarNode {
				return nil, errAt(c, "condition list items must be strings")
			}
			d.Conditions = append(d.Conditions, c.Value)
		}
	default:
		return nil, errAt(condYAML, "condition must be a string or a list of strings")
	}
	if len(d.Conditions) == 0 {
		return nil, errAt(condYAML, "empty condition")
	}
	var conds []*condNode
	for _, c := range d.Conditions {
		cn, err := parseCondition(c)
		if err != nil {
			return nil, errAt(condYAML, "condition %q: %v", c, err)
		}
		if err := cn.check(d.idents); err != nil {
			return nil, errAt(condYAML, "condition %q: %v", c, err)
		}
		conds = append(conds, cn)
	}
	if len(conds) == 1 {
		d.cond = conds[0]
	} else {
		d.cond = &condNode{op: cOr, kids: conds}
	}
	// Validate every item now so that a bad modifier or regex fails the
	// load, not the compile.
	for _, name := range d.order {
		for _, alt := range d.idents[name].alts {
			for _, it := range alt {
				if _, err := it.build(nil, nil); err != nil {
					return nil, errAt(&yaml.Node{Line: it.line}, "%s: %v", name, err)
				}
			}
		}
	}
	return d, nil
}

func parseSearchIdent(name string, v *yaml.Node) (*searchIdent, error) {
	si := &searchIdent{name: name, line: v.Line}
	switch v.Kind {
	case yaml.MappingNode:
		alt, err := parseItemMap(v)
		if err != nil {
			return nil, err
		}
		si.alts = append(si.alts, alt)
	case yaml.SequenceNode:
		var kw *item
		for _, c := range v.Content {
			switch c.Kind {
			case yaml.MappingNode:
				alt, err := parseItemMap(c)
				if err != nil {
					return nil, err
				}
				si.alts = append(si.alts, alt)
			case yaml.ScalarNode:
				if kw == nil {
					kw = &item{line: c.Line}
					si.alts = append(si.alts, []*item{kw})
				}
				kw.values = append(kw.values, toRaw(c))
			default:
				return nil, errAt(c, "search identifier %q: nested lists are not allowed", name)
			}
		}
		if len(si.alts) == 0 {
			return nil, errAt(v, "search identifier %q is empty", name)
		}
	case yaml.ScalarNode:
		if v.Tag == "!!null" {
			return nil, errAt(v, "search identifier %q is empty", name)
		}
		si.alts = append(si.alts, []*item{{line: v.Line, values: []rawValue{toRaw(v)}}})
	default:
		return nil, errAt(v, "search identifier %q has an unsupported shape", name)
	}
	return si, nil
}

func parseItemMap(m *yaml.Node) ([]*item, error) {
	var out []*item
	for i := 0; i+1 < len(m.Content); i += 2 {
		k, v := m.Content[i], m.Content[i+1]
		parts := strings.Split(k.Value, "|")
		it := &item{field: parts[0], line: k.Line}
		for _, p := range parts[1:] {
			it.mods = append(it.mods, strings.ToLower(strings.TrimSpace(p)))
		}
		switch v.Kind {
		case yaml.ScalarNode:
			it.values = []rawValue{toRaw(v)}
		case yaml.SequenceNode:
			for _, c := range v.Content {
				if c.Kind != yaml.ScalarNode {
					return nil, errAt(c, "field %q: values must be scalars", k.Value)
				}
				it.values = append(it.values, toRaw(c))
			}
		default:
			return nil, errAt(v, "field %q: values must be a scalar or a list of scalars", k.Value)
		}
		out = append(out, it)
	}
	if len(out) == 0 {
		return nil, errAt(m, "empty selection map")
	}
	return out, nil
}

func toRaw(n *yaml.Node) rawValue {
	switch n.Tag {
	case "!!null":
		return rawValue{kind: vNull}
	case "!!int", "!!float":
		return rawValue{kind: vNumber, text: n.Value}
	case "!!bool":
		return rawValue{kind: vBool, text: strings.ToLower(n.Value)}
	}
	return rawValue{kind: vString, text: n.Value}
}

// matchIdents returns the identifiers matching a `1 of` pattern (with *
// wildcards), or all identifiers not starting with "_" for "them".
func matchIdents(idents map[string]*searchIdent, pattern string) []string {
	var out []string
	for name := range idents {
		if pattern == "them" {
			if !strings.HasPrefix(name, "_") {
				out = append(out, name)
			}
			continue
		}
		if simpleGlob(pattern, name) {
			out = append(out, name)
		}
	}
	sort.Strings(out)
	return out
}

// simpleGlob matches name against a pattern whose only metacharacter is *.
func simpleGlob(pattern, name string) bool {
	return globMatch(parseIdentPattern(pattern), []byte(name))
}

func parseIdentPattern(p string) []gtok {
	var toks []gtok
	for p != "" {
		i := strings.IndexByte(p, '*')
		if i < 0 {
			toks = append(toks, gtok{lit: p})
			break
		}
		if i > 0 {
			toks = append(toks, gtok{lit: p[:i]})
		}
		if len(toks) == 0 || toks[len(toks)-1].wild != '*' {
			toks = append(toks, gtok{wild: '*'})
		}
		p = p[i+1:]
	}
	return toks
}

var errNoIdents = errors.New("pattern matches no search identifier")
