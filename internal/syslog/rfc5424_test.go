package syslog

import (
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

var refNow = time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)

func testParser() *Parser {
	return &Parser{Now: func() time.Time { return refNow }}
}

func mustTime(t *testing.T, s string) time.Time {
	t.Helper()
	ts, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		t.Fatal(err)
	}
	return ts
}

// timeEqual lets cmp compare time.Time by instant and offset.
var timeEqual = cmp.Comparer(func(a, b time.Time) bool {
	_, oa := a.Zone()
	_, ob := b.Zone()
	return a.Equal(b) && oa == ob
})

func TestParse5424(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want Message
	}{
		{
			name: "RFC 5424 example 1: no SD, BOM in MSG",
			in:   "<34>1 2003-10-11T22:14:15.003Z mymachine.example.com su - ID47 - \xEF\xBB\xBF'su root' failed for lonvick on /dev/pts/8",
			want: Message{Format: RFC5424, HasPriority: true, Facility: 4, Severity: 2, Version: 1,
				Timestamp: mustTime(t, "2003-10-11T22:14:15.003Z"), Hostname: "mymachine.example.com",
				AppName: "su", MsgID: "ID47", Msg: "'su root' failed for lonvick on /dev/pts/8", MsgBOM: true},
		},
		{
			name: "RFC 5424 example 2: microseconds and offset",
			in:   "<165>1 2003-08-24T05:14:15.000003-07:00 192.0.2.1 myproc 8710 - - %% It's time to make the do-nuts.",
			want: Message{Format: RFC5424, HasPriority: true, Facility: 20, Severity: 5, Version: 1,
				Timestamp: mustTime(t, "2003-08-24T05:14:15.000003-07:00"), Hostname: "192.0.2.1",
				AppName: "myproc", ProcID: "8710", Msg: "%% It's time to make the do-nuts."},
		},
		{
			name: "RFC 5424 example 3: SD and MSG",
			in:   `<165>1 2003-10-11T22:14:15.003Z mymachine.example.com evntslog - ID47 [exampleSDID@32473 iut="3" eventSource="Application" eventID="1011"] ` + "\xEF\xBB\xBFAn application event log entry...",
			want: Message{Format: RFC5424, HasPriority: true, Facility: 20, Severity: 5, Version: 1,
				Timestamp: mustTime(t, "2003-10-11T22:14:15.003Z"), Hostname: "mymachine.example.com",
				AppName: "evntslog", MsgID: "ID47",
				StructuredData: []SDElement{{ID: "exampleSDID@32473", Params: []SDParam{
					{"iut", "3"}, {"eventSource", "Application"}, {"eventID", "1011"}}}},
				Msg: "An application event log entry...", MsgBOM: true},
		},
		{
			name: "RFC 5424 example 4: two SD elements, no MSG",
			in:   `<165>1 2003-10-11T22:14:15.003Z mymachine.example.com evntslog - ID47 [exampleSDID@32473 iut="3" eventSource="Application" eventID="1011"][examplePriority@32473 class="high"]`,
			want: Message{Format: RFC5424, HasPriority: true, Facility: 20, Severity: 5, Version: 1,
				Timestamp: mustTime(t, "2003-10-11T22:14:15.003Z"), Hostname: "mymachine.example.com",
				AppName: "evntslog", MsgID: "ID47",
				StructuredData: []SDElement{
					{ID: "exampleSDID@32473", Params: []SDParam{{"iut", "3"}, {"eventSource", "Application"}, {"eventID", "1011"}}},
					{ID: "examplePriority@32473", Params: []SDParam{{"class", "high"}}},
				}},
		},
		{
			name: "NILVALUE everywhere",
			in:   "<13>1 - - - - - -",
			want: Message{Format: RFC5424, HasPriority: true, Facility: 1, Severity: 5, Version: 1},
		},
		{
			name: "escapes in PARAM-VALUE, other backslashes kept",
			in:   `<14>1 2026-11-28T10:00:00+08:00 h a p m [x@1 v="a\"b\\c\]d\ne"] hi`,
			want: Message{Format: RFC5424, HasPriority: true, Facility: 1, Severity: 6, Version: 1,
				Timestamp: mustTime(t, "2026-11-28T10:00:00+08:00"), Hostname: "h", AppName: "a", ProcID: "p", MsgID: "m",
				StructuredData: []SDElement{{ID: "x@1", Params: []SDParam{{"v", `a"b\c]d\ne`}}}}, Msg: "hi"},
		},
		{
			name: "SD element without params, empty value, unescaped ] in value",
			in:   `<14>1 2026-11-28T10:00:00Z h a p m [timeQuality][meta sequenceId="" x="a]b"]`,
			want: Message{Format: RFC5424, HasPriority: true, Facility: 1, Severity: 6, Version: 1,
				Timestamp: mustTime(t, "2026-11-28T10:00:00Z"), Hostname: "h", AppName: "a", ProcID: "p", MsgID: "m",
				StructuredData: []SDElement{{ID: "timeQuality"}, {ID: "meta", Params: []SDParam{{"sequenceId", ""}, {"x", "a]b"}}}}},
		},
		{
			name: "rsyslog RSYSLOG_SyslogProtocol23Format with trailing LF",
			in:   "<30>1 2026-11-28T09:15:02.123456+08:00 web01 sshd 4242 - - Accepted publickey for admin from 10.0.0.5 port 51234 ssh2\n",
			want: Message{Format: RFC5424, HasPriority: true, Facility: 3, Severity: 6, Version: 1,
				Timestamp: mustTime(t, "2026-11-28T09:15:02.123456+08:00"), Hostname: "web01", AppName: "sshd", ProcID: "4242",
				Msg: "Accepted publickey for admin from 10.0.0.5 port 51234 ssh2"},
		},
		{
			name: "syslog-ng with nanoseconds, +hhmm offset and empty MSG",
			in:   "<38>1 2026-11-28T09:15:02.123456789+0800 host app - - - ",
			want: Message{Format: RFC5424, HasPriority: true, Facility: 4, Severity: 6, Version: 1,
				Timestamp: mustTime(t, "2026-11-28T09:15:02.123456789+08:00"), Hostname: "host", AppName: "app"},
		},
		{
			name: "timestamp without offset takes the parser location",
			in:   "<38>1 2026-11-28T09:15:02 host app - - - x",
			want: Message{Format: RFC5424, HasPriority: true, Facility: 4, Severity: 6, Version: 1,
				Timestamp: mustTime(t, "2026-11-28T09:15:02Z"), ZoneAssumed: true, Hostname: "host", AppName: "app", Msg: "x"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := testParser().Parse([]byte(tt.in))
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if diff := cmp.Diff(tt.want, got, timeEqual); diff != "" {
				t.Errorf("Parse mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestParse5424Errors(t *testing.T) {
	tests := []struct {
		name   string
		in     string
		offset int
	}{
		{"empty", "", 0},
		{"PRI above 191", "<192>1 - - - - - -", 1},
		{"PRI not closed", "<13", 3},
		{"PRI letters", "<1x>1 - - - - - -", 2},
		{"PRI four digits", "<0013>1 - - - - - -", 4},
		{"bad timestamp", "<13>1 2003-13-11T22:14:15Z h a p m -", 6},
		{"missing fields", "<13>1 - host", 12},
		{"double space", "<13>1 -  host a p m -", 8},
		{"unterminated SD", `<13>1 - h a p m [id x="1"`, 25},
		{"unterminated value", `<13>1 - h a p m [id x="1]`, 22},
		{"SD param without quotes", `<13>1 - h a p m [id x=1]`, 21},
		{"garbage instead of SD", `<13>1 - h a p m hello`, 16},
		{"no space before MSG", `<13>1 - h a p m [id]x`, 20},
		{"control byte in header", "<13>1 - h\x01 a p m -", 9},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := testParser().Parse([]byte(tt.in))
			var pe *ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("Parse(%q) error = %v, want *ParseError", tt.in, err)
			}
			if pe.Offset != tt.offset {
				t.Errorf("Parse(%q) offset = %d, want %d (%v)", tt.in, pe.Offset, tt.offset, err)
			}
		})
	}
}
