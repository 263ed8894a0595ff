package imports

import (
	"bufio"
	"io"
	"net/url"
	"slices"
	"strconv"
	"strings"
)

// Nuclei JSONL (one result per line, `nuclei -jsonl`) or the JSON array
// of `-json-export`. Fingerprint: template, matcher, type, the host
// (scheme, host and port) and where it matched with query values masked —
// not the IP address, timestamp or extracted values, which change from run
// to run (DefectDojo hashes title, CWE, severity and component, so a
// template's severity change made a new finding and one template on many
// hosts of a system collapsed into one).

type nucleiResult struct {
	TemplateID string `json:"template-id"`
	Info       struct {
		Name           string      `json:"name"`
		Description    string      `json:"description"`
		Severity       string      `json:"severity"`
		Remediation    string      `json:"remediation"`
		Reference      flexStrings `json:"reference"`
		Classification *struct {
			CVEID       flexStrings `json:"cve-id"`
			CWEID       flexStrings `json:"cwe-id"`
			CVSSMetrics string      `json:"cvss-metrics"`
			CVSSScore   flexFloat   `json:"cvss-score"`
		} `json:"classification"`
	} `json:"info"`
	Type          string `json:"type"`
	Host          string `json:"host"`
	MatchedAt     string `json:"matched-at"`
	MatcherName   string `json:"matcher-name"`
	ExtractorName string `json:"extractor-name"`
	MatcherStatus *bool  `json:"matcher-status"`
}

func parseNuclei(p *parser, r io.Reader) error {
	br := bufio.NewReaderSize(r, 64<<10)
	first := byte(0)
	for {
		b, err := br.ReadByte()
		if err == io.EOF {
			return nil // an empty file: a scan that found nothing
		}
		if err != nil {
			return p.errAt("", "%v", err)
		}
		if b != ' ' && b != '\t' && b != '\r' && b != '\n' && b != 0xEF && b != 0xBB && b != 0xBF {
			first = b
			_ = br.UnreadByte()
			break
		}
	}
	j := newJStream(p, br)
	if first == '[' {
		if err := j.array("$", func(_ int, w string) error {
			var res nucleiResult
			if err := j.decode(w, &res); err != nil {
				return err
			}
			return nucleiItem(p, &res, w)
		}); err != nil {
			return err
		}
		return j.end()
	}
	for n := 1; ; n++ {
		var res nucleiResult
		w := "result " + strconv.Itoa(n)
		if err := j.dec.Decode(&res); err == io.EOF {
			return nil
		} else if err != nil {
			return j.fail(w, err)
		}
		if err := nucleiItem(p, &res, w); err != nil {
			return err
		}
	}
}

func nucleiItem(p *parser, res *nucleiResult, w string) error {
	if res.TemplateID == "" {
		return p.errAt(w+".template-id", "required (this does not look like a Nuclei result)")
	}
	if res.MatcherStatus != nil && !*res.MatcherStatus {
		p.stats.skip("nuclei matcher-status false")
		return nil
	}
	it := Item{
		Title:  res.Info.Name,
		Tool:   Tool{Name: "Nuclei"},
		RuleID: res.TemplateID,
	}
	if sev, ok := severityWord(res.Info.Severity); ok {
		it.Severity = sev
	} else {
		it.Severity = "info" // Nuclei's "unknown"
	}
	if c := res.Info.Classification; c != nil {
		it.CVE = c.CVEID
		for _, s := range c.CWEID {
			if n, ok := cweNumber(s); ok {
				it.CWE = append(it.CWE, n)
			}
		}
		it.CVSSVector, it.CVSSScore = c.CVSSMetrics, c.CVSSScore.ptr()
	}
	at := res.MatchedAt
	if at == "" {
		at = res.Host
	}
	if strings.Contains(at, "://") {
		it.Location.URL = at
	} else {
		it.Location.Host = at
	}
	if it.Location.Host == "" {
		it.Location.Host = hostOf(res.Host)
	}
	desc := []string{res.Info.Description}
	if res.MatcherName != "" {
		desc = append(desc, "Matcher: "+res.MatcherName)
	}
	if res.Info.Remediation != "" {
		desc = append(desc, "Remediation: "+res.Info.Remediation)
	}
	desc = append(desc, res.Info.Reference...)
	it.Description = strings.TrimSpace(strings.Join(slices.DeleteFunc(desc, func(s string) bool { return s == "" }), "\n\n"))
	return p.add(it, res.TemplateID, res.MatcherName, res.ExtractorName, res.Type, hostOf(res.Host), maskURL(at))
}

// hostOf reduces a URL or host:port to lower-case scheme://host:port (or
// host:port), dropping the path.
func hostOf(s string) string {
	s = strings.TrimSpace(s)
	if u, err := url.Parse(s); err == nil && u.Scheme != "" && u.Host != "" {
		return strings.ToLower(u.Scheme + "://" + u.Host)
	}
	return strings.ToLower(s)
}

// maskURL keeps a URL's scheme, host, path and query parameter names
// (sorted), dropping values and fragments, which scanners vary (cache
// busters, timestamps, payload markers).
func maskURL(s string) string {
	s = strings.TrimSpace(s)
	u, err := url.Parse(s)
	if err != nil || u.Scheme == "" || u.Host == "" {
		return strings.ToLower(s)
	}
	out := strings.ToLower(u.Scheme+"://"+u.Host) + u.EscapedPath()
	if u.RawQuery != "" {
		q, _ := url.ParseQuery(u.RawQuery)
		names := make([]string, 0, len(q))
		for k := range q {
			names = append(names, k)
		}
		slices.Sort(names)
		out += "?" + strings.Join(names, "&")
	}
	return out
}
