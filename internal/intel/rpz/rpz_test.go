package rpz

import (
	"net/netip"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/miekg/dns"
)

func clock(t time.Time) func() time.Time { return func() time.Time { return t } }

func newServer(t *testing.T, cfg Config) *Server {
	t.Helper()
	if cfg.Addr == "" {
		cfg.Addr = "127.0.0.1:0"
	}
	s, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func TestZoneAndSerial(t *testing.T) {
	t0 := time.Unix(1_780_000_000, 0)
	now := t0
	s, err := New(Config{Zone: "RPZ.Kubu", Now: func() time.Time { return now }, Serial: 1_780_000_100})
	if err != nil {
		t.Fatal(err)
	}
	// The first serial is above the one given, even with the clock behind.
	if s.Serial() != 1_780_000_101 {
		t.Fatalf("first serial %d", s.Serial())
	}
	changed, rejected := s.Update([]string{"Evil.Example.", "b.example", "evil.example", "bad name", strings.Repeat("a.", 120) + "example"})
	if !changed || len(rejected) != 2 {
		t.Fatalf("changed %v rejected %v", changed, rejected)
	}
	want := []string{
		"rpz.kubu.\t60\tIN\tSOA\tlocalhost. hostmaster.localhost. 1780000102 300 60 86400 60",
		"rpz.kubu.\t60\tIN\tNS\tlocalhost.",
		"b.example.rpz.kubu.\t60\tIN\tCNAME\t.",
		"*.b.example.rpz.kubu.\t60\tIN\tCNAME\t.",
		"evil.example.rpz.kubu.\t60\tIN\tCNAME\t.",
		"*.evil.example.rpz.kubu.\t60\tIN\tCNAME\t.",
	}
	if diff := cmp.Diff(want, s.Records()); diff != "" {
		t.Errorf("zone (-want +got):\n%s", diff)
	}
	// The same set again: no change, same serial.
	if changed, _ := s.Update([]string{"b.example", "evil.example"}); changed || s.Serial() != 1_780_000_102 {
		t.Fatalf("unchanged set: changed %v serial %d", changed, s.Serial())
	}
	// Later, the serial is the clock.
	now = t0.Add(time.Hour)
	if changed, _ := s.Update([]string{"b.example"}); !changed || s.Serial() != uint32(now.Unix()) {
		t.Fatalf("serial %d, want the clock %d", s.Serial(), now.Unix())
	}
	// Two changes within a second: +1.
	if s.Update(nil); s.Serial() != uint32(now.Unix())+1 {
		t.Fatalf("serial %d after a second change in the same second", s.Serial())
	}
	if len(s.Names()) != 0 {
		t.Fatalf("names %v", s.Names())
	}
	for _, bad := range []Config{{Zone: "."}, {Zone: "a..b"}, {Secondaries: []string{"nohost"}}, {TSIG: map[string]string{"k.": ""}}} {
		if _, err := New(bad); err == nil {
			t.Errorf("New(%+v) accepted", bad)
		}
	}
}

func exchange(t *testing.T, s *Server, net, name string, qtype uint16) *dns.Msg {
	t.Helper()
	m := new(dns.Msg)
	m.SetQuestion(name, qtype)
	c := &dns.Client{Net: net, Timeout: 5 * time.Second}
	r, _, err := c.Exchange(m, s.Addr())
	if err != nil {
		t.Fatalf("%s %s %s: %v", net, name, dns.TypeToString[qtype], err)
	}
	return r
}

func axfr(t *testing.T, s *Server, tsigName, tsigSecret string) ([]string, error) {
	t.Helper()
	m := new(dns.Msg)
	m.SetAxfr("rpz.kubu.")
	tr := &dns.Transfer{}
	if tsigName != "" {
		m.SetTsig(tsigName, dns.HmacSHA256, 300, time.Now().Unix())
		tr.TsigSecret = map[string]string{tsigName: tsigSecret}
	}
	ch, err := tr.In(m, s.Addr())
	if err != nil {
		return nil, err
	}
	var out []string
	for env := range ch {
		if env.Error != nil {
			return out, env.Error
		}
		for _, rr := range env.RR {
			out = append(out, rr.String())
		}
	}
	return out, nil
}

func TestServe(t *testing.T) {
	s := newServer(t, Config{})
	s.Update([]string{"evil.example", "phish.example"})
	got, err := axfr(t, s, "", "")
	if err != nil {
		t.Fatal(err)
	}
	want := append(s.Records(), s.Records()[0])
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("AXFR (-want +got):\n%s", diff)
	}
	r := exchange(t, s, "udp", "rpz.kubu.", dns.TypeSOA)
	if soa, ok := r.Answer[0].(*dns.SOA); !ok || soa.Serial != s.Serial() || !r.Authoritative {
		t.Fatalf("SOA answer %v", r)
	}
	r = exchange(t, s, "udp", "a.b.Evil.Example.rpz.kubu.", dns.TypeA)
	if len(r.Answer) != 1 || r.Answer[0].(*dns.CNAME).Target != "." {
		t.Fatalf("subdomain answer %v", r)
	}
	if r = exchange(t, s, "udp", "other.example.rpz.kubu.", dns.TypeA); r.Rcode != dns.RcodeNameError {
		t.Fatalf("other name: %s", dns.RcodeToString[r.Rcode])
	}
	if r = exchange(t, s, "udp", "evil.example.", dns.TypeA); r.Rcode != dns.RcodeRefused {
		t.Fatalf("outside the zone: %s", dns.RcodeToString[r.Rcode])
	}
	if r = exchange(t, s, "udp", "rpz.kubu.", dns.TypeAXFR); r.Rcode != dns.RcodeRefused {
		t.Fatalf("AXFR over UDP: %s", dns.RcodeToString[r.Rcode])
	}
	// IXFR from the current serial: only the SOA.
	m := new(dns.Msg)
	m.SetIxfr("rpz.kubu.", s.Serial(), "localhost.", "hostmaster.localhost.")
	r, _, err = (&dns.Client{Net: "tcp"}).Exchange(m, s.Addr())
	if err != nil || len(r.Answer) != 1 {
		t.Fatalf("up-to-date IXFR: %v %v", r, err)
	}
}

func TestTSIG(t *testing.T) {
	const key, secret = "kubu-rpz.", "c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0LXNlY3JldA=="
	s := newServer(t, Config{TSIG: map[string]string{key: secret}})
	s.Update([]string{"evil.example"})
	if got, err := axfr(t, s, key, secret); err != nil || len(got) != 5 {
		t.Fatalf("signed AXFR: %v %v", got, err)
	}
	if got, err := axfr(t, s, "", ""); err == nil && len(got) > 0 {
		t.Fatalf("unsigned AXFR answered %v", got)
	}
	if got, err := axfr(t, s, key, "d3Jvbmc="); err == nil && len(got) > 0 {
		t.Fatalf("AXFR with a wrong key answered %v", got)
	}
}

func TestAllowedAddr(t *testing.T) {
	s, err := New(Config{Secondaries: []string{"192.0.2.53:53"}, AllowTransfer: []netip.Prefix{netip.MustParsePrefix("198.51.100.0/24")}})
	if err != nil {
		t.Fatal(err)
	}
	for a, want := range map[string]bool{"127.0.0.1": true, "::1": true, "192.0.2.53": true, "::ffff:192.0.2.53": true,
		"198.51.100.77": true, "192.0.2.54": false, "203.0.113.1": false, "2001:db8::1": false} {
		if got := s.allowedAddr(netip.MustParseAddr(a)); got != want {
			t.Errorf("allowedAddr(%s) = %v, want %v", a, got, want)
		}
	}
}

// secondary is a DNS server that records the NOTIFYs it is sent.
func secondary(t *testing.T) (string, chan uint32) {
	t.Helper()
	got := make(chan uint32, 16)
	srv := &dns.Server{Addr: "127.0.0.1:0", Net: "udp"}
	started := make(chan struct{})
	srv.NotifyStartedFunc = func() { close(started) }
	srv.Handler = dns.HandlerFunc(func(w dns.ResponseWriter, r *dns.Msg) {
		if r.Opcode == dns.OpcodeNotify && len(r.Answer) == 1 {
			got <- r.Answer[0].(*dns.SOA).Serial
		}
		m := new(dns.Msg)
		m.SetReply(r)
		w.WriteMsg(m)
	})
	go srv.ListenAndServe()
	<-started
	t.Cleanup(func() { srv.Shutdown() })
	return srv.PacketConn.LocalAddr().String(), got
}

func TestNotify(t *testing.T) {
	addr, got := secondary(t)
	s := newServer(t, Config{Secondaries: []string{addr}})
	for i, names := range [][]string{{"a.example"}, {"a.example", "b.example"}} {
		s.Update(names)
		select {
		case serial := <-got:
			if serial != s.Serial() {
				t.Fatalf("change %d: NOTIFY serial %d, zone serial %d", i, serial, s.Serial())
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("change %d: no NOTIFY", i)
		}
	}
	s.Update([]string{"a.example", "b.example"}) // no change, no NOTIFY
	s.Close()
	select {
	case serial := <-got:
		t.Fatalf("NOTIFY %d without a change", serial)
	default:
	}
}

// TestDig transfers the zone with the real dig (Debian bind9-dnsutils).
func TestDig(t *testing.T) {
	dig, err := exec.LookPath("dig")
	if err != nil {
		if os.Getenv("KUBU_TEST_REQUIRE_SERVICES") != "" {
			t.Fatal("dig not found but KUBU_TEST_REQUIRE_SERVICES is set: apt-get install -y bind9-dnsutils")
		}
		t.Skip("dig not found (apt-get install bind9-dnsutils)")
	}
	const key, secret = "kubu-rpz.", "c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0LXNlY3JldA=="
	for _, signed := range []bool{false, true} {
		cfg := Config{}
		if signed {
			cfg.TSIG = map[string]string{key: secret}
		}
		s := newServer(t, cfg)
		host, port, _ := strings.Cut(s.Addr(), ":")
		run := func() []string {
			args := []string{"@" + host, "-p", port, "rpz.kubu.", "AXFR", "+noall", "+answer", "+nocomments"}
			if signed {
				args = append(args, "-y", "hmac-sha256:"+key+":"+secret)
			}
			out, err := exec.Command(dig, args...).CombinedOutput()
			if err != nil {
				t.Fatalf("dig %v: %v\n%s", args, err, out)
			}
			var recs []string
			for _, l := range strings.Split(string(out), "\n") {
				f := strings.Fields(l)
				if len(f) >= 5 && f[3] != "TSIG" {
					recs = append(recs, f[0]+" "+f[3]+" "+strings.Join(f[4:], " "))
				}
			}
			return recs
		}
		s.Update([]string{"evil.example"})
		first := run()
		want := []string{
			"rpz.kubu. SOA localhost. hostmaster.localhost. " + itoa(s.Serial()) + " 300 60 86400 60",
			"rpz.kubu. NS localhost.",
			"evil.example.rpz.kubu. CNAME .",
			"*.evil.example.rpz.kubu. CNAME .",
		}
		want = append(want, want[0])
		if diff := cmp.Diff(want, first); diff != "" {
			t.Fatalf("dig AXFR (signed %v) (-want +got):\n%s", signed, diff)
		}
		// A change shows in the next transfer, with a larger serial.
		old := s.Serial()
		s.Update([]string{"evil.example", "phish.example"})
		second := run()
		if !slices.Contains(second, "*.phish.example.rpz.kubu. CNAME .") || s.Serial() <= old ||
			!strings.Contains(second[0], " "+itoa(s.Serial())+" ") {
			t.Fatalf("after the change: %v (serial %d, was %d)", second, s.Serial(), old)
		}
	}
}

func itoa(u uint32) string { return strconv.FormatUint(uint64(u), 10) }
