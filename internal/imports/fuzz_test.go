package imports

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"unicode/utf8"
)

// fuzzParse checks the promises every parser makes, whatever the input:
// no panic; a refusal is an *Error; every item has a distinct 64-hex
// fingerprint, a title within limits, a severity from kubu's vocabulary,
// a CVSS vector that parses and a score in range, and valid UTF-8.
func fuzzParse(t *testing.T, format Format, b []byte) {
	seen := map[string]bool{}
	_, err := Parse(format, bytes.NewReader(b), func(it Item) error {
		if len(it.Fingerprint) != 64 || seen[it.Fingerprint] {
			t.Fatalf("fingerprint %q missing or repeated", it.Fingerprint)
		}
		seen[it.Fingerprint] = true
		if it.Title == "" || len(it.Title) > MaxTitle || len(it.Description) > MaxDescription || len(it.RuleID) > MaxRuleID {
			t.Fatalf("limits: title %d, description %d, rule %d bytes", len(it.Title), len(it.Description), len(it.RuleID))
		}
		if !slices.Contains(Severities, it.Severity) {
			t.Fatalf("severity %q", it.Severity)
		}
		if it.CVSSVector != "" {
			if _, ok := cvssScore(it.CVSSVector); !ok {
				t.Fatalf("vector %q kept but does not parse", it.CVSSVector)
			}
		}
		if it.CVSSScore != nil && !(*it.CVSSScore >= 0 && *it.CVSSScore <= 10) {
			t.Fatalf("score %v", *it.CVSSScore)
		}
		for _, s := range []string{it.Title, it.Description, it.Location.String(), it.Tool.Name, it.RuleID, it.Dismissed} {
			if !utf8.ValidString(s) {
				t.Fatalf("invalid UTF-8 in %q", s)
			}
		}
		if it.Dismissed != "" && it.DismissedAs != "fixed" && it.DismissedAs != "false-positive" {
			t.Fatalf("dismissed as %q", it.DismissedAs)
		}
		return nil
	})
	if err != nil {
		var e *Error
		if !errors.As(err, &e) {
			t.Fatalf("error %v is not an *imports.Error", err)
		}
	}
}

func addFixtures(f *testing.F, dir string) {
	files, _ := filepath.Glob(filepath.Join("testdata", dir, "*"))
	for _, name := range files {
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
}

func FuzzSARIF(f *testing.F) {
	addFixtures(f, "sarif")
	f.Fuzz(func(t *testing.T, b []byte) { fuzzParse(t, SARIF, b) })
}

func FuzzTrivy(f *testing.F) {
	addFixtures(f, "trivy")
	f.Fuzz(func(t *testing.T, b []byte) { fuzzParse(t, Trivy, b) })
}

func FuzzNuclei(f *testing.F) {
	addFixtures(f, "nuclei")
	f.Fuzz(func(t *testing.T, b []byte) { fuzzParse(t, Nuclei, b) })
}

func FuzzZAP(f *testing.F) {
	addFixtures(f, "zap")
	f.Fuzz(func(t *testing.T, b []byte) { fuzzParse(t, ZAP, b) })
}

func FuzzCycloneDX(f *testing.F) {
	addFixtures(f, "cyclonedx")
	f.Fuzz(func(t *testing.T, b []byte) { fuzzParse(t, CycloneDXVEX, b) })
}

func FuzzXCCDF(f *testing.F) {
	addFixtures(f, "xccdf")
	f.Fuzz(func(t *testing.T, b []byte) { fuzzParse(t, XCCDF, b) })
}
