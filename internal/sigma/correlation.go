package sigma

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// Correlation types of the Sigma correlation specification (2.1.0 adds
// the value_* metrics).
const (
	EventCount      = "event_count"
	ValueCount      = "value_count"
	Temporal        = "temporal"
	TemporalOrdered = "temporal_ordered"
	ValueSum        = "value_sum"
	ValueAvg        = "value_avg"
	ValueMin        = "value_min"
	ValueMax        = "value_max"
	ValueMedian     = "value_median"
	ValuePercentile = "value_percentile"
)

// Correlation is the correlation section of a correlation rule.
type Correlation struct {
	Type     string
	Rules    []string // ids or names of the correlated rules
	GroupBy  []string
	Timespan time.Duration
	// Aliases maps an alias name to, per correlated rule (id or name), the
	// event field that supplies its value.
	Aliases map[string]map[string]string
	// Field is the condition's field for value_* types.
	Field string
	// Conditions are ANDed comparisons of the aggregate (count, sum, …).
	Conditions []Comparison
	// Generate: the correlated rules also report stand-alone matches.
	Generate bool
}

// Comparison is one criterion of a correlation condition.
type Comparison struct {
	Op    string // gt, gte, lt, lte, eq
	Value float64
}

func (c Comparison) holds(v float64) bool {
	switch c.Op {
	case "gt":
		return v > c.Value
	case "gte":
		return v >= c.Value
	case "lt":
		return v < c.Value
	case "lte":
		return v <= c.Value
	case "eq":
		return v == c.Value
	}
	return false
}

var correlationTypes = map[string]bool{
	EventCount: true, ValueCount: true, Temporal: true, TemporalOrdered: true,
	ValueSum: true, ValueAvg: true, ValueMin: true, ValueMax: true, ValueMedian: true, ValuePercentile: true,
}

func parseCorrelation(n *yaml.Node) (*Correlation, error) {
	if n.Kind != yaml.MappingNode {
		return nil, errors.New("correlation must be a mapping")
	}
	c := &Correlation{Type: scalar(mapGet(n, "type"))}
	if !correlationTypes[c.Type] {
		return nil, fmt.Errorf("unknown correlation type %q", c.Type)
	}
	rules := mapGet(n, "rules")
	switch {
	case rules == nil:
		return nil, errors.New("correlation has no rules")
	case rules.Kind == yaml.ScalarNode:
		c.Rules = []string{rules.Value}
	case rules.Kind == yaml.SequenceNode:
		for _, r := range rules.Content {
			c.Rules = append(c.Rules, scalar(r))
		}
	}
	if len(c.Rules) == 0 {
		return nil, errors.New("correlation has no rules")
	}
	if gb := mapGet(n, "group-by"); gb != nil {
		switch gb.Kind {
		case yaml.ScalarNode:
			c.GroupBy = []string{gb.Value}
		case yaml.SequenceNode:
			for _, g := range gb.Content {
				c.GroupBy = append(c.GroupBy, scalar(g))
			}
		}
	}
	ts := scalar(mapGet(n, "timespan"))
	if ts == "" {
		return nil, errors.New("correlation has no timespan")
	}
	d, err := parseTimespan(ts)
	if err != nil {
		return nil, err
	}
	c.Timespan = d
	if al := mapGet(n, "aliases"); al != nil && al.Kind == yaml.MappingNode {
		c.Aliases = map[string]map[string]string{}
		for i := 0; i+1 < len(al.Content); i += 2 {
			m := map[string]string{}
			v := al.Content[i+1]
			if v.Kind != yaml.MappingNode {
				return nil, fmt.Errorf("alias %q must map rule names to fields", al.Content[i].Value)
			}
			for j := 0; j+1 < len(v.Content); j += 2 {
				m[v.Content[j].Value] = v.Content[j+1].Value
			}
			c.Aliases[al.Content[i].Value] = m
		}
	}
	if g := mapGet(n, "generate"); g != nil {
		c.Generate, err = strconv.ParseBool(g.Value)
		if err != nil {
			return nil, fmt.Errorf("generate must be true or false: %w", err)
		}
	}
	cond := mapGet(n, "condition")
	if cond != nil {
		if cond.Kind != yaml.MappingNode {
			return nil, errors.New("correlation condition must be a mapping")
		}
		for i := 0; i+1 < len(cond.Content); i += 2 {
			k, v := cond.Content[i].Value, cond.Content[i+1]
			switch k {
			case "field":
				c.Field = scalar(v)
				if v.Kind == yaml.SequenceNode && len(v.Content) > 0 {
					c.Field = scalar(v.Content[0])
				}
			case "gt", "gte", "lt", "lte", "eq":
				f, err := strconv.ParseFloat(v.Value, 64)
				if err != nil {
					return nil, fmt.Errorf("condition %s: %w", k, err)
				}
				c.Conditions = append(c.Conditions, Comparison{Op: k, Value: f})
			default:
				return nil, fmt.Errorf("unknown correlation condition key %q", k)
			}
		}
	}
	switch c.Type {
	case Temporal, TemporalOrdered:
		// condition optional: default all rules
	default:
		if len(c.Conditions) == 0 {
			return nil, fmt.Errorf("%s correlation needs a condition", c.Type)
		}
	}
	if c.Type != EventCount && c.Type != Temporal && c.Type != TemporalOrdered && c.Field == "" {
		return nil, fmt.Errorf("%s correlation needs condition.field", c.Type)
	}
	return c, nil
}

func parseTimespan(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	if len(s) < 2 {
		return 0, fmt.Errorf("bad timespan %q", s)
	}
	n, err := strconv.Atoi(s[:len(s)-1])
	if err != nil || n <= 0 {
		return 0, fmt.Errorf("bad timespan %q", s)
	}
	unit := map[byte]time.Duration{'s': time.Second, 'm': time.Minute, 'h': time.Hour, 'd': 24 * time.Hour, 'w': 7 * 24 * time.Hour}[s[len(s)-1]]
	if unit == 0 {
		return 0, fmt.Errorf("bad timespan %q: unit must be s, m, h, d or w", s)
	}
	return time.Duration(n) * unit, nil
}

// Filter is the filter section of a meta filter document: it narrows the
// named rules (ids or names) with its own selection and condition, ANDed
// to each rule's condition (write "condition: not selection" to exclude).
// An empty Rules list applies the filter to every rule of its log source.
type Filter struct {
	Rules []string
}

func parseFilter(n *yaml.Node) (*Filter, *Detection, error) {
	if n.Kind != yaml.MappingNode {
		return nil, nil, errAt(n, "filter must be a mapping")
	}
	f := &Filter{}
	if rs := mapGet(n, "rules"); rs != nil {
		switch rs.Kind {
		case yaml.SequenceNode:
			for _, r := range rs.Content {
				f.Rules = append(f.Rules, scalar(r))
			}
		case yaml.ScalarNode:
			if v := scalar(rs); v != "" && !strings.EqualFold(v, "any") {
				f.Rules = []string{v}
			}
		}
	}
	d, err := parseDetection(stripKey(n, "rules"))
	if err != nil {
		return nil, nil, err
	}
	return f, d, nil
}
