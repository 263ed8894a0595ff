package severity_test

import (
	"testing"

	"github.com/kubu-gov/kubu/internal/severity"
)

// TestOneRanking: severities and Sigma levels share one scale, and a rule
// without a level (or with one Sigma does not define) ranks as medium —
// round 1 ranked it medium in detection and informational in kubu hunt.
func TestOneRanking(t *testing.T) {
	for s, want := range map[string]int{"critical": 5, "high": 4, "medium": 3, "low": 2, "info": 1, "informational": 1, "": 0, "severe": 0} {
		if got := severity.Rank(s); got != want {
			t.Errorf("Rank(%q) = %d, want %d", s, got, want)
		}
	}
	for l, want := range map[string]int{"critical": 5, "High": 4, " low ": 2, "informational": 1, "": 3, "urgent": 3} {
		if got := severity.LevelRank(l); got != want {
			t.Errorf("LevelRank(%q) = %d, want %d", l, got, want)
		}
	}
	for i := 1; i < len(severity.Levels); i++ {
		if severity.Rank(severity.Levels[i-1]) >= severity.Rank(severity.Levels[i]) {
			t.Errorf("Levels are not lowest first at %s", severity.Levels[i])
		}
	}
	for i := 1; i < len(severity.Severities); i++ {
		if severity.Rank(severity.Severities[i-1]) <= severity.Rank(severity.Severities[i]) {
			t.Errorf("Severities are not most severe first at %s", severity.Severities[i])
		}
	}
}

// TestOneMapping: every level has a severity of the same rank, and back.
func TestOneMapping(t *testing.T) {
	for _, l := range severity.Levels {
		s := severity.OfLevel(l)
		if !severity.Valid(s) || severity.Rank(s) != severity.Rank(l) || severity.LevelOf(s) != l {
			t.Errorf("level %s → severity %s (rank %d vs %d) → level %s", l, s, severity.Rank(s), severity.Rank(l), severity.LevelOf(s))
		}
	}
	if severity.OfLevel("") != "medium" || severity.OfLevel("INFORMATIONAL") != "info" || severity.LevelOf("severe") != "" {
		t.Fatal("OfLevel/LevelOf on odd input")
	}
}

func TestParseCVSS(t *testing.T) {
	tests := []struct {
		vector   string
		version  string
		score    float64
		severity string
		bad      bool
	}{
		{"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", "3.1", 9.8, "critical", false},
		{"CVSS:3.1/AV:N/AC:L/PR:L/UI:R/S:C/C:L/I:L/A:N", "3.1", 5.4, "medium", false},
		{"CVSS:3.1/AV:P/AC:H/PR:H/UI:R/S:U/C:N/I:N/A:N", "3.1", 0, "info", false},
		{"CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N", "4.0", 9.3, "critical", false},
		{"CVSS:4.0/AV:L/AC:L/AT:N/PR:L/UI:N/VC:L/VI:N/VA:N/SC:N/SI:N/SA:N", "4.0", 4.8, "medium", false},
		{"CVSS:3.0/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", "3.0", 9.8, "critical", false},
		{" CVSS:3.0/AV:L/AC:H/PR:H/UI:R/S:U/C:L/I:N/A:N ", "3.0", 1.8, "low", false},
		{"CVSS:3.1/AV:N", "", 0, "", true},
		{"CVSS:2.0/AV:N/AC:L/Au:N/C:P/I:P/A:P", "", 0, "", true},
		{"AV:N/AC:L", "", 0, "", true},
		{"", "", 0, "", true},
	}
	for _, tt := range tests {
		t.Run(tt.vector, func(t *testing.T) {
			c, err := severity.ParseCVSS(tt.vector)
			if tt.bad {
				if err == nil {
					t.Fatalf("accepted %q", tt.vector)
				}
				return
			}
			if err != nil || c.Version != tt.version || c.Score != tt.score || c.Severity != tt.severity {
				t.Fatalf("ParseCVSS = %+v, %v; want %s %.1f %s", c, err, tt.version, tt.score, tt.severity)
			}
		})
	}
	c, err := severity.BuildVector("3.1", map[string]string{"AV": "N", "AC": "L", "PR": "N", "UI": "N", "S": "U", "C": "H", "I": "H", "A": "H"})
	if err != nil || c.Score != 9.8 {
		t.Fatalf("BuildVector: %+v %v", c, err)
	}
	for score, want := range map[float64]string{10: "critical", 9: "critical", 8.9: "high", 7: "high", 6.9: "medium", 4: "medium", 3.9: "low", 0.1: "low", 0: "info"} {
		if got := severity.OfScore(score); got != want {
			t.Errorf("OfScore(%.1f) = %s, want %s", score, got, want)
		}
	}
}

// FuzzParseCVSS: no vector panics the parser; an accepted one has a score
// in range and its band's severity, and re-parses to itself.
func FuzzParseCVSS(f *testing.F) {
	for _, s := range []string{"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N",
		"CVSS:3.1/AV:N/AV:N", "CVSS:4.0/", "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/E:X", "CVSS:3.0/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		c, err := severity.ParseCVSS(s)
		if err != nil {
			return
		}
		if c.Score < 0 || c.Score > 10 || severity.OfScore(c.Score) != c.Severity || !severity.Valid(c.Severity) {
			t.Fatalf("%q: %+v", s, c)
		}
		again, err := severity.ParseCVSS(c.Vector)
		if err != nil || again.Score != c.Score || again.Vector != c.Vector {
			t.Fatalf("%q re-parsed as %+v, %v", c.Vector, again, err)
		}
	})
}
