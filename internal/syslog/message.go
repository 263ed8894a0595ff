// Package syslog parses syslog messages as real senders emit them: RFC 5424,
// RFC 3164 (BSD) and the common variants seen from rsyslog, syslog-ng, network
// devices and appliances, and it splits TCP/TLS streams into frames following
// RFC 6587 (octet counting and non-transparent framing).
//
// The package depends on the standard library only. Parse never panics; on
// bad input it returns a *ParseError naming what was wrong and at which byte.
package syslog

import (
	"fmt"
	"time"
)

// Format says which syslog dialect a message was parsed as.
type Format uint8

// Formats recognised by Parse.
const (
	FormatUnknown Format = iota
	RFC5424
	RFC3164
)

// String returns "RFC5424", "RFC3164" or "unknown".
func (f Format) String() string {
	switch f {
	case RFC5424:
		return "RFC5424"
	case RFC3164:
		return "RFC3164"
	}
	return "unknown"
}

// DefaultPriority is the PRI a relay assigns to a message that arrived
// without one (RFC 3164 section 4.3.3: facility user, severity notice).
const DefaultPriority = 13

// Message is one parsed syslog message. Fields the sender left out (or sent
// as the NILVALUE "-") are empty strings.
type Message struct {
	Format Format

	// HasPriority is false when the message had no <PRI> part; Facility and
	// Severity then hold the RFC 3164 defaults (user.notice).
	HasPriority bool
	Facility    uint8 // 0..23
	Severity    uint8 // 0..7

	// Version is the RFC 5424 protocol version; 0 for RFC 3164.
	Version int

	// Timestamp is the zero time when the message carried none (or NILVALUE).
	Timestamp time.Time
	// YearAssumed is set when the source gave no year and one was chosen:
	// the year that puts the time nearest to the parser's reference now,
	// but never more than 31 days ahead of it.
	YearAssumed bool
	// ZoneAssumed is set when the source gave no usable UTC offset and the
	// parser's Location was applied.
	ZoneAssumed bool

	// Sequence is the message counter some network devices (Cisco IOS
	// "service sequence-numbers") put before the timestamp.
	Sequence string

	Hostname string
	AppName  string // RFC 5424 APP-NAME, or the RFC 3164 TAG
	ProcID   string // RFC 5424 PROCID, or the pid in TAG[pid]
	MsgID    string

	StructuredData []SDElement

	// Msg is the free-form message, without a leading UTF-8 BOM.
	Msg string
	// MsgBOM reports that MSG began with a UTF-8 BOM (RFC 5424 MSG-UTF8).
	MsgBOM bool
}

// Priority returns the PRI value, Facility*8 + Severity.
func (m *Message) Priority() int { return int(m.Facility)*8 + int(m.Severity) }

// SDElement is one RFC 5424 structured-data element, [ID name="value" …].
type SDElement struct {
	ID     string
	Params []SDParam
}

// SDParam is one name="value" pair; Value has its escapes (\" \\ \]) removed.
type SDParam struct {
	Name  string
	Value string
}

// ParseError reports malformed input and the byte offset where parsing
// stopped.
type ParseError struct {
	Offset int
	Reason string
}

func (e *ParseError) Error() string {
	return fmt.Sprintf("syslog: %s at byte %d", e.Reason, e.Offset)
}

func errAt(off int, format string, args ...any) error {
	return &ParseError{Offset: off, Reason: fmt.Sprintf(format, args...)}
}
