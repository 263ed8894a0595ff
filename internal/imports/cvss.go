package imports

import (
	"math"
	"strings"

	gocvss30 "github.com/pandatix/go-cvss/30"
	gocvss31 "github.com/pandatix/go-cvss/31"
	gocvss40 "github.com/pandatix/go-cvss/40"
)

// cvssScore parses a CVSS 3.0, 3.1 or 4.0 vector and returns its base
// score; ok is false for anything else (CVSS 2 vectors are dropped).
func cvssScore(vector string) (score float64, ok bool) {
	vector = strings.TrimSpace(vector)
	if len(vector) > 300 {
		return 0, false
	}
	switch {
	case strings.HasPrefix(vector, "CVSS:3.0/"):
		v, err := gocvss30.ParseVector(vector)
		if err != nil {
			return 0, false
		}
		score = v.BaseScore()
	case strings.HasPrefix(vector, "CVSS:3.1/"):
		v, err := gocvss31.ParseVector(vector)
		if err != nil {
			return 0, false
		}
		score = v.BaseScore()
	case strings.HasPrefix(vector, "CVSS:4.0/"):
		v, err := gocvss40.ParseVector(vector)
		if err != nil {
			return 0, false
		}
		score = v.Score()
	default:
		return 0, false
	}
	if math.IsNaN(score) || score < 0 || score > 10 {
		return 0, false
	}
	return math.Round(score*10) / 10, true
}

// cleanCVSS keeps a vector only if it parses, and a score only if it is
// in range; a missing score is computed from the vector.
func cleanCVSS(vector string, score *float64) (string, *float64) {
	vector = strings.TrimSpace(vector)
	computed, ok := cvssScore(vector)
	if !ok {
		vector = ""
	}
	if score != nil && (math.IsNaN(*score) || *score < 0 || *score > 10) {
		score = nil
	}
	if score == nil && ok {
		score = &computed
	}
	return vector, score
}

// severityOfScore maps a CVSS score to kubu's severity by the CVSS rating
// bands (9.0 critical, 7.0 high, 4.0 medium, 0.1 low, 0 info).
func severityOfScore(score float64) string {
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

func ptr(f float64) *float64 { return &f }
