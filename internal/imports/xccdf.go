package imports

import (
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strings"
)

// XCCDF 1.1/1.2 results (a Benchmark with TestResult, a bare TestResult,
// or an ARF report that wraps them), read with a streaming XML decoder.
// One item per failed rule-result. Fingerprint: benchmark, target host,
// rule id and the check instance, when there is one. Rule titles and
// descriptions come from the Benchmark when the file carries it.

type xccdfRule struct {
	ID          string `xml:"id,attr"`
	Severity    string `xml:"severity,attr"`
	Title       string `xml:"title"`
	Description struct {
		Inner string `xml:",innerxml"`
	} `xml:"description"`
	Idents []xccdfIdent `xml:"ident"`
}

type xccdfIdent struct {
	System string `xml:"system,attr"`
	Value  string `xml:",chardata"`
}

type xccdfRuleResult struct {
	IDRef    string       `xml:"idref,attr"`
	Severity string       `xml:"severity,attr"`
	Result   string       `xml:"result"`
	Idents   []xccdfIdent `xml:"ident"`
	Instance []string     `xml:"instance"`
	Message  []string     `xml:"message"`
}

type ruleInfo struct {
	title, severity, description string
	idents                       []xccdfIdent
}

// maxRuleDescription bounds what is kept of each rule's description.
const maxRuleDescription = 4096

func parseXCCDF(p *parser, r io.Reader) error {
	d := xml.NewDecoder(r)
	d.Strict = true
	rules := map[string]ruleInfo{}
	benchmark := ""
	var target, testSystem string
	inTestResult := false
	sawTestResult := false
	var stack []string
	where := func() string {
		line, _ := d.InputPos()
		return fmt.Sprintf("line %d (%s)", line, strings.Join(stack, "/"))
	}
	for {
		tok, err := d.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			var se *xml.SyntaxError
			if errors.As(err, &se) {
				return p.errAt(fmt.Sprintf("line %d", se.Line), "not XML: %s", se.Msg)
			}
			return p.errAt(where(), "%v", err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			switch t.Name.Local {
			case "Benchmark":
				if benchmark == "" {
					benchmark = attr(t, "id")
				}
			case "Rule":
				var rule xccdfRule
				if err := d.DecodeElement(&rule, &t); err != nil {
					return p.errAt(where(), "Rule: %v", err)
				}
				rules[rule.ID] = ruleInfo{
					title: oneLine(rule.Title), severity: rule.Severity,
					description: clip(strings.TrimSpace(zapText(rule.Description.Inner)), maxRuleDescription),
					idents:      rule.Idents,
				}
				continue
			case "TestResult":
				inTestResult, sawTestResult = true, true
				testSystem = attr(t, "test-system")
				target = ""
			case "target":
				if inTestResult {
					var s string
					if err := d.DecodeElement(&s, &t); err != nil {
						return p.errAt(where(), "target: %v", err)
					}
					target = strings.TrimSpace(s)
					continue
				}
			case "benchmark":
				if inTestResult && benchmark == "" {
					benchmark = attr(t, "id")
					if benchmark == "" {
						benchmark = attr(t, "href")
					}
				}
			case "rule-result":
				if !inTestResult {
					break
				}
				var rr xccdfRuleResult
				if err := d.DecodeElement(&rr, &t); err != nil {
					return p.errAt(where(), "rule-result: %v", err)
				}
				if err := xccdfItem(p, &rr, rules[rr.IDRef], benchmark, target, testSystem, where()); err != nil {
					return err
				}
				continue
			}
			stack = append(stack, t.Name.Local)
			if len(stack) > 256 {
				return p.errAt(where(), "elements nested more than 256 deep")
			}
		case xml.EndElement:
			if len(stack) > 0 {
				stack = stack[:len(stack)-1]
			}
			if t.Name.Local == "TestResult" {
				inTestResult = false
			}
		}
	}
	if !sawTestResult {
		return p.errAt("", "no TestResult element (an XCCDF results file has one)")
	}
	return nil
}

func attr(t xml.StartElement, name string) string {
	for _, a := range t.Attr {
		if a.Name.Local == name {
			return a.Value
		}
	}
	return ""
}

// xccdfTool names the tool from the test-system CPE
// (cpe:/a:open-scap:oscap:1.3.8 → oscap 1.3.8).
func xccdfTool(cpe string) Tool {
	if cpe == "" {
		return Tool{Name: "XCCDF"}
	}
	parts := strings.Split(strings.TrimPrefix(strings.TrimPrefix(cpe, "cpe:2.3:"), "cpe:/"), ":")
	if len(parts) >= 3 && strings.HasPrefix(cpe, "cpe:") {
		t := Tool{Name: parts[2]}
		if len(parts) >= 4 && parts[3] != "*" && parts[3] != "-" {
			t.Version = parts[3]
		}
		return t
	}
	return Tool{Name: cpe}
}

func xccdfItem(p *parser, rr *xccdfRuleResult, rule ruleInfo, benchmark, target, testSystem, where string) error {
	if rr.IDRef == "" {
		return p.errAt(where, "rule-result without idref")
	}
	result := strings.TrimSpace(rr.Result)
	switch result {
	case "fail":
	case "":
		return p.errAt(where, "rule-result %s has no result", rr.IDRef)
	default: // pass, error, unknown, notapplicable, notchecked, notselected, informational, fixed
		p.stats.skip("xccdf " + result)
		return nil
	}
	it := Item{
		Title:    rule.title,
		Tool:     xccdfTool(testSystem),
		RuleID:   rr.IDRef,
		Location: Location{Host: target},
	}
	sev := rr.Severity
	if sev == "" {
		sev = rule.severity
	}
	if s, ok := severityWord(sev); ok {
		it.Severity = s
	} else {
		it.Severity = "medium" // XCCDF "unknown"
	}
	desc := []string{rule.description}
	for _, id := range append(rule.idents, rr.Idents...) {
		v := strings.TrimSpace(id.Value)
		if strings.Contains(id.System, "cve") {
			it.CVE = append(it.CVE, v)
		} else if v != "" {
			desc = append(desc, "Identifier: "+v)
		}
	}
	for _, m := range rr.Message {
		desc = append(desc, strings.TrimSpace(m))
	}
	it.Description = strings.TrimSpace(strings.Join(desc, "\n\n"))
	instance := ""
	if len(rr.Instance) > 0 {
		instance = strings.TrimSpace(rr.Instance[0])
	}
	return p.add(it, benchmark, strings.ToLower(target), rr.IDRef, instance)
}
