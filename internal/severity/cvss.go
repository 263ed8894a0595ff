package severity

import (
	"errors"
	"fmt"
	"math"
	"strings"

	gocvss30 "github.com/pandatix/go-cvss/30"
	gocvss31 "github.com/pandatix/go-cvss/31"
	gocvss40 "github.com/pandatix/go-cvss/40"
)

// CVSS is a parsed vector with its base score and severity.
type CVSS struct {
	Vector   string  `json:"vector"`
	Version  string  `json:"version"` // "3.0", "3.1" or "4.0"
	Score    float64 `json:"score"`
	Severity string  `json:"severity"` // critical, high, medium, low, info (CVSS "none")
}

// ErrCVSS is wrapped by every vector error.
var ErrCVSS = errors.New("not a valid CVSS 3.0, 3.1 or 4.0 vector")

// ParseCVSS parses a CVSS 3.0, 3.1 or 4.0 vector and computes its base
// score (github.com/pandatix/go-cvss, rounded to one decimal) and
// severity. The vector comes back in its canonical order.
func ParseCVSS(vector string) (CVSS, error) {
	vector = strings.TrimSpace(vector)
	if len(vector) > 300 {
		return CVSS{}, fmt.Errorf("%w: too long", ErrCVSS)
	}
	var c CVSS
	switch {
	case strings.HasPrefix(vector, "CVSS:3.0/"):
		v, err := gocvss30.ParseVector(vector)
		if err != nil {
			return CVSS{}, fmt.Errorf("%w: %v", ErrCVSS, err)
		}
		c = CVSS{Vector: v.Vector(), Version: "3.0", Score: v.BaseScore()}
	case strings.HasPrefix(vector, "CVSS:3.1/"):
		v, err := gocvss31.ParseVector(vector)
		if err != nil {
			return CVSS{}, fmt.Errorf("%w: %v", ErrCVSS, err)
		}
		c = CVSS{Vector: v.Vector(), Version: "3.1", Score: v.BaseScore()}
	case strings.HasPrefix(vector, "CVSS:4.0/"):
		v, err := gocvss40.ParseVector(vector)
		if err != nil {
			return CVSS{}, fmt.Errorf("%w: %v", ErrCVSS, err)
		}
		c = CVSS{Vector: v.Vector(), Version: "4.0", Score: v.Score()}
	default:
		return CVSS{}, fmt.Errorf("%w: it must start with CVSS:3.0/, CVSS:3.1/ or CVSS:4.0/", ErrCVSS)
	}
	if math.IsNaN(c.Score) || c.Score < 0 || c.Score > 10 {
		return CVSS{}, fmt.Errorf("%w: score out of range", ErrCVSS)
	}
	c.Score = math.Round(c.Score*10) / 10
	c.Severity = OfScore(c.Score)
	return c, nil
}

// OfScore maps a CVSS score to a severity by the CVSS rating bands (the
// same in 3.x and 4.0): 9.0 critical, 7.0 high, 4.0 medium, 0.1 low, 0 info.
func OfScore(score float64) string {
	switch {
	case score >= 9.0:
		return "critical"
	case score >= 7.0:
		return "high"
	case score >= 4.0:
		return "medium"
	case score > 0:
		return "low"
	}
	return "info"
}

// Metric is one base metric of a CVSS version.
type Metric struct {
	Key    string
	Name   string
	Values []string
}

// CVSS31Metrics lists the CVSS 3.1 base metrics and their values, in
// vector order, for the calculator form.
var CVSS31Metrics = []Metric{
	{"AV", "Attack vector", []string{"N", "A", "L", "P"}},
	{"AC", "Attack complexity", []string{"L", "H"}},
	{"PR", "Privileges required", []string{"N", "L", "H"}},
	{"UI", "User interaction", []string{"N", "R"}},
	{"S", "Scope", []string{"U", "C"}},
	{"C", "Confidentiality", []string{"H", "L", "N"}},
	{"I", "Integrity", []string{"H", "L", "N"}},
	{"A", "Availability", []string{"H", "L", "N"}},
}

// CVSS40Metrics lists the CVSS 4.0 base metrics.
var CVSS40Metrics = []Metric{
	{"AV", "Attack vector", []string{"N", "A", "L", "P"}},
	{"AC", "Attack complexity", []string{"L", "H"}},
	{"AT", "Attack requirements", []string{"N", "P"}},
	{"PR", "Privileges required", []string{"N", "L", "H"}},
	{"UI", "User interaction", []string{"N", "P", "A"}},
	{"VC", "Vulnerable system confidentiality", []string{"H", "L", "N"}},
	{"VI", "Vulnerable system integrity", []string{"H", "L", "N"}},
	{"VA", "Vulnerable system availability", []string{"H", "L", "N"}},
	{"SC", "Subsequent system confidentiality", []string{"H", "L", "N"}},
	{"SI", "Subsequent system integrity", []string{"H", "L", "N"}},
	{"SA", "Subsequent system availability", []string{"H", "L", "N"}},
}

// BuildVector makes a vector of version ("3.1" or "4.0") from metric
// values (as a calculator form sends them) and parses it.
func BuildVector(version string, values map[string]string) (CVSS, error) {
	metrics, prefix := CVSS31Metrics, "CVSS:3.1"
	if version == "4.0" {
		metrics, prefix = CVSS40Metrics, "CVSS:4.0"
	}
	var b strings.Builder
	b.WriteString(prefix)
	for _, m := range metrics {
		b.WriteString("/" + m.Key + ":" + values[m.Key])
	}
	return ParseCVSS(b.String())
}
