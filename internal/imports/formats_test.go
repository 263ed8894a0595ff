package imports

import (
	"errors"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// find returns the item with that rule id whose location contains loc.
func find(t *testing.T, items []Item, rule, loc string) Item {
	t.Helper()
	for _, it := range items {
		if it.RuleID == rule && strings.Contains(it.Location.String(), loc) {
			return it
		}
	}
	t.Fatalf("no item %s at %s", rule, loc)
	return Item{}
}

func score(f *float64) float64 {
	if f == nil {
		return -1
	}
	return *f
}

// TestFieldsPerFormat checks that each format's fields land in the item.
func TestFieldsPerFormat(t *testing.T) {
	type want struct {
		rule, loc, title, severity, vector string
		score                              float64
		cwe                                []int
		cve                                []string
		location                           string
		tool                               Tool
		dismissed                          string
	}
	for _, tc := range []struct {
		format Format
		path   string
		want   []want
	}{
		{SARIF, "sarif/v1.sarif", []want{
			{rule: "js/sql-injection", loc: "db.js", title: "Database query built from user-controlled sources", severity: "high", score: 8.8, cwe: []int{89, 90}, location: "src/db.js:42", tool: Tool{"CodeQL", "2.19.1"}},
			{rule: "js/xss", loc: "view.js:10", title: "Client-side cross-site scripting", severity: "high", score: -1, cwe: []int{79}, location: "src/view.js:10", tool: Tool{"CodeQL", "2.19.1"}},
			{rule: "js/unused-local-variable", loc: "util.js", severity: "low", score: -1, location: "src/util.js:3", tool: Tool{"CodeQL", "2.19.1"}, title: "Unused variable, import, function or class"},
			{rule: "js/xss", loc: "fixture.js", severity: "medium", score: -1, cwe: []int{79}, location: "test/fixture.js:1", tool: Tool{"CodeQL", "2.19.1"}, title: "Client-side cross-site scripting", dismissed: "suppressed in the SARIF file: test data"},
			{rule: "python.lang.security.audit.eval-detected", loc: "calc.py", title: "Detected the use of eval()", severity: "medium", score: -1, cwe: []int{95}, location: "tools/calc.py:7", tool: Tool{"Semgrep OSS", "1.90.0"}},
		}},
		{Trivy, "trivy/v1.json", []want{
			{rule: "CVE-2024-0727", loc: "libssl3", title: "CVE-2024-0727 in libssl3: openssl: denial of service via null dereference", severity: "high",
				vector: "CVSS:3.1/AV:L/AC:L/PR:N/UI:R/S:U/C:N/I:N/A:H", score: 5.5, cwe: []int{476}, cve: []string{"CVE-2024-0727"},
				location: "libssl3@3.0.11-1~deb12u2 registry.example.gov/payments:1.4 (debian 12.5)", tool: Tool{"Trivy", "0.57.1"}},
			{rule: "CVE-2021-23337", loc: "legacy-ui", severity: "high", vector: "CVSS:3.1/AV:N/AC:L/PR:H/UI:N/S:U/C:H/I:H/A:H", score: 7.2, cwe: []int{94}, cve: []string{"CVE-2021-23337"},
				location: "lodash@4.17.20 app/node_modules/legacy-ui/node_modules/lodash/package.json", tool: Tool{"Trivy", "0.57.1"}, title: "CVE-2021-23337 in lodash: nodejs-lodash: command injection via template"},
			{rule: "AVD-DS-0002", loc: "Dockerfile", title: "Image user should not be 'root'", severity: "high", score: -1, location: "Dockerfile:1", tool: Tool{"Trivy", "0.57.1"}},
			{rule: "aws-access-key-id", loc: ".env", title: "AWS Access Key ID", severity: "critical", score: -1, cwe: []int{798}, location: "app/.env:2", tool: Tool{"Trivy", "0.57.1"}},
		}},
		{Nuclei, "nuclei/v1.jsonl", []want{
			{rule: "CVE-2021-44228", loc: "pay", title: "Apache Log4j2 Remote Code Injection", severity: "critical", vector: "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H", score: 10,
				cwe: []int{400, 502}, cve: []string{"CVE-2021-44228"}, location: "https://pay.example.gov/api/login?cb=1", tool: Tool{Name: "Nuclei"}},
			{rule: "expired-ssl", loc: "portal", title: "Expired SSL Certificate", severity: "low", score: -1, cwe: []int{298}, location: "portal.example.gov:443", tool: Tool{Name: "Nuclei"}},
		}},
		{ZAP, "zap/v1.json", []want{
			{rule: "10038-1", loc: "pay", title: "Content Security Policy (CSP) Header Not Set", severity: "medium", score: -1, cwe: []int{693}, location: "https://pay.example.gov/", tool: Tool{"ZAP", "2.15.0"}},
			{rule: "40012", loc: "pay", title: "Cross Site Scripting (Reflected)", severity: "high", score: -1, cwe: []int{79}, location: "https://pay.example.gov/search?q=%3Cscript%3E", tool: Tool{"ZAP", "2.15.0"}},
			{rule: "10096", loc: "pay", title: "Timestamp Disclosure - Unix", severity: "info", score: -1, cwe: []int{200}, location: "https://pay.example.gov/app.js", tool: Tool{"ZAP", "2.15.0"}, dismissed: "ZAP rates this alert a false positive (confidence 0)"},
		}},
		{CycloneDXVEX, "cyclonedx/v1.cdx.json", []want{
			{rule: "CVE-2021-44228", loc: "log4j", title: "CVE-2021-44228 in org.apache.logging.log4j/log4j-core", severity: "critical", vector: "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H", score: 10,
				cwe: []int{20, 400, 502}, cve: []string{"CVE-2021-44228"}, location: "org.apache.logging.log4j/log4j-core@2.14.1", tool: Tool{"vexctl-example", "0.3.0"}},
			{rule: "CVE-2021-23337", loc: "lodash", title: "CVE-2021-23337 in lodash", severity: "high", score: -1, cwe: []int{94}, cve: []string{"CVE-2021-23337"}, location: "lodash@4.17.20", tool: Tool{"vexctl-example", "0.3.0"}, dismissed: "VEX analysis: not_affected (code_not_reachable)"},
		}},
		{CycloneDXVEX, "cyclonedx/v1-spec14.cdx.json", []want{
			{rule: "CVE-2020-8203", loc: "lodash", title: "CVE-2020-8203 in lodash", severity: "high", vector: "CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:U/C:N/I:H/A:H", score: 7.4,
				cwe: []int{1321}, cve: []string{"CVE-2020-8203"}, location: "lodash@4.17.20", tool: Tool{"vexctl-example", "0.3.0"}},
		}},
		{CycloneDXVEX, "cyclonedx/v1-spec16.cdx.json", []want{
			{rule: "CVE-2020-8203", loc: "lodash", title: "CVE-2020-8203 in lodash", severity: "high", vector: "CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:U/C:N/I:H/A:H", score: 7.4,
				cwe: []int{1321}, cve: []string{"CVE-2020-8203"}, location: "lodash@4.17.20", tool: Tool{"vexctl-example", "0.3.0"}},
		}},
		{XCCDF, "xccdf/v1.xml", []want{
			{rule: "xccdf_gov.example_rule_sshd_disable_root_login", loc: "web01", title: "Disable SSH Root Login", severity: "high", score: -1, location: "web01.pay.example.gov", tool: Tool{"oscap", "1.3.10"}},
			{rule: "xccdf_gov.example_rule_package_openssl_updated", loc: "web01", title: "Ensure openssl is up to date", severity: "high", score: -1, cve: []string{"CVE-2024-0727"}, location: "web01.pay.example.gov", tool: Tool{"oscap", "1.3.10"}},
		}},
	} {
		t.Run(tc.path, func(t *testing.T) {
			items, _ := parseFile(t, tc.format, filepath.Join("testdata", tc.path))
			for _, w := range tc.want {
				it := find(t, items, w.rule, w.loc)
				if it.Title != w.title || it.Severity != w.severity || it.CVSSVector != w.vector || score(it.CVSSScore) != w.score ||
					!slices.Equal(it.CWE, w.cwe) || !slices.Equal(it.CVE, w.cve) || it.Location.String() != w.location || it.Tool != w.tool || it.Dismissed != w.dismissed {
					t.Errorf("%s at %s:\n got %q %s %q %v cwe %v cve %v %q %+v %q\nwant %q %s %q %v cwe %v cve %v %q %+v %q", w.rule, w.loc,
						it.Title, it.Severity, it.CVSSVector, score(it.CVSSScore), it.CWE, it.CVE, it.Location.String(), it.Tool, it.Dismissed,
						w.title, w.severity, w.vector, w.score, w.cwe, w.cve, w.location, w.tool, w.dismissed)
				}
			}
		})
	}
}

// TestLineDriftIsNotANewFinding: the same SAST result moved down the file
// keeps its fingerprint (DefectDojo #11227).
func TestLineDriftIsNotANewFinding(t *testing.T) {
	v1, _ := parseFile(t, SARIF, "testdata/sarif/v1.sarif")
	v2, _ := parseFile(t, SARIF, "testdata/sarif/v2.sarif")
	a, b := find(t, v1, "js/sql-injection", "db.js"), find(t, v2, "js/sql-injection", "db.js")
	if a.Location.Line != 42 || b.Location.Line != 57 || a.Fingerprint != b.Fingerprint {
		t.Errorf("line %d → %d changed the fingerprint %s → %s", a.Location.Line, b.Location.Line, a.Fingerprint[:8], b.Fingerprint[:8])
	}
}

// TestSameVulnerabilityInManyPlaces: one CVE in two copies of a package,
// and one rule twice in a file with nothing else to tell them apart, are
// separate findings that a re-import matches one to one (DefectDojo
// #12924 matched all to the first and closed the rest).
func TestSameVulnerabilityInManyPlaces(t *testing.T) {
	trivy, _ := parseFile(t, Trivy, "testdata/trivy/v1.json")
	a, b := find(t, trivy, "CVE-2021-23337", "app/node_modules/lodash"), find(t, trivy, "CVE-2021-23337", "legacy-ui")
	if a.Fingerprint == b.Fingerprint {
		t.Error("the same CVE in two copies of lodash shares a fingerprint")
	}
	sarif, _ := parseFile(t, SARIF, "testdata/sarif/v1.sarif")
	r1, r2 := find(t, sarif, "js/missing-rate-limiting", "routes.js:12"), find(t, sarif, "js/missing-rate-limiting", "routes.js:40")
	if r1.Fingerprint == r2.Fingerprint {
		t.Error("two results of one rule in one file share a fingerprint")
	}
	again, _ := parseFile(t, SARIF, "testdata/sarif/v1.sarif")
	if find(t, again, "js/missing-rate-limiting", "routes.js:40").Fingerprint != r2.Fingerprint {
		t.Error("the numbered fingerprint is not stable across parses")
	}
}

// TestUpgradeStillVulnerableIsAnUpdate: the installed version is shown,
// not hashed, so upgrading to a version that is still affected updates
// the finding (DefectDojo #5166 put changing context in the hash).
func TestUpgradeStillVulnerableIsAnUpdate(t *testing.T) {
	v1, _ := parseFile(t, CycloneDXVEX, "testdata/cyclonedx/v1.cdx.json")
	v2, _ := parseFile(t, CycloneDXVEX, "testdata/cyclonedx/v2.cdx.json")
	a, b := find(t, v1, "CVE-2020-8203", "lodash"), find(t, v2, "CVE-2020-8203", "lodash")
	if a.Location.Version == b.Location.Version || a.Fingerprint != b.Fingerprint || a.Digest() == b.Digest() {
		t.Errorf("upgrade %s → %s: fingerprints %v equal, digests differ %v", a.Location.Version, b.Location.Version, a.Fingerprint == b.Fingerprint, a.Digest() != b.Digest())
	}
}

// TestBadInputNamesTheProblem: each parser refuses what is not its format
// with an *Error saying where.
func TestBadInputNamesTheProblem(t *testing.T) {
	for _, tc := range []struct {
		format     Format
		in         string
		where, msg string
	}{
		{SARIF, `{"version":"2.0.0","runs":[]}`, "$.version", "SARIF 2.1.0"},
		{SARIF, `{"runs":[]}`, "$.version", "required"},
		{SARIF, `{"version":"2.1.0","runs":[{"results":[]}]}`, "$.runs[0].tool", "required"},
		{SARIF, `{"version":"2.1.0","runs":[{"tool":{"driver":{"name":"x"}},"results":[{"ruleId":7}]}]}`, "$.runs[0].results[0].ruleId", "must be string"},
		{SARIF, `{"version":"2.1.0","runs":[{"tool":{"driver":{"name":"x"}},"results":[`, "$.runs[0].results", "unexpected end of file"},
		{SARIF, `{"version":"2.1.0","runs":"x"}`, "$.runs", "must be an array"},
		{SARIF, `{"version":"2.1.0","runs":[]} {}`, "$", "data after the end"},
		{Trivy, `{"Results":[]}`, "$.SchemaVersion", "required"},
		{Trivy, `{"SchemaVersion":1}`, "$.SchemaVersion", "schema version 2"},
		{Trivy, `{"SchemaVersion":2,"Results":[{"Target":"x","Vulnerabilities":[{"PkgName":"a"}]}]}`, "Results[].Vulnerabilities[]", "no VulnerabilityID"},
		{Nuclei, "{\"template-id\":\"a\",\"info\":{\"severity\":\"low\"}}\n{\"info\":{}}\n", "result 2.template-id", "required"},
		{Nuclei, "{\"template-id\":\"a\"}\nnot json\n", "result 2", "not JSON"},
		{ZAP, `{"@programName":"ZAP"}`, "$.site", "required"},
		{ZAP, `{"site":[{"@name":"https://a","alerts":[{"pluginid":"1","riskcode":"9"}]}]}`, "$.site[0].alerts[0].riskcode", "0, 1, 2 or 3"},
		{CycloneDXVEX, `{"bomFormat":"SPDX"}`, "$.bomFormat", "must be CycloneDX"},
		{CycloneDXVEX, `{"bomFormat":"CycloneDX","specVersion":"1.2"}`, "$.specVersion", "1.4 to 1.6"},
		{CycloneDXVEX, `{"bomFormat":"CycloneDX","specVersion":"1.5","vulnerabilities":[{"ratings":[]}]}`, "$.vulnerabilities[0].id", "required"},
		{XCCDF, `<Benchmark><Rule id="a"><title>x</title></Rule></Benchmark>`, "", "no TestResult"},
		{XCCDF, `<TestResult><rule-result idref="a"><result>fail</result></rule-result>`, "line 1", "not XML"},
		{XCCDF, `<TestResult><rule-result><result>fail</result></rule-result></TestResult>`, "line 1 (TestResult)", "without idref"},
	} {
		t.Run(string(tc.format)+" "+tc.msg, func(t *testing.T) {
			_, err := Parse(tc.format, strings.NewReader(tc.in), func(Item) error { return nil })
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("error %v is not an *imports.Error", err)
			}
			if e.Where != tc.where || !strings.Contains(e.Msg, tc.msg) || e.Format != tc.format {
				t.Errorf("got %s %q: %s\nwant %s %q: …%s…", e.Format, e.Where, e.Msg, tc.format, tc.where, tc.msg)
			}
		})
	}
	if _, err := Parse("nessus", strings.NewReader(""), nil); !errors.Is(err, ErrUnknownFormat) {
		t.Errorf("unknown format: %v", err)
	}
}

// TestResultsBeforeTool: a run that lists results before its tool is read
// the same (held until the tool arrives).
func TestResultsBeforeTool(t *testing.T) {
	in := `{"version":"2.1.0","runs":[{"results":[{"ruleId":"r1","level":"error","message":{"text":"m"},"locations":[{"physicalLocation":{"artifactLocation":{"uri":"a.go"},"region":{"startLine":3}}}]}],
		"tool":{"driver":{"name":"T","rules":[{"id":"r1","shortDescription":{"text":"Rule one"},"properties":{"tags":["CWE-22"]}}]}}}]}`
	var items []Item
	if _, err := Parse(SARIF, strings.NewReader(in), func(it Item) error { items = append(items, it); return nil }); err != nil {
		t.Fatal(err)
	}
	if len(items) != 1 || items[0].Title != "Rule one" || items[0].Severity != "high" || !slices.Equal(items[0].CWE, []int{22}) {
		t.Errorf("items = %+v", items)
	}
}

// TestEmitErrorStops: an error from emit ends the parse with that error.
func TestEmitErrorStops(t *testing.T) {
	stop := errors.New("stop")
	n := 0
	_, err := Parse(Trivy, strings.NewReader(`{"SchemaVersion":2,"Results":[{"Target":"t","Vulnerabilities":[{"VulnerabilityID":"CVE-2024-0001","PkgName":"a"},{"VulnerabilityID":"CVE-2024-0002","PkgName":"b"}]}]}`),
		func(Item) error { n++; return stop })
	if !errors.Is(err, stop) || n != 1 {
		t.Errorf("err %v after %d items", err, n)
	}
}

func TestParseFormat(t *testing.T) {
	for _, s := range []string{"sarif", "trivy", "nuclei", "zap", "cyclonedx-vex", "XCCDF"} {
		if _, err := ParseFormat(s); err != nil {
			t.Errorf("%s: %v", s, err)
		}
	}
	for _, s := range []string{"", "cyclonedx", "nessus"} {
		if _, err := ParseFormat(s); !errors.Is(err, ErrUnknownFormat) {
			t.Errorf("%q accepted", s)
		}
	}
}
