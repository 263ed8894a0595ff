package syslog

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestParse3164(t *testing.T) {
	utc := time.UTC
	at := func(y int, mo time.Month, d, h, mi, s, ns int, loc *time.Location) time.Time {
		return time.Date(y, mo, d, h, mi, s, ns, loc)
	}
	tests := []struct {
		name string
		in   string
		want Message
	}{
		{
			name: "RFC 3164 example 1",
			in:   "<34>Oct 11 22:14:15 mymachine su: 'su root' failed for lonvick on /dev/pts/8",
			want: Message{Format: RFC3164, HasPriority: true, Facility: 4, Severity: 2,
				Timestamp: at(2026, 10, 11, 22, 14, 15, 0, utc), YearAssumed: true, ZoneAssumed: true,
				Hostname: "mymachine", AppName: "su", Msg: "'su root' failed for lonvick on /dev/pts/8"},
		},
		{
			name: "RFC 3164 example 2: no PRI, no header",
			in:   "Use the BFG!",
			want: Message{Format: RFC3164, Facility: 1, Severity: 5, Msg: "Use the BFG!"},
		},
		{
			name: "RFC 3164 example 3: space-padded day, IP hostname, no tag",
			in:   "<13>Feb  5 17:32:18 10.0.0.99 Use the BFG!",
			want: Message{Format: RFC3164, HasPriority: true, Facility: 1, Severity: 5,
				Timestamp: at(2026, 2, 5, 17, 32, 18, 0, utc), YearAssumed: true, ZoneAssumed: true,
				Hostname: "10.0.0.99", Msg: "Use the BFG!"},
		},
		{
			name: "RFC 3164 example 4: zone and year after the clock",
			in:   "<165>Aug 24 05:34:00 CST 1987 mymachine myproc[10]: %% It's time to make the do-nuts.  %%  Ingredients: Mix=OK, Jelly=OK # Devices: Mixer=OK",
			want: Message{Format: RFC3164, HasPriority: true, Facility: 20, Severity: 5,
				Timestamp: at(1987, 8, 24, 5, 34, 0, 0, utc), ZoneAssumed: true,
				Hostname: "mymachine", AppName: "myproc", ProcID: "10",
				Msg: "%% It's time to make the do-nuts.  %%  Ingredients: Mix=OK, Jelly=OK # Devices: Mixer=OK"},
		},
		{
			name: "RFC 3164 example 5: year first, TZ-6",
			in:   "<0>1990 Oct 22 10:52:01 TZ-6 scapegoat.dmz.example.org 10.1.2.3 sched[0]: That's All Folks!",
			want: Message{Format: RFC3164, HasPriority: true,
				Timestamp: at(1990, 10, 22, 10, 52, 1, 0, time.FixedZone("", -6*3600)),
				Hostname:  "scapegoat.dmz.example.org", Msg: "10.1.2.3 sched[0]: That's All Folks!"},
		},
		{
			name: "rsyslog traditional file/forward format with pid",
			in:   "<86>Nov 28 09:15:02 web01 sshd[4242]: Accepted publickey for admin from 10.0.0.5 port 51234 ssh2",
			want: Message{Format: RFC3164, HasPriority: true, Facility: 10, Severity: 6,
				Timestamp: at(2026, 11, 28, 9, 15, 2, 0, utc), YearAssumed: true, ZoneAssumed: true,
				Hostname: "web01", AppName: "sshd", ProcID: "4242",
				Msg: "Accepted publickey for admin from 10.0.0.5 port 51234 ssh2"},
		},
		{
			name: "rsyslog RSYSLOG_ForwardFormat: RFC 3339 timestamp in 3164",
			in:   "<13>2026-11-28T09:15:02.123456+08:00 web01 CRON[991]: (root) CMD (run-parts /etc/cron.hourly)",
			want: Message{Format: RFC3164, HasPriority: true, Facility: 1, Severity: 5,
				Timestamp: mustTime(t, "2026-11-28T09:15:02.123456+08:00"),
				Hostname:  "web01", AppName: "CRON", ProcID: "991", Msg: "(root) CMD (run-parts /etc/cron.hourly)"},
		},
		{
			name: "local socket shape: no hostname",
			in:   "<38>Nov 28 09:15:02 sudo: admin : TTY=pts/0 ; PWD=/home/admin ; COMMAND=/bin/ls",
			want: Message{Format: RFC3164, HasPriority: true, Facility: 4, Severity: 6,
				Timestamp: at(2026, 11, 28, 9, 15, 2, 0, utc), YearAssumed: true, ZoneAssumed: true,
				AppName: "sudo", Msg: "admin : TTY=pts/0 ; PWD=/home/admin ; COMMAND=/bin/ls"},
		},
		{
			name: "no hostname, tag with pid",
			in:   "<38>Nov 28 09:15:02 sshd[77]: Connection closed",
			want: Message{Format: RFC3164, HasPriority: true, Facility: 4, Severity: 6,
				Timestamp: at(2026, 11, 28, 9, 15, 2, 0, utc), YearAssumed: true, ZoneAssumed: true,
				AppName: "sshd", ProcID: "77", Msg: "Connection closed"},
		},
		{
			name: "Cisco IOS sequence number, unsynchronised clock, msec and zone",
			in:   "<189>123: *Mar  1 00:01:02.345 UTC: %SYS-5-CONFIG_I: Configured from console by vty0 (10.1.1.1)",
			want: Message{Format: RFC3164, HasPriority: true, Facility: 23, Severity: 5, Sequence: "123",
				Timestamp: at(2026, 3, 1, 0, 1, 2, 345000000, utc), YearAssumed: true,
				AppName: "%SYS-5-CONFIG_I", Msg: "Configured from console by vty0 (10.1.1.1)"},
		},
		{
			name: "Cisco IOS with hostname",
			in:   "<187>4711: router1: Nov 28 09:15:02.001: %LINK-3-UPDOWN: Interface GigabitEthernet0/1, changed state to down",
			want: Message{Format: RFC3164, HasPriority: true, Facility: 23, Severity: 3, Sequence: "4711",
				Msg: "router1: Nov 28 09:15:02.001: %LINK-3-UPDOWN: Interface GigabitEthernet0/1, changed state to down"},
		},
		{
			name: "Cisco ASA: year after day, hostname followed by ' :'",
			in:   "<166>Nov 28 2026 09:15:02 asa01 : %ASA-6-302013: Built outbound TCP connection 1 for outside:1.2.3.4/443",
			want: Message{Format: RFC3164, HasPriority: true, Facility: 20, Severity: 6,
				Timestamp: at(2026, 11, 28, 9, 15, 2, 0, utc), ZoneAssumed: true,
				Hostname: "asa01", AppName: "%ASA-6-302013", Msg: "Built outbound TCP connection 1 for outside:1.2.3.4/443"},
		},
		{
			name: "BOM in MSG",
			in:   "<14>Nov 28 09:15:02 h app: \xEF\xBB\xBFhello",
			want: Message{Format: RFC3164, HasPriority: true, Facility: 1, Severity: 6,
				Timestamp: at(2026, 11, 28, 9, 15, 2, 0, utc), YearAssumed: true, ZoneAssumed: true,
				Hostname: "h", AppName: "app", Msg: "hello", MsgBOM: true},
		},
		{
			name: "year after clock",
			in:   "<14>Nov 28 09:15:02 2025 h app: x",
			want: Message{Format: RFC3164, HasPriority: true, Facility: 1, Severity: 6,
				Timestamp: at(2025, 11, 28, 9, 15, 2, 0, utc), ZoneAssumed: true,
				Hostname: "h", AppName: "app", Msg: "x"},
		},
		{
			name: "lower-case month, single-digit day, CRLF trailer",
			in:   "<14>nov 3 09:15:02 h app: x\r\n",
			want: Message{Format: RFC3164, HasPriority: true, Facility: 1, Severity: 6,
				Timestamp: at(2026, 11, 3, 9, 15, 2, 0, utc), YearAssumed: true, ZoneAssumed: true,
				Hostname: "h", AppName: "app", Msg: "x"},
		},
		{
			name: "invalid date keeps everything in MSG",
			in:   "<14>Feb 30 09:15:02 h app: x",
			want: Message{Format: RFC3164, HasPriority: true, Facility: 1, Severity: 6, Msg: "Feb 30 09:15:02 h app: x"},
		},
		{
			name: "PRI only",
			in:   "<14>",
			want: Message{Format: RFC3164, HasPriority: true, Facility: 1, Severity: 6},
		},
		{
			name: "tag with pid and no colon",
			in:   "<14>Nov 28 09:15:02 h kernel[0] oops",
			want: Message{Format: RFC3164, HasPriority: true, Facility: 1, Severity: 6,
				Timestamp: at(2026, 11, 28, 9, 15, 2, 0, utc), YearAssumed: true, ZoneAssumed: true,
				Hostname: "h", AppName: "kernel", ProcID: "0", Msg: "oops"},
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

// TestYearNearestNow checks the year chosen for year-less timestamps around
// new year, in both directions, and that 29 February skips non-leap years.
func TestYearNearestNow(t *testing.T) {
	tests := []struct {
		name string
		now  time.Time
		in   string
		want time.Time
	}{
		{"December line read on 1 January", time.Date(2027, 1, 1, 0, 0, 5, 0, time.UTC),
			"<13>Dec 31 23:59:58 h a: x", time.Date(2026, 12, 31, 23, 59, 58, 0, time.UTC)},
		{"January line read on 31 December (sender clock ahead)", time.Date(2026, 12, 31, 23, 59, 0, 0, time.UTC),
			"<13>Jan  1 00:00:30 h a: x", time.Date(2027, 1, 1, 0, 0, 30, 0, time.UTC)},
		{"mid-year", time.Date(2026, 6, 15, 0, 0, 0, 0, time.UTC),
			"<13>Jun 14 10:00:00 h a: x", time.Date(2026, 6, 14, 10, 0, 0, 0, time.UTC)},
		{"29 February picks the leap year", time.Date(2029, 1, 10, 0, 0, 0, 0, time.UTC),
			"<13>Feb 29 10:00:00 h a: x", time.Date(2028, 2, 29, 10, 0, 0, 0, time.UTC)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := Parser{Now: func() time.Time { return tt.now }}
			m, err := p.Parse([]byte(tt.in))
			if err != nil {
				t.Fatal(err)
			}
			if !m.Timestamp.Equal(tt.want) || !m.YearAssumed {
				t.Errorf("Timestamp = %v (YearAssumed %v), want %v (assumed)", m.Timestamp, m.YearAssumed, tt.want)
			}
		})
	}
}

func TestParseLocation(t *testing.T) {
	sgt := time.FixedZone("SGT", 8*3600)
	p := Parser{Now: func() time.Time { return refNow }, Location: sgt}
	m, err := p.Parse([]byte("<13>Nov 28 09:15:02 h a: x"))
	if err != nil {
		t.Fatal(err)
	}
	want := time.Date(2026, 11, 28, 1, 15, 2, 0, time.UTC)
	if !m.Timestamp.Equal(want) || !m.ZoneAssumed {
		t.Errorf("Timestamp = %v (ZoneAssumed %v), want %v assumed", m.Timestamp, m.ZoneAssumed, want)
	}
}

func TestFormatString(t *testing.T) {
	for f, want := range map[Format]string{RFC5424: "RFC5424", RFC3164: "RFC3164", FormatUnknown: "unknown"} {
		if got := f.String(); got != want {
			t.Errorf("Format(%d).String() = %q, want %q", f, got, want)
		}
	}
}
