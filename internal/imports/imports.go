// Package imports reads agencies' own test results — SARIF 2.1.0, Trivy
// JSON, Nuclei JSONL, OWASP ZAP JSON, CycloneDX VEX and XCCDF results —
// into one item shape with a per-format fingerprint, streaming so a
// 100 MB file is read in bounded memory, and reconciles a new import
// against the findings an earlier import made.
//
// It depends on nothing else in kubu.
package imports

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Format names an input format, as the API's ?format= does.
type Format string

// The formats kubu imports.
const (
	SARIF        Format = "sarif"
	Trivy        Format = "trivy"
	Nuclei       Format = "nuclei"
	ZAP          Format = "zap"
	CycloneDXVEX Format = "cyclonedx-vex"
	XCCDF        Format = "xccdf"
)

// Formats lists every format, in the contract's order.
var Formats = []Format{SARIF, Trivy, Nuclei, ZAP, CycloneDXVEX, XCCDF}

// Severities is kubu's severity vocabulary, most severe first (the same
// words as internal/findings).
var Severities = []string{"critical", "high", "medium", "low", "info"}

// Limits on what one item carries (the findings table's limits).
const (
	MaxTitle       = 300
	MaxDescription = 100_000
	MaxRuleID      = 200
)

// Item is one result of a tool, in kubu's shape.
type Item struct {
	// Fingerprint identifies the same weakness across imports of the same
	// tool for the same system (64 hex characters). See fingerprints in
	// docs/design.md: it never includes line numbers, severity or text
	// that tools reword, and equal keys within one file are numbered.
	Fingerprint string
	Title       string
	Severity    string // critical, high, medium, low, info
	CVSSVector  string // CVSS:3.x/… or CVSS:4.0/…, when the tool gives one
	CVSSScore   *float64
	CWE         []int
	CVE         []string
	Location    Location
	Description string
	Tool        Tool
	RuleID      string // the tool's own rule, template, plugin or vulnerability id
	// Dismissed is set when the file itself says the item is not a live
	// weakness: a CycloneDX VEX analysis of not_affected, false_positive or
	// resolved, or a suppressed SARIF result. Reconciliation closes a
	// matching finding instead of creating one.
	Dismissed string
	// DismissedAs is the finding status a dismissal closes with:
	// "false-positive" (not affected, suppressed) or "fixed" (resolved).
	DismissedAs string
}

// Location is where an item was found; the fields a format gives are set.
type Location struct {
	File    string
	Line    int
	URL     string
	Package string
	Version string
	Host    string
}

// String renders the location as file:line, URL, package@version or host.
func (l Location) String() string {
	var parts []string
	if l.Host != "" && l.URL == "" {
		parts = append(parts, l.Host)
	}
	if l.URL != "" {
		parts = append(parts, l.URL)
	}
	if l.Package != "" {
		p := l.Package
		if l.Version != "" {
			p += "@" + l.Version
		}
		parts = append(parts, p)
	}
	if l.File != "" {
		f := l.File
		if l.Line > 0 {
			f += ":" + strconv.Itoa(l.Line)
		}
		parts = append(parts, f)
	}
	return strings.Join(parts, " ")
}

// Tool is the tool that produced a result.
type Tool struct {
	Name    string
	Version string
}

// Stats describes one parse.
type Stats struct {
	Format  Format
	Items   int            // items emitted (each with a distinct fingerprint)
	Skipped map[string]int // results that are not findings, by reason (e.g. "sarif kind pass")
	Tools   []Tool         // the tools named in the file
}

func (s *Stats) skip(reason string) {
	if s.Skipped == nil {
		s.Skipped = map[string]int{}
	}
	s.Skipped[reason]++
}

func (s *Stats) tool(t Tool) {
	if t.Name != "" && !slices.Contains(s.Tools, t) {
		s.Tools = append(s.Tools, t)
	}
}

// Error is a parse failure: where in the file, and what is wrong.
type Error struct {
	Format Format
	Where  string // a JSON path, an XML element path, or "line N"
	Msg    string
}

func (e *Error) Error() string {
	if e.Where == "" {
		return fmt.Sprintf("%s: %s", e.Format, e.Msg)
	}
	return fmt.Sprintf("%s: %s: %s", e.Format, e.Where, e.Msg)
}

// ErrUnknownFormat is returned for a format kubu does not read.
var ErrUnknownFormat = errors.New("unknown import format (want sarif, trivy, nuclei, zap, cyclonedx-vex or xccdf)")

// Parse reads a file of the given format and calls emit once per item, in
// file order, each with a distinct fingerprint. It stops at the first
// error (of the file or of emit); a caller must not reconcile an import
// whose parse failed, since items after the error were not seen.
func Parse(format Format, r io.Reader, emit func(Item) error) (Stats, error) {
	p := &parser{format: format, emit: emit, seen: map[uint64]uint32{}}
	p.stats.Format = format
	var err error
	switch format {
	case SARIF:
		err = parseSARIF(p, r)
	case Trivy:
		err = parseTrivy(p, r)
	case Nuclei:
		err = parseNuclei(p, r)
	case ZAP:
		err = parseZAP(p, r)
	case CycloneDXVEX:
		err = parseCycloneDX(p, r)
	case XCCDF:
		err = parseXCCDF(p, r)
	default:
		return p.stats, fmt.Errorf("%q: %w", format, ErrUnknownFormat)
	}
	return p.stats, err
}

// parser carries what every format's reader shares.
type parser struct {
	format Format
	emit   func(Item) error
	stats  Stats
	seen   map[uint64]uint32 // first 8 bytes of the identity key hash → times seen in this file
}

func (p *parser) errAt(where, format string, a ...any) error {
	return &Error{Format: p.format, Where: where, Msg: fmt.Sprintf(format, a...)}
}

// add normalises an item, gives it its fingerprint from the identity key
// parts, and emits it. Equal keys within one file (the same rule twice in
// a file with no other distinguishing data) are numbered in file order,
// so every result is its own finding and importing the same file again
// matches each one (DefectDojo #12924 matched only the first).
func (p *parser) add(it Item, key ...string) error {
	k := string(p.format) + "\x00" + strings.Join(key, "\x00")
	sum := sha256.Sum256([]byte(k))
	short := binary.BigEndian.Uint64(sum[:8])
	n := p.seen[short]
	p.seen[short] = n + 1
	if n > 0 {
		sum = sha256.Sum256([]byte(k + "\x00#" + strconv.Itoa(int(n)+1)))
	}
	it.Fingerprint = hex.EncodeToString(sum[:])
	normalise(&it)
	p.stats.Items++
	p.stats.tool(it.Tool)
	return p.emit(it)
}

func normalise(it *Item) {
	it.Title = clip(oneLine(it.Title), MaxTitle)
	if it.Title == "" {
		it.Title = clip(oneLine(it.RuleID), MaxTitle)
	}
	if it.Title == "" {
		it.Title = "Untitled result"
	}
	it.Description = clip(validUTF8(it.Description), MaxDescription)
	it.RuleID = clip(oneLine(it.RuleID), MaxRuleID)
	if !slices.Contains(Severities, it.Severity) {
		it.Severity = "medium"
	}
	it.CVSSVector, it.CVSSScore = cleanCVSS(it.CVSSVector, it.CVSSScore)
	it.CWE = uniqueInts(it.CWE)
	it.CVE = uniqueCVEs(it.CVE)
	it.Location.File = clip(oneLine(it.Location.File), 1000)
	it.Location.URL = clip(oneLine(it.Location.URL), 2000)
	it.Location.Package = clip(oneLine(it.Location.Package), 500)
	it.Location.Version = clip(oneLine(it.Location.Version), 200)
	it.Location.Host = clip(oneLine(it.Location.Host), 500)
	if it.Location.Line < 0 {
		it.Location.Line = 0
	}
	it.Tool.Name = clip(oneLine(it.Tool.Name), 200)
	it.Tool.Version = clip(oneLine(it.Tool.Version), 100)
	it.Dismissed = clip(oneLine(it.Dismissed), 500)
	switch {
	case it.Dismissed == "":
		it.DismissedAs = ""
	case it.DismissedAs != "fixed":
		it.DismissedAs = "false-positive"
	}
}

func validUTF8(s string) string {
	if utf8.ValidString(s) {
		return s
	}
	return strings.ToValidUTF8(s, "\uFFFD")
}

func oneLine(s string) string {
	s = validUTF8(s)
	return strings.TrimSpace(strings.Join(strings.Fields(s), " "))
}

// clip cuts s to at most n bytes on a rune boundary.
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	i := n
	for i > 0 && !utf8.RuneStart(s[i]) {
		i--
	}
	return s[:i]
}

func uniqueInts(in []int) []int {
	var out []int
	for _, v := range in {
		if v > 0 && v <= 100000 && !slices.Contains(out, v) {
			out = append(out, v)
		}
	}
	slices.Sort(out)
	return out
}

func uniqueCVEs(in []string) []string {
	var out []string
	for _, v := range in {
		v = strings.ToUpper(strings.TrimSpace(v))
		if isCVE(v) && !slices.Contains(out, v) {
			out = append(out, v)
		}
	}
	slices.Sort(out)
	return out
}

// isCVE checks the CVE-YYYY-NNNN… form.
func isCVE(s string) bool {
	if len(s) < 13 || len(s) > 30 || !strings.HasPrefix(s, "CVE-") || s[8] != '-' {
		return false
	}
	for i, c := range s[4:] {
		if i == 4 {
			continue
		}
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// cweNumber reads "CWE-79", "cwe-079", "79", "external/cwe/cwe-79".
func cweNumber(s string) (int, bool) {
	s = strings.ToLower(strings.TrimSpace(s))
	if i := strings.LastIndex(s, "cwe-"); i >= 0 {
		s = s[i+4:]
	} else if i := strings.LastIndex(s, "cwe:"); i >= 0 {
		s = s[i+4:]
	}
	end := 0
	for end < len(s) && s[end] >= '0' && s[end] <= '9' {
		end++
	}
	if end == 0 || end > 6 {
		return 0, false
	}
	n, err := strconv.Atoi(s[:end])
	return n, err == nil && n > 0
}

// severityWord maps a tool's severity word to kubu's.
func severityWord(s string) (string, bool) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "critical":
		return "critical", true
	case "high", "error", "important":
		return "high", true
	case "medium", "moderate", "warning":
		return "medium", true
	case "low", "note", "minor":
		return "low", true
	case "info", "informational", "information", "none", "negligible":
		return "info", true
	}
	return "", false
}

// ParseFormat checks a format name as given to the API or `kubu import`.
func ParseFormat(s string) (Format, error) {
	f := Format(strings.ToLower(strings.TrimSpace(s)))
	if !slices.Contains(Formats, f) {
		return "", fmt.Errorf("%q: %w", s, ErrUnknownFormat)
	}
	return f, nil
}
