package sigma

import (
	"fmt"
	"os"
	"sort"
	"strings"

	"gopkg.in/yaml.v3"
)

// Mapping tells the compiler which events a rule's log source covers and
// how rule field names translate to event field names. See MAPPING.md.
type Mapping struct {
	// Logsources are tried in order; every entry that matches a rule's
	// log source yields one variant of the rule.
	Logsources []LogsourceMapping
	// FieldMappings renames fields for every rule (applied after the
	// entry's own FieldMappings).
	FieldMappings map[string]string
}

// LogsourceMapping maps one (category, product, service) to event
// conditions and field names.
type LogsourceMapping struct {
	Category string
	Product  string
	Service  string
	// Conditions: every field must equal one of its values (Sigma string
	// semantics: case-insensitive, * and ? wildcards). Channel and EventID
	// are used to index rules, so events are routed without evaluating them.
	Conditions map[string][]string
	// FieldMappings renames rule fields for events of this log source.
	FieldMappings map[string]string
}

func (lm *LogsourceMapping) key() string {
	return lm.Category + "\x1f" + lm.Product + "\x1f" + lm.Service
}

// matches reports whether the entry covers the rule's log source: category
// and service must be equal (both may be empty), product must be equal
// when both set it.
func (lm *LogsourceMapping) matches(ls Logsource) bool {
	if !strings.EqualFold(lm.Category, ls.Category) || !strings.EqualFold(lm.Service, ls.Service) {
		return false
	}
	return lm.Product == "" || ls.Product == "" || strings.EqualFold(lm.Product, ls.Product)
}

type mappingFile struct {
	Replace       bool              `yaml:"replace"`
	FieldMappings map[string]string `yaml:"fieldmappings"`
	Logsources    []struct {
		Category      string               `yaml:"category"`
		Product       string               `yaml:"product"`
		Service       string               `yaml:"service"`
		Conditions    map[string]yaml.Node `yaml:"conditions"`
		FieldMappings map[string]string    `yaml:"fieldmappings"`
	} `yaml:"logsources"`
}

// LoadMapping reads a YAML mapping file (format in MAPPING.md). Unless the
// file says `replace: true`, its entries extend the built-in Windows
// mapping: an entry for a (category, product, service) the built-in
// mapping has replaces all built-in entries for it.
func LoadMapping(path string) (*Mapping, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("sigma mapping: %w", err)
	}
	m, err := ParseMapping(data)
	if err != nil {
		return nil, fmt.Errorf("sigma mapping %s: %w", path, err)
	}
	return m, nil
}

// ParseMapping parses mapping YAML (see LoadMapping).
func ParseMapping(data []byte) (*Mapping, error) {
	var f mappingFile
	if err := yaml.Unmarshal(data, &f); err != nil {
		return nil, err
	}
	m := &Mapping{FieldMappings: f.FieldMappings}
	for i, ls := range f.Logsources {
		e := LogsourceMapping{Category: ls.Category, Product: ls.Product, Service: ls.Service, FieldMappings: ls.FieldMappings}
		if e.Category == "" && e.Product == "" && e.Service == "" {
			return nil, fmt.Errorf("logsources[%d]: needs category, product or service", i)
		}
		if len(ls.Conditions) > 0 {
			e.Conditions = map[string][]string{}
			for k, v := range ls.Conditions {
				switch v.Kind {
				case yaml.ScalarNode:
					e.Conditions[k] = []string{v.Value}
				case yaml.SequenceNode:
					for _, c := range v.Content {
						if c.Kind != yaml.ScalarNode {
							return nil, fmt.Errorf("logsources[%d].conditions.%s: values must be scalars", i, k)
						}
						e.Conditions[k] = append(e.Conditions[k], c.Value)
					}
				default:
					return nil, fmt.Errorf("logsources[%d].conditions.%s: must be a value or a list", i, k)
				}
			}
		}
		m.Logsources = append(m.Logsources, e)
	}
	if f.Replace {
		return m, nil
	}
	return WindowsMapping().extend(m), nil
}

// extend returns base with over's entries on top (see LoadMapping).
func (base *Mapping) extend(over *Mapping) *Mapping {
	out := &Mapping{FieldMappings: map[string]string{}}
	overKeys := map[string]bool{}
	for i := range over.Logsources {
		overKeys[over.Logsources[i].key()] = true
	}
	for _, e := range base.Logsources {
		if !overKeys[e.key()] {
			out.Logsources = append(out.Logsources, e)
		}
	}
	out.Logsources = append(out.Logsources, over.Logsources...)
	for k, v := range base.FieldMappings {
		out.FieldMappings[k] = v
	}
	for k, v := range over.FieldMappings {
		out.FieldMappings[k] = v
	}
	return out
}

// routeFields are the condition fields used as the routing index.
const (
	routeChannel = "Channel"
	routeEventID = "EventID"
)

// Channels returns the Channel values named by the mapping, sorted.
func (base *Mapping) Channels() []string {
	seen := map[string]bool{}
	for _, e := range base.Logsources {
		for _, c := range e.Conditions[routeChannel] {
			if !strings.ContainsAny(c, "*?") {
				seen[c] = true
			}
		}
	}
	out := make([]string, 0, len(seen))
	for c := range seen {
		out = append(out, c)
	}
	sort.Strings(out)
	return out
}

// productChannels returns the channels of the entries for product (all
// channels when product is empty).
func (base *Mapping) productChannels(product string) []string {
	seen := map[string]bool{}
	var out []string
	for _, e := range base.Logsources {
		if product != "" && e.Product != "" && !strings.EqualFold(e.Product, product) {
			continue
		}
		for _, c := range e.Conditions[routeChannel] {
			if !seen[c] && !strings.ContainsAny(c, "*?") {
				seen[c] = true
				out = append(out, c)
			}
		}
	}
	sort.Strings(out)
	return out
}
