package imports

import (
	"encoding/json"
	"fmt"
	"io"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// SARIF 2.1.0 (OASIS). Fingerprint: tool, rule and — in order of
// preference — the result's own fingerprints, its partialFingerprints
// with the file, or the file, logical location and snippet (else the
// message with its numbers masked). Never the line: code that moves is
// the same weakness (DefectDojo #11227 and #14205 hashed the line and
// closed-and-recreated findings on every edit above them).

type sarifMessage struct {
	Text      string   `json:"text"`
	Markdown  string   `json:"markdown"`
	ID        string   `json:"id"`
	Arguments []string `json:"arguments"`
}

type sarifRule struct {
	ID                   string                  `json:"id"`
	Name                 string                  `json:"name"`
	ShortDescription     *sarifMessage           `json:"shortDescription"`
	FullDescription      *sarifMessage           `json:"fullDescription"`
	Help                 *sarifMessage           `json:"help"`
	HelpURI              string                  `json:"helpUri"`
	MessageStrings       map[string]sarifMessage `json:"messageStrings"`
	DefaultConfiguration struct {
		Level string `json:"level"`
	} `json:"defaultConfiguration"`
	Properties    sarifProps `json:"properties"`
	Relationships []struct {
		Target struct {
			ID            string `json:"id"`
			ToolComponent struct {
				Name string `json:"name"`
			} `json:"toolComponent"`
		} `json:"target"`
	} `json:"relationships"`
}

type sarifProps struct {
	Tags             []string    `json:"tags"`
	SecuritySeverity flexFloat   `json:"security-severity"`
	CWE              flexStrings `json:"cwe"`
}

type sarifComponent struct {
	Name            string      `json:"name"`
	Version         string      `json:"version"`
	SemanticVersion string      `json:"semanticVersion"`
	Rules           []sarifRule `json:"rules"`
}

type sarifTool struct {
	Driver     sarifComponent   `json:"driver"`
	Extensions []sarifComponent `json:"extensions"`
}

type sarifLocation struct {
	PhysicalLocation *struct {
		ArtifactLocation struct {
			URI   string `json:"uri"`
			Index *int   `json:"index"`
		} `json:"artifactLocation"`
		Region *struct {
			StartLine int `json:"startLine"`
			Snippet   *struct {
				Text string `json:"text"`
			} `json:"snippet"`
		} `json:"region"`
	} `json:"physicalLocation"`
	LogicalLocations []struct {
		FullyQualifiedName string `json:"fullyQualifiedName"`
		Name               string `json:"name"`
	} `json:"logicalLocations"`
}

type sarifResult struct {
	RuleID    string `json:"ruleId"`
	RuleIndex *int   `json:"ruleIndex"`
	Rule      *struct {
		ID    string `json:"id"`
		Index *int   `json:"index"`
	} `json:"rule"`
	Kind                string            `json:"kind"`
	Level               string            `json:"level"`
	Message             sarifMessage      `json:"message"`
	Locations           []sarifLocation   `json:"locations"`
	Fingerprints        map[string]string `json:"fingerprints"`
	PartialFingerprints map[string]string `json:"partialFingerprints"`
	BaselineState       string            `json:"baselineState"`
	Suppressions        []struct {
		Kind          string `json:"kind"`
		Status        string `json:"status"`
		Justification string `json:"justification"`
	} `json:"suppressions"`
	Taxa []struct {
		ID            string `json:"id"`
		ToolComponent struct {
			Name string `json:"name"`
		} `json:"toolComponent"`
	} `json:"taxa"`
	Properties sarifProps `json:"properties"`
}

// maxBufferedResults bounds results held back when a run lists them
// before its tool (which every real tool writes first).
const maxBufferedResults = 64 << 20

type sarifRun struct {
	tool      *sarifTool
	rules     map[string]*sarifRule
	artifacts []string
	pending   []json.RawMessage
	pendingN  int
}

func parseSARIF(p *parser, r io.Reader) error {
	j := newJStream(p, r)
	version := ""
	err := j.object("$", func(k, w string) error {
		switch k {
		case "version":
			v, err := j.str(w)
			if err != nil {
				return err
			}
			if v != "2.1.0" {
				return p.errAt(w, "%q: kubu reads SARIF 2.1.0", v)
			}
			version = v
			return nil
		case "runs":
			return j.array(w, func(_ int, rw string) error { return sarifReadRun(j, rw) })
		}
		return j.skip(w)
	})
	if err != nil {
		return err
	}
	if version == "" {
		return p.errAt("$.version", "required (SARIF 2.1.0)")
	}
	return j.end()
}

func sarifReadRun(j *jstream, w string) error {
	run := &sarifRun{}
	err := j.object(w, func(k, kw string) error {
		switch k {
		case "tool":
			var t sarifTool
			if err := j.decode(kw, &t); err != nil {
				return err
			}
			run.tool = &t
			run.rules = map[string]*sarifRule{}
			for _, c := range append([]sarifComponent{t.Driver}, t.Extensions...) {
				for i := range c.Rules {
					if _, dup := run.rules[c.Rules[i].ID]; !dup {
						run.rules[c.Rules[i].ID] = &c.Rules[i]
					}
				}
			}
			j.p.stats.tool(run.toolOf())
			for i, raw := range run.pending {
				var res sarifResult
				if err := json.Unmarshal(raw, &res); err != nil {
					return j.fail(fmt.Sprintf("%s.results[%d]", w, i), err)
				}
				if err := sarifResultItem(j.p, run, &res, fmt.Sprintf("%s.results[%d]", w, i)); err != nil {
					return err
				}
			}
			run.pending = nil
			return nil
		case "artifacts":
			return j.array(kw, func(_ int, aw string) error {
				var a struct {
					Location struct {
						URI string `json:"uri"`
					} `json:"location"`
				}
				if err := j.decode(aw, &a); err != nil {
					return err
				}
				run.artifacts = append(run.artifacts, a.Location.URI)
				return nil
			})
		case "results":
			return j.array(kw, func(_ int, rw string) error {
				if run.tool == nil {
					var raw json.RawMessage
					if err := j.decode(rw, &raw); err != nil {
						return err
					}
					run.pendingN += len(raw)
					if run.pendingN > maxBufferedResults {
						return j.p.errAt(rw, "results come before the run's tool and exceed %d bytes; write tool first", maxBufferedResults)
					}
					run.pending = append(run.pending, raw)
					return nil
				}
				var res sarifResult
				if err := j.decode(rw, &res); err != nil {
					return err
				}
				return sarifResultItem(j.p, run, &res, rw)
			})
		}
		return j.skip(kw)
	})
	if err != nil {
		return err
	}
	if run.tool == nil {
		return j.p.errAt(w+".tool", "required")
	}
	return nil
}

func (run *sarifRun) toolOf() Tool {
	v := run.tool.Driver.SemanticVersion
	if v == "" {
		v = run.tool.Driver.Version
	}
	return Tool{Name: run.tool.Driver.Name, Version: v}
}

func (m *sarifMessage) render(rule *sarifRule) string {
	if m == nil {
		return ""
	}
	text := m.Text
	if text == "" && m.ID != "" && rule != nil {
		text = rule.MessageStrings[m.ID].Text
	}
	if text == "" {
		text = m.Markdown
	}
	for i, a := range m.Arguments {
		if i > 9 {
			break
		}
		text = strings.ReplaceAll(text, "{"+strconv.Itoa(i)+"}", a)
	}
	return text
}

var digitsRE = regexp.MustCompile(`[0-9]+`)

func sarifResultItem(p *parser, run *sarifRun, res *sarifResult, w string) error {
	kind := res.Kind
	if kind == "" {
		kind = "fail"
	}
	if kind != "fail" {
		p.stats.skip("sarif kind " + kind)
		return nil
	}
	if res.BaselineState == "absent" {
		p.stats.skip("sarif baselineState absent")
		return nil
	}
	ruleID := res.RuleID
	if ruleID == "" && res.Rule != nil {
		ruleID = res.Rule.ID
	}
	var rule *sarifRule
	idx := res.RuleIndex
	if idx == nil && res.Rule != nil {
		idx = res.Rule.Index
	}
	if idx != nil && *idx >= 0 && *idx < len(run.tool.Driver.Rules) {
		rule = &run.tool.Driver.Rules[*idx]
		if ruleID == "" {
			ruleID = rule.ID
		}
	} else if ruleID != "" {
		rule = run.rules[ruleID]
		if rule == nil {
			if i := strings.LastIndex(ruleID, "/"); i > 0 { // hierarchical ids: "CA2101/1"
				rule = run.rules[ruleID[:i]]
			}
		}
	}
	tool := run.toolOf()
	it := Item{Tool: tool, RuleID: ruleID}
	msg := res.Message.render(rule)
	if rule != nil {
		it.Title = rule.ShortDescription.render(rule)
		if it.Title == "" {
			it.Title = rule.Name
		}
	}
	if it.Title == "" {
		it.Title = firstLine(msg)
	}
	var desc []string
	desc = append(desc, msg)
	if rule != nil {
		if fd := rule.FullDescription.render(rule); fd != "" && fd != msg {
			desc = append(desc, fd)
		}
		if h := rule.Help.render(rule); h != "" {
			desc = append(desc, h)
		}
		if rule.HelpURI != "" {
			desc = append(desc, rule.HelpURI)
		}
	}

	// Severity: a CVSS-like security-severity, else the SARIF level.
	sev := res.Properties.SecuritySeverity
	if !sev.set && rule != nil {
		sev = rule.Properties.SecuritySeverity
	}
	if sev.set && sev.v >= 0 && sev.v <= 10 {
		it.Severity = severityOfScore(sev.v)
		it.CVSSScore = ptr(sev.v)
	} else {
		level := res.Level
		if level == "" && rule != nil {
			level = rule.DefaultConfiguration.Level
		}
		switch level {
		case "error":
			it.Severity = "high"
		case "note":
			it.Severity = "low"
		case "none":
			it.Severity = "info"
		default: // "warning", SARIF's default level
			it.Severity = "medium"
		}
	}

	// CWE and CVE ids from rule tags and relationships, result taxa and props.
	addTag := func(s string) {
		if strings.Contains(strings.ToLower(s), "cwe") {
			if n, ok := cweNumber(s); ok {
				it.CWE = append(it.CWE, n)
			}
		}
		if c := strings.ToUpper(s); isCVE(c) {
			it.CVE = append(it.CVE, c)
		}
	}
	if rule != nil {
		for _, t := range rule.Properties.Tags {
			addTag(t)
		}
		for _, rel := range rule.Relationships {
			if strings.EqualFold(rel.Target.ToolComponent.Name, "CWE") {
				if n, ok := cweNumber("cwe-" + strings.TrimPrefix(strings.ToUpper(rel.Target.ID), "CWE-")); ok {
					it.CWE = append(it.CWE, n)
				}
			} else {
				addTag(rel.Target.ID)
			}
		}
		for _, c := range rule.Properties.CWE {
			addTag("cwe-" + strings.TrimPrefix(strings.ToUpper(c), "CWE-"))
		}
	}
	for _, t := range res.Taxa {
		if strings.EqualFold(t.ToolComponent.Name, "CWE") {
			addTag("cwe-" + strings.TrimPrefix(strings.ToUpper(t.ID), "CWE-"))
		}
	}
	for _, t := range res.Properties.Tags {
		addTag(t)
	}
	for _, c := range res.Properties.CWE {
		addTag("cwe-" + strings.TrimPrefix(strings.ToUpper(c), "CWE-"))
	}
	addTag(ruleID)

	// Location: the first location's file and line (the line is shown,
	// never hashed), its logical location and snippet.
	var file, logical, snippet string
	if len(res.Locations) > 0 {
		loc := res.Locations[0]
		if pl := loc.PhysicalLocation; pl != nil {
			file = pl.ArtifactLocation.URI
			if file == "" && pl.ArtifactLocation.Index != nil && *pl.ArtifactLocation.Index >= 0 && *pl.ArtifactLocation.Index < len(run.artifacts) {
				file = run.artifacts[*pl.ArtifactLocation.Index]
			}
			if pl.Region != nil {
				it.Location.Line = pl.Region.StartLine
				if pl.Region.Snippet != nil {
					snippet = pl.Region.Snippet.Text
				}
			}
		}
		if len(loc.LogicalLocations) > 0 {
			logical = loc.LogicalLocations[0].FullyQualifiedName
			if logical == "" {
				logical = loc.LogicalLocations[0].Name
			}
		}
	}
	it.Location.File = file
	if snippet != "" {
		desc = append(desc, "Snippet:\n"+snippet)
	}
	it.Description = strings.Join(slices.DeleteFunc(desc, func(s string) bool { return s == "" }), "\n\n")

	for _, s := range res.Suppressions {
		if s.Status == "" || s.Status == "accepted" {
			it.Dismissed = "suppressed in the SARIF file"
			if s.Justification != "" {
				it.Dismissed += ": " + s.Justification
			}
			break
		}
	}

	key := []string{strings.ToLower(tool.Name), ruleID}
	switch {
	case len(res.Fingerprints) > 0:
		key = append(key, "fp", sortedPairs(res.Fingerprints))
	case len(res.PartialFingerprints) > 0:
		key = append(key, "pfp", normPath(file), sortedPairs(res.PartialFingerprints))
	case snippet != "":
		key = append(key, normPath(file), logical, strings.Join(strings.Fields(snippet), " "))
	default:
		key = append(key, normPath(file), logical, digitsRE.ReplaceAllString(strings.Join(strings.Fields(msg), " "), "0"))
	}
	return p.add(it, key...)
}

func sortedPairs(m map[string]string) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	var b strings.Builder
	for _, k := range keys {
		b.WriteString(k)
		b.WriteByte('=')
		b.WriteString(m[k])
		b.WriteByte(';')
	}
	return b.String()
}

// normPath makes file references comparable across runs: slashes, no
// leading ./ or file:// scheme.
func normPath(s string) string {
	s = strings.ReplaceAll(strings.TrimSpace(s), "\\", "/")
	s = strings.TrimPrefix(s, "file://")
	for strings.HasPrefix(s, "./") {
		s = s[2:]
	}
	return s
}

func firstLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	return s
}
