package imports

import (
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"
)

// Trivy JSON (SchemaVersion 2). Fingerprints:
//   - vulnerability: target, package (name and path, never the version) and
//     vulnerability id, so an upgrade that is still vulnerable is an update
//     and the same CVE in two targets or two copies of a package is two
//     findings (DefectDojo hashes title, severity, ids, CWE and description:
//     a severity or description change from the Trivy database became a
//     new finding, and the same CVE in many places one);
//   - misconfiguration: target, check id and the resource, never the line;
//   - secret: target and rule id (numbered when a file holds several).

type trivyCVSS struct {
	V3Vector  string    `json:"V3Vector"`
	V3Score   flexFloat `json:"V3Score"`
	V40Vector string    `json:"V40Vector"`
	V40Score  flexFloat `json:"V40Score"`
}

type trivyVuln struct {
	VulnerabilityID  string               `json:"VulnerabilityID"`
	PkgID            string               `json:"PkgID"`
	PkgName          string               `json:"PkgName"`
	PkgPath          string               `json:"PkgPath"`
	InstalledVersion string               `json:"InstalledVersion"`
	FixedVersion     string               `json:"FixedVersion"`
	Status           string               `json:"Status"`
	Severity         string               `json:"Severity"`
	SeveritySource   string               `json:"SeveritySource"`
	Title            string               `json:"Title"`
	Description      string               `json:"Description"`
	PrimaryURL       string               `json:"PrimaryURL"`
	CweIDs           []string             `json:"CweIDs"`
	CVSS             map[string]trivyCVSS `json:"CVSS"`
	References       []string             `json:"References"`
}

type trivyMisconf struct {
	Type          string `json:"Type"`
	ID            string `json:"ID"`
	AVDID         string `json:"AVDID"`
	Title         string `json:"Title"`
	Description   string `json:"Description"`
	Message       string `json:"Message"`
	Resolution    string `json:"Resolution"`
	Severity      string `json:"Severity"`
	PrimaryURL    string `json:"PrimaryURL"`
	Status        string `json:"Status"`
	CauseMetadata struct {
		Resource  string `json:"Resource"`
		Provider  string `json:"Provider"`
		Service   string `json:"Service"`
		StartLine int    `json:"StartLine"`
	} `json:"CauseMetadata"`
}

type trivySecret struct {
	RuleID    string `json:"RuleID"`
	Category  string `json:"Category"`
	Severity  string `json:"Severity"`
	Title     string `json:"Title"`
	StartLine int    `json:"StartLine"`
	Match     string `json:"Match"`
}

type trivyResult struct {
	Target, Class, Type string
}

func parseTrivy(p *parser, r io.Reader) error {
	j := newJStream(p, r)
	tool := Tool{Name: "Trivy"}
	artifact := ""
	sawResults := false
	schema := ""
	err := j.object("$", func(k, w string) error {
		switch k {
		case "SchemaVersion":
			v, err := j.str(w)
			if err != nil {
				return err
			}
			if v != "2" {
				return p.errAt(w, "%s: kubu reads Trivy's JSON schema version 2", v)
			}
			schema = v
			return nil
		case "ArtifactName":
			v, err := j.str(w)
			artifact = v
			return err
		case "Trivy":
			var t struct {
				Version string `json:"Version"`
			}
			err := j.decode(w, &t)
			tool.Version = t.Version
			return err
		case "Results":
			sawResults = true
			return j.array(w, func(_ int, rw string) error { return trivyReadResult(j, rw, tool, artifact) })
		}
		return j.skip(w)
	})
	if err != nil {
		return err
	}
	if schema == "" {
		return p.errAt("$.SchemaVersion", "required (this does not look like a Trivy JSON report)")
	}
	_ = sawResults // a clean scan may have no Results at all
	return j.end()
}

// trivyReadResult streams one Results entry. Trivy writes Target, Class
// and Type before the big arrays; if a file does not, the array elements
// are held until the end of the entry.
func trivyReadResult(j *jstream, w string, tool Tool, artifact string) error {
	var head trivyResult
	type held struct {
		kind string
		raw  json.RawMessage
		w    string
	}
	var pending []held
	pendingN := 0
	headDone := func() bool { return head.Target != "" }
	handle := func(kind string, raw json.RawMessage, ew string) error {
		switch kind {
		case "Vulnerabilities":
			var v trivyVuln
			if err := json.Unmarshal(raw, &v); err != nil {
				return j.fail(ew, err)
			}
			return trivyVulnItem(j.p, head, v, tool, artifact)
		case "Misconfigurations":
			var m trivyMisconf
			if err := json.Unmarshal(raw, &m); err != nil {
				return j.fail(ew, err)
			}
			return trivyMisconfItem(j.p, head, m, tool, artifact)
		case "Secrets":
			var s trivySecret
			if err := json.Unmarshal(raw, &s); err != nil {
				return j.fail(ew, err)
			}
			return trivySecretItem(j.p, head, s, tool, artifact)
		}
		return nil
	}
	err := j.object(w, func(k, kw string) error {
		switch k {
		case "Target", "Class", "Type":
			v, err := j.str(kw)
			if err != nil {
				return err
			}
			switch k {
			case "Target":
				head.Target = v
			case "Class":
				head.Class = v
			default:
				head.Type = v
			}
			return nil
		case "Vulnerabilities", "Misconfigurations", "Secrets":
			return j.array(kw, func(_ int, ew string) error {
				var raw json.RawMessage
				if err := j.decode(ew, &raw); err != nil {
					return err
				}
				if !headDone() {
					pendingN += len(raw)
					if pendingN > maxBufferedResults {
						return j.p.errAt(ew, "results come before their Target and exceed %d bytes", maxBufferedResults)
					}
					pending = append(pending, held{k, raw, ew})
					return nil
				}
				return handle(k, raw, ew)
			})
		}
		return j.skip(kw)
	})
	if err != nil {
		return err
	}
	for _, h := range pending {
		if err := handle(h.kind, h.raw, h.w); err != nil {
			return err
		}
	}
	return nil
}

func trivySeverity(s string) string {
	if v, ok := severityWord(s); ok {
		return v
	}
	return "medium" // UNKNOWN
}

func trivyVulnItem(p *parser, head trivyResult, v trivyVuln, tool Tool, artifact string) error {
	if v.VulnerabilityID == "" {
		return p.errAt("Results[].Vulnerabilities[]", "an entry of target %q has no VulnerabilityID", head.Target)
	}
	it := Item{
		Title:    v.VulnerabilityID + " in " + v.PkgName,
		Severity: trivySeverity(v.Severity),
		Tool:     tool,
		RuleID:   v.VulnerabilityID,
		Location: Location{Package: v.PkgName, Version: v.InstalledVersion, File: v.PkgPath},
	}
	if v.Title != "" {
		it.Title += ": " + v.Title
	}
	if head.Class == "os-pkgs" || v.PkgPath == "" {
		it.Location.File = head.Target
	}
	it.CVE = []string{v.VulnerabilityID}
	for _, c := range v.CweIDs {
		if n, ok := cweNumber(c); ok {
			it.CWE = append(it.CWE, n)
		}
	}
	// The CVSS of the source Trivy took the severity from, else NVD, else any.
	sources := []string{v.SeveritySource, "nvd"}
	for k := range v.CVSS {
		sources = append(sources, k)
	}
	slices.Sort(sources[2:])
	for _, s := range sources {
		c, ok := v.CVSS[s]
		if !ok {
			continue
		}
		if c.V40Vector != "" {
			it.CVSSVector, it.CVSSScore = c.V40Vector, c.V40Score.ptr()
		} else if c.V3Vector != "" {
			it.CVSSVector, it.CVSSScore = c.V3Vector, c.V3Score.ptr()
		}
		if it.CVSSVector != "" {
			break
		}
	}
	desc := []string{v.Description}
	if v.FixedVersion != "" {
		desc = append(desc, fmt.Sprintf("Fixed in %s %s (installed %s).", v.PkgName, v.FixedVersion, v.InstalledVersion))
	}
	if v.PrimaryURL != "" {
		desc = append(desc, v.PrimaryURL)
	}
	if artifact != "" {
		desc = append(desc, "Artifact: "+artifact)
	}
	it.Description = strings.TrimSpace(strings.Join(desc, "\n\n"))
	pkg := v.PkgName
	if pkg == "" {
		pkg = v.PkgID
	}
	return p.add(it, "vuln", head.Target, head.Type, pkg, normPath(v.PkgPath), strings.ToUpper(v.VulnerabilityID))
}

func trivyMisconfItem(p *parser, head trivyResult, m trivyMisconf, tool Tool, artifact string) error {
	if strings.EqualFold(m.Status, "PASS") || strings.EqualFold(m.Status, "EXCEPTION") {
		p.stats.skip("trivy misconfiguration " + strings.ToLower(m.Status))
		return nil
	}
	id := m.AVDID
	if id == "" {
		id = m.ID
	}
	it := Item{
		Title:    m.Title,
		Severity: trivySeverity(m.Severity),
		Tool:     tool,
		RuleID:   id,
		Location: Location{File: head.Target, Line: m.CauseMetadata.StartLine},
	}
	desc := []string{m.Description, m.Message, m.Resolution, m.PrimaryURL}
	if artifact != "" {
		desc = append(desc, "Artifact: "+artifact)
	}
	it.Description = strings.TrimSpace(strings.Join(slices.DeleteFunc(desc, func(s string) bool { return s == "" }), "\n\n"))
	return p.add(it, "misconf", head.Target, id, m.CauseMetadata.Provider, m.CauseMetadata.Service, m.CauseMetadata.Resource)
}

func trivySecretItem(p *parser, head trivyResult, s trivySecret, tool Tool, artifact string) error {
	it := Item{
		Title:       s.Title,
		Severity:    trivySeverity(s.Severity),
		Tool:        tool,
		RuleID:      s.RuleID,
		Location:    Location{File: head.Target, Line: s.StartLine},
		Description: strings.TrimSpace("Secret of category " + s.Category + " found (the value is masked in the report).\n\n" + s.Match),
	}
	if artifact != "" {
		it.Description += "\n\nArtifact: " + artifact
	}
	it.CWE = []int{798}
	return p.add(it, "secret", head.Target, s.RuleID)
}
