package sigma

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"
	"strconv"

	"gopkg.in/yaml.v3"
)

// ParseFile reads a YAML file that holds one or more Sigma documents. It
// returns every document that parsed and one *LoadError per document that
// did not.
func ParseFile(path string) ([]*Rule, []error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, []error{&LoadError{File: path, Err: err}}
	}
	return Parse(path, data)
}

// Parse parses the Sigma documents in data; name is used in errors and in
// Rule.File. Multi-document files (`---`) are supported, including the
// legacy `action: global|reset|repeat` documents of Sigma 1.0.
func Parse(name string, data []byte) ([]*Rule, []error) {
	var rules []*Rule
	var errs []error
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var global, previous *yaml.Node
	for {
		var doc yaml.Node
		err := dec.Decode(&doc)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			errs = append(errs, &LoadError{File: name, Line: yamlErrLine(err), Err: err})
			break // the decoder cannot resynchronise after a syntax error
		}
		if len(doc.Content) == 0 {
			continue
		}
		root := doc.Content[0]
		if root.Kind == yaml.ScalarNode && root.Tag == "!!null" {
			continue
		}
		if root.Kind != yaml.MappingNode {
			errs = append(errs, &LoadError{File: name, Line: root.Line, Err: errors.New("document is not a YAML mapping")})
			continue
		}
		if act := mapGet(root, "action"); act != nil {
			switch act.Value {
			case "global":
				global = stripKey(root, "action")
				continue
			case "reset":
				global = nil
				continue
			case "repeat":
				if previous == nil {
					errs = append(errs, &LoadError{File: name, Line: act.Line, Err: errors.New("action: repeat without a previous document")})
					continue
				}
				root = mergeNodes(previous, stripKey(root, "action"))
			default:
				errs = append(errs, &LoadError{File: name, Line: act.Line, Err: fmt.Errorf("unknown action %q", act.Value)})
				continue
			}
		} else if global != nil {
			root = mergeNodes(global, root)
		}
		previous = root
		r, err := parseDocument(name, root)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		rules = append(rules, r)
	}
	return rules, errs
}

var yamlLineRE = regexp.MustCompile(`line (\d+)`)

func yamlErrLine(err error) int {
	if m := yamlLineRE.FindStringSubmatch(err.Error()); m != nil {
		n, _ := strconv.Atoi(m[1])
		return n
	}
	return 0
}

func mapGet(m *yaml.Node, key string) *yaml.Node {
	if m == nil || m.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return m.Content[i+1]
		}
	}
	return nil
}

func stripKey(m *yaml.Node, key string) *yaml.Node {
	out := *m
	out.Content = nil
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value != key {
			out.Content = append(out.Content, m.Content[i], m.Content[i+1])
		}
	}
	return &out
}

// mergeNodes deep-merges overlay into a copy of base: mappings merge key
// by key, anything else in overlay replaces base.
func mergeNodes(base, overlay *yaml.Node) *yaml.Node {
	if base == nil {
		return overlay
	}
	if base.Kind != yaml.MappingNode || overlay.Kind != yaml.MappingNode {
		return overlay
	}
	out := *base
	out.Content = append([]*yaml.Node(nil), base.Content...)
	for i := 0; i+1 < len(overlay.Content); i += 2 {
		k, v := overlay.Content[i], overlay.Content[i+1]
		found := false
		for j := 0; j+1 < len(out.Content); j += 2 {
			if out.Content[j].Value == k.Value {
				out.Content[j+1] = mergeNodes(out.Content[j+1], v)
				found = true
				break
			}
		}
		if !found {
			out.Content = append(out.Content, k, v)
		}
	}
	out.Line = overlay.Line
	return &out
}

func parseDocument(file string, root *yaml.Node) (*Rule, error) {
	r := &Rule{File: file, Line: root.Line}
	fail := func(n *yaml.Node, err error) error {
		line := root.Line
		if n != nil {
			line = n.Line
		}
		return &LoadError{File: file, Line: line, Title: r.Title, ID: r.ID, Err: err}
	}
	var err error
	str := func(key string) (string, error) {
		n := mapGet(root, key)
		if n == nil {
			return "", nil
		}
		if n.Kind != yaml.ScalarNode {
			return "", fail(n, fmt.Errorf("%s must be a string", key))
		}
		if n.Tag == "!!null" {
			return "", nil
		}
		return n.Value, nil
	}
	list := func(key string) ([]string, error) {
		n := mapGet(root, key)
		if n == nil {
			return nil, nil
		}
		switch n.Kind {
		case yaml.ScalarNode:
			if n.Tag == "!!null" {
				return nil, nil
			}
			return []string{n.Value}, nil
		case yaml.SequenceNode:
			out := make([]string, 0, len(n.Content))
			for _, c := range n.Content {
				if c.Kind != yaml.ScalarNode {
					return nil, fail(c, fmt.Errorf("%s: items must be strings", key))
				}
				out = append(out, c.Value)
			}
			return out, nil
		}
		return nil, fail(n, fmt.Errorf("%s must be a list of strings", key))
	}
	fields := []struct {
		key string
		dst *string
	}{
		{"title", &r.Title}, {"id", &r.ID}, {"name", &r.Name}, {"status", &r.Status},
		{"description", &r.Description}, {"author", &r.Author}, {"date", &r.Date},
		{"modified", &r.Modified}, {"level", &r.Level}, {"license", &r.License}, {"taxonomy", &r.Taxonomy},
	}
	for _, f := range fields {
		if *f.dst, err = str(f.key); err != nil {
			return nil, err
		}
	}
	lists := []struct {
		key string
		dst *[]string
	}{
		{"references", &r.References}, {"tags", &r.Tags}, {"falsepositives", &r.FalsePositives}, {"fields", &r.Fields},
	}
	for _, f := range lists {
		if *f.dst, err = list(f.key); err != nil {
			return nil, err
		}
	}
	if r.Title == "" {
		return nil, fail(nil, errors.New("missing title"))
	}
	if rel := mapGet(root, "related"); rel != nil && rel.Kind == yaml.SequenceNode {
		for _, c := range rel.Content {
			r.Related = append(r.Related, Related{ID: scalar(mapGet(c, "id")), Type: scalar(mapGet(c, "type"))})
		}
	}
	if ls := mapGet(root, "logsource"); ls != nil {
		if ls.Kind != yaml.MappingNode {
			return nil, fail(ls, errors.New("logsource must be a mapping"))
		}
		r.Logsource = Logsource{
			Category:   scalar(mapGet(ls, "category")),
			Product:    scalar(mapGet(ls, "product")),
			Service:    scalar(mapGet(ls, "service")),
			Definition: scalar(mapGet(ls, "definition")),
		}
	}
	det, corr, filt := mapGet(root, "detection"), mapGet(root, "correlation"), mapGet(root, "filter")
	switch {
	case corr != nil:
		c, err := parseCorrelation(corr)
		if err != nil {
			return nil, fail(corr, err)
		}
		r.Correlation = c
	case filt != nil:
		f, d, err := parseFilter(filt)
		if err != nil {
			return nil, asLoadError(err, fail, filt)
		}
		r.Filter, r.Detection = f, d
	case det != nil:
		d, err := parseDetection(det)
		if err != nil {
			return nil, asLoadError(err, fail, det)
		}
		r.Detection = d
	default:
		return nil, fail(nil, errors.New("document has no detection, correlation or filter section"))
	}
	return r, nil
}

// nodeError carries the YAML node an error is about, so the LoadError can
// name its line.
type nodeError struct {
	node *yaml.Node
	err  error
}

func (e *nodeError) Error() string { return e.err.Error() }
func (e *nodeError) Unwrap() error { return e.err }

func errAt(n *yaml.Node, format string, args ...any) error {
	return &nodeError{node: n, err: fmt.Errorf(format, args...)}
}

func asLoadError(err error, fail func(*yaml.Node, error) error, def *yaml.Node) error {
	var ne *nodeError
	if errors.As(err, &ne) {
		return fail(ne.node, ne.err)
	}
	return fail(def, err)
}

func scalar(n *yaml.Node) string {
	if n == nil || n.Kind != yaml.ScalarNode || n.Tag == "!!null" {
		return ""
	}
	return n.Value
}
