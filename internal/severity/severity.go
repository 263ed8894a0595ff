// Package severity is kubu's one vocabulary of how bad something is: the
// severities of findings and reports, the levels of Sigma rules and alerts,
// the one mapping between them, the one ranking of both, and the one CVSS
// parser (3.0, 3.1 and 4.0 vectors, github.com/pandatix/go-cvss) with the
// CVSS rating bands. Round 1 had two level rankings that disagreed about a
// rule without a level; this is the only one.
package severity

import (
	"slices"
	"strings"
)

// Severities are the severities of findings and reports, most severe
// first.
var Severities = []string{"critical", "high", "medium", "low", "info"}

// Levels are the Sigma rule levels (and so alert levels), lowest first.
var Levels = []string{"informational", "low", "medium", "high", "critical"}

// Valid reports whether s is a severity.
func Valid(s string) bool { return slices.Contains(Severities, s) }

// ValidLevel reports whether l is a Sigma level name.
func ValidLevel(l string) bool { return slices.Contains(Levels, l) }

// Level is a rule's level as kubu uses it: lower case, and "medium" for a
// rule without one or with a name Sigma does not define (Sigma's
// conventional default; live detection and kubu hunt both rank it so).
func Level(l string) string {
	l = strings.ToLower(strings.TrimSpace(l))
	if !ValidLevel(l) {
		return "medium"
	}
	return l
}

// OfLevel is the severity of a Sigma level: informational is info, the
// other levels have the same names.
func OfLevel(l string) string {
	if l = Level(l); l == "informational" {
		return "info"
	}
	return l
}

// LevelOf is the Sigma level of a severity (info is informational); ""
// for a word that is not a severity.
func LevelOf(s string) string {
	switch {
	case s == "info":
		return "informational"
	case Valid(s):
		return s
	}
	return ""
}

// Rank orders severities and levels on one scale: info and informational
// 1, low 2, medium 3, high 4, critical 5; anything else 0. Findings keep it
// in severity_rank and alerts in level_rank, so lists sort by it.
func Rank(s string) int {
	if s == "informational" {
		s = "info"
	}
	if i := slices.Index(Severities, s); i >= 0 {
		return len(Severities) - i
	}
	return 0
}

// LevelRank is the rank of a rule's level (Rank of Level(l)): a rule
// without a level ranks as medium.
func LevelRank(l string) int { return Rank(Level(l)) }
