package imports

import (
	"encoding/json"
	"fmt"
	"html"
	"io"
	"regexp"
	"strconv"
	"strings"
)

// OWASP ZAP's traditional JSON report. One item per alert per site, with
// the alert's instances as its locations: an alert that ZAP raises on 400
// URLs of one site is one weakness to fix, not 400. Fingerprint: the
// site (scheme, host, port) and the plugin's alertRef (pluginid when older
// reports lack it) — not the alert's title, risk or CWE, which ZAP
// revises between versions (DefectDojo hashes title, CWE and severity,
// without the site).

type zapInstance struct {
	URI      string `json:"uri"`
	Method   string `json:"method"`
	Param    string `json:"param"`
	Evidence string `json:"evidence"`
}

type zapAlert struct {
	PluginID   flexString    `json:"pluginid"`
	AlertRef   flexString    `json:"alertRef"`
	Alert      string        `json:"alert"`
	Name       string        `json:"name"`
	RiskCode   flexString    `json:"riskcode"`
	Confidence flexString    `json:"confidence"`
	Desc       string        `json:"desc"`
	Solution   string        `json:"solution"`
	Reference  string        `json:"reference"`
	OtherInfo  string        `json:"otherinfo"`
	CWEID      flexString    `json:"cweid"`
	WASCID     flexString    `json:"wascid"`
	Count      flexString    `json:"count"`
	Instances  []zapInstance `json:"instances"`
}

// maxListedInstances bounds the URLs written into an item's description.
const maxListedInstances = 50

func parseZAP(p *parser, r io.Reader) error {
	j := newJStream(p, r)
	tool := Tool{Name: "ZAP"}
	sawSite := false
	err := j.object("$", func(k, w string) error {
		switch k {
		case "@programName":
			v, err := j.str(w)
			if v != "" {
				tool.Name = v
			}
			return err
		case "@version":
			v, err := j.str(w)
			tool.Version = v
			return err
		case "site":
			sawSite = true
			return j.array(w, func(_ int, sw string) error { return zapReadSite(j, sw, &tool) })
		}
		return j.skip(w)
	})
	if err != nil {
		return err
	}
	if !sawSite {
		return p.errAt("$.site", "required (this does not look like a ZAP JSON report)")
	}
	return j.end()
}

func zapReadSite(j *jstream, w string, tool *Tool) error {
	site := ""
	var pending []json.RawMessage
	pendingN := 0
	err := j.object(w, func(k, kw string) error {
		switch k {
		case "@name":
			v, err := j.str(kw)
			site = v
			return err
		case "alerts":
			return j.array(kw, func(_ int, aw string) error {
				var raw json.RawMessage
				if err := j.decode(aw, &raw); err != nil {
					return err
				}
				if site == "" {
					pendingN += len(raw)
					if pendingN > maxBufferedResults {
						return j.p.errAt(aw, "alerts come before the site's @name and exceed %d bytes", maxBufferedResults)
					}
					pending = append(pending, raw)
					return nil
				}
				return zapAlertItem(j, site, *tool, raw, aw)
			})
		}
		return j.skip(kw)
	})
	if err != nil {
		return err
	}
	for i, raw := range pending {
		if err := zapAlertItem(j, site, *tool, raw, fmt.Sprintf("%s.alerts[%d]", w, i)); err != nil {
			return err
		}
	}
	return nil
}

var tagRE = regexp.MustCompile(`<[^>]*>`)

// zapText turns ZAP's HTML fragments into plain text.
func zapText(s string) string {
	s = strings.NewReplacer("</p>", "\n", "<br>", "\n", "<br/>", "\n", "</li>", "\n").Replace(s)
	return strings.TrimSpace(html.UnescapeString(tagRE.ReplaceAllString(s, "")))
}

func zapAlertItem(j *jstream, site string, tool Tool, raw json.RawMessage, w string) error {
	var a zapAlert
	if err := json.Unmarshal(raw, &a); err != nil {
		return j.fail(w, err)
	}
	ref := string(a.AlertRef)
	if ref == "" {
		ref = string(a.PluginID)
	}
	if ref == "" {
		return j.p.errAt(w+".pluginid", "required")
	}
	title := a.Alert
	if title == "" {
		title = a.Name
	}
	it := Item{Title: title, Tool: tool, RuleID: ref, Location: Location{Host: hostOf(site)}}
	switch string(a.RiskCode) {
	case "3":
		it.Severity = "high"
	case "2":
		it.Severity = "medium"
	case "1":
		it.Severity = "low"
	case "0":
		it.Severity = "info"
	default:
		return j.p.errAt(w+".riskcode", "%q: must be 0, 1, 2 or 3", string(a.RiskCode))
	}
	if string(a.Confidence) == "0" {
		it.Dismissed = "ZAP rates this alert a false positive (confidence 0)"
	}
	if n, err := strconv.Atoi(string(a.CWEID)); err == nil && n > 0 {
		it.CWE = []int{n}
	}
	if len(a.Instances) > 0 {
		it.Location.URL = a.Instances[0].URI
	} else {
		it.Location.URL = site
	}
	var b strings.Builder
	b.WriteString(zapText(a.Desc))
	if s := zapText(a.Solution); s != "" {
		b.WriteString("\n\nSolution: " + s)
	}
	if s := zapText(a.OtherInfo); s != "" {
		b.WriteString("\n\n" + s)
	}
	if s := zapText(a.Reference); s != "" {
		b.WriteString("\n\nReferences:\n" + s)
	}
	if len(a.Instances) > 0 {
		fmt.Fprintf(&b, "\n\nFound at %d location(s):", len(a.Instances))
		for i, in := range a.Instances {
			if i == maxListedInstances {
				fmt.Fprintf(&b, "\n… and %d more", len(a.Instances)-i)
				break
			}
			b.WriteString("\n" + strings.TrimSpace(in.Method+" "+in.URI))
			if in.Param != "" {
				b.WriteString(" (parameter " + in.Param + ")")
			}
		}
	}
	it.Description = b.String()
	return j.p.add(it, hostOf(site), ref)
}
