package imports

import (
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"
)

// CycloneDX 1.4–1.6 JSON with vulnerabilities (a VEX or a BOM with
// vulnerability data). One item per vulnerability per affected component.
// Fingerprint: the vulnerability id and the affected package's purl
// without its version (else its name), so an upgrade that is still
// affected updates the finding; the analysis state decides whether the
// item is live: not_affected and false_positive dismiss it as a false
// positive, resolved as fixed.

type cdxComponent struct {
	BOMRef     string         `json:"bom-ref"`
	Group      string         `json:"group"`
	Name       string         `json:"name"`
	Version    string         `json:"version"`
	PURL       string         `json:"purl"`
	Components []cdxComponent `json:"components"`
}

type cdxRating struct {
	Source struct {
		Name string `json:"name"`
	} `json:"source"`
	Score    flexFloat `json:"score"`
	Severity string    `json:"severity"`
	Method   string    `json:"method"`
	Vector   string    `json:"vector"`
}

type cdxVuln struct {
	BOMRef string `json:"bom-ref"`
	ID     string `json:"id"`
	Source struct {
		Name string `json:"name"`
		URL  string `json:"url"`
	} `json:"source"`
	References []struct {
		ID string `json:"id"`
	} `json:"references"`
	Ratings        []cdxRating `json:"ratings"`
	CWEs           []int       `json:"cwes"`
	Description    string      `json:"description"`
	Detail         string      `json:"detail"`
	Recommendation string      `json:"recommendation"`
	Advisories     []struct {
		URL string `json:"url"`
	} `json:"advisories"`
	Affects []struct {
		Ref      string `json:"ref"`
		Versions []struct {
			Version string `json:"version"`
			Range   string `json:"range"`
			Status  string `json:"status"`
		} `json:"versions"`
	} `json:"affects"`
	Analysis *struct {
		State         string   `json:"state"`
		Justification string   `json:"justification"`
		Response      []string `json:"response"`
		Detail        string   `json:"detail"`
	} `json:"analysis"`
}

func parseCycloneDX(p *parser, r io.Reader) error {
	j := newJStream(p, r)
	var format, spec string
	tool := Tool{Name: "CycloneDX"}
	components := map[string]cdxComponent{}
	var pending []json.RawMessage
	pendingN := 0
	componentsDone := false
	handle := func(raw json.RawMessage, w string) error {
		var v cdxVuln
		if err := json.Unmarshal(raw, &v); err != nil {
			return j.fail(w, err)
		}
		return cdxItems(p, &v, components, tool, w)
	}
	err := j.object("$", func(k, w string) error {
		switch k {
		case "bomFormat":
			v, err := j.str(w)
			if err == nil && v != "CycloneDX" {
				return p.errAt(w, "%q: must be CycloneDX", v)
			}
			format = v
			return err
		case "specVersion":
			v, err := j.str(w)
			if err != nil {
				return err
			}
			switch v {
			case "1.4", "1.5", "1.6":
			default:
				return p.errAt(w, "%q: kubu reads CycloneDX 1.4 to 1.6", v)
			}
			spec = v
			return nil
		case "metadata":
			var md struct {
				Tools json.RawMessage `json:"tools"`
			}
			if err := j.decode(w, &md); err != nil {
				return err
			}
			if t, ok := cdxTool(md.Tools); ok {
				tool = t
			}
			return nil
		case "components":
			componentsDone = true
			return j.array(w, func(_ int, cw string) error {
				var c cdxComponent
				if err := j.decode(cw, &c); err != nil {
					return err
				}
				cdxIndex(components, c, 0)
				return nil
			})
		case "vulnerabilities":
			return j.array(w, func(_ int, vw string) error {
				var raw json.RawMessage
				if err := j.decode(vw, &raw); err != nil {
					return err
				}
				if !componentsDone {
					pendingN += len(raw)
					if pendingN > maxBufferedResults {
						return p.errAt(vw, "vulnerabilities come before components and exceed %d bytes", maxBufferedResults)
					}
					pending = append(pending, raw)
					return nil
				}
				return handle(raw, vw)
			})
		}
		return j.skip(w)
	})
	if err != nil {
		return err
	}
	if format == "" {
		return p.errAt("$.bomFormat", "required (this does not look like a CycloneDX document)")
	}
	if spec == "" {
		return p.errAt("$.specVersion", "required")
	}
	for i, raw := range pending {
		if err := handle(raw, fmt.Sprintf("$.vulnerabilities[%d]", i)); err != nil {
			return err
		}
	}
	return j.end()
}

func cdxIndex(m map[string]cdxComponent, c cdxComponent, depth int) {
	if c.BOMRef != "" {
		m[c.BOMRef] = cdxComponent{BOMRef: c.BOMRef, Group: c.Group, Name: c.Name, Version: c.Version, PURL: c.PURL}
	}
	if depth < 32 {
		for _, sub := range c.Components {
			cdxIndex(m, sub, depth+1)
		}
	}
}

// cdxTool reads metadata.tools: an array of {vendor,name,version} (1.4)
// or {"components":[…]} (1.5+).
func cdxTool(raw json.RawMessage) (Tool, bool) {
	type t struct {
		Name    string `json:"name"`
		Version string `json:"version"`
	}
	var list []t
	if json.Unmarshal(raw, &list) == nil && len(list) > 0 && list[0].Name != "" {
		return Tool{Name: list[0].Name, Version: list[0].Version}, true
	}
	var obj struct {
		Components []t `json:"components"`
		Services   []t `json:"services"`
	}
	if json.Unmarshal(raw, &obj) == nil {
		for _, l := range [][]t{obj.Components, obj.Services} {
			if len(l) > 0 && l[0].Name != "" {
				return Tool{Name: l[0].Name, Version: l[0].Version}, true
			}
		}
	}
	return Tool{}, false
}

// cdxVector adds the CVSS prefix CycloneDX leaves out.
func cdxVector(method, vector string) string {
	vector = strings.TrimSpace(vector)
	if vector == "" || strings.HasPrefix(vector, "CVSS:") {
		return vector
	}
	switch method {
	case "CVSSv31":
		return "CVSS:3.1/" + vector
	case "CVSSv3":
		return "CVSS:3.0/" + vector
	case "CVSSv4":
		return "CVSS:4.0/" + vector
	}
	return ""
}

// purlName drops a purl's version, qualifiers and subpath.
func purlName(purl string) string {
	if i := strings.IndexAny(purl, "?#"); i >= 0 {
		purl = purl[:i]
	}
	if i := strings.LastIndex(purl, "@"); i > strings.LastIndex(purl, "/") {
		purl = purl[:i]
	}
	return purl
}

func cdxItems(p *parser, v *cdxVuln, components map[string]cdxComponent, tool Tool, w string) error {
	if v.ID == "" {
		return p.errAt(w+".id", "required")
	}
	base := Item{Title: v.ID, Tool: tool, RuleID: v.ID, CWE: v.CWEs}
	base.CVE = append(base.CVE, v.ID)
	for _, r := range v.References {
		base.CVE = append(base.CVE, r.ID)
	}
	// The first CVSS rating gives the vector; the first severity word, else
	// the best score, the severity.
	best := -1.0
	for _, rt := range v.Ratings {
		if base.CVSSVector == "" {
			if vec := cdxVector(rt.Method, rt.Vector); vec != "" {
				base.CVSSVector, base.CVSSScore = vec, rt.Score.ptr()
			}
		}
		if base.Severity == "" {
			if s, ok := severityWord(rt.Severity); ok {
				base.Severity = s
			}
		}
		if rt.Score.set && rt.Score.v > best {
			best = rt.Score.v
		}
	}
	if base.Severity == "" && best >= 0 {
		base.Severity = severityOfScore(best)
	}
	if base.Severity == "" {
		base.Severity = "medium"
	}
	desc := []string{v.Description, v.Detail}
	if v.Recommendation != "" {
		desc = append(desc, "Recommendation: "+v.Recommendation)
	}
	for _, a := range v.Advisories {
		desc = append(desc, a.URL)
	}
	if a := v.Analysis; a != nil {
		switch a.State {
		case "not_affected", "false_positive":
			base.Dismissed, base.DismissedAs = "VEX analysis: "+a.State, "false-positive"
		case "resolved", "resolved_with_pedigree":
			base.Dismissed, base.DismissedAs = "VEX analysis: "+a.State, "fixed"
		}
		if base.Dismissed != "" && a.Justification != "" {
			base.Dismissed += " (" + a.Justification + ")"
		}
		if a.State != "" {
			desc = append(desc, strings.Join(strings.Fields("VEX analysis: "+a.State+" "+a.Justification+" "+a.Detail), " "))
		}
	}
	base.Description = strings.TrimSpace(strings.Join(slices.DeleteFunc(desc, func(s string) bool { return strings.TrimSpace(s) == "" }), "\n\n"))
	if len(v.Affects) == 0 {
		return p.add(base, strings.ToUpper(v.ID), "")
	}
	for _, af := range v.Affects {
		if len(af.Versions) > 0 {
			live := false
			for _, ver := range af.Versions {
				if ver.Status != "unaffected" {
					live = true
				}
			}
			if !live {
				p.stats.skip("cyclonedx versions unaffected")
				continue
			}
		}
		it := base
		c, ok := components[af.Ref]
		ident := af.Ref
		if ok {
			name := c.Name
			if c.Group != "" {
				name = c.Group + "/" + c.Name
			}
			it.Location = Location{Package: name, Version: c.Version}
			if c.PURL != "" {
				ident = purlName(c.PURL)
			} else if name != "" {
				ident = name
			}
		} else if strings.HasPrefix(af.Ref, "pkg:") {
			ident = purlName(af.Ref)
			it.Location.Package = ident
			if i := strings.LastIndex(af.Ref, "@"); i > 0 {
				it.Location.Version = strings.SplitN(af.Ref[i+1:], "?", 2)[0]
			}
		} else {
			it.Location.Package = af.Ref
		}
		if it.Location.Package != "" {
			it.Title = v.ID + " in " + it.Location.Package
		}
		if err := p.add(it, strings.ToUpper(v.ID), ident); err != nil {
			return err
		}
	}
	return nil
}
