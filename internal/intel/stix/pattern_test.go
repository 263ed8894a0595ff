package stix

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/kubu-gov/kubu/internal/intel"
)

func obsStrings(obs []intel.Observable) []string {
	var out []string
	for _, o := range obs {
		out = append(out, o.String())
	}
	return out
}

func TestCompileSupported(t *testing.T) {
	tests := []struct {
		pattern string
		want    []string
	}{
		{"[ipv4-addr:value = '198.51.100.1']", []string{"ip:198.51.100.1"}},
		{"[ipv4-addr:value = '198.51.100.0/24']", []string{"ip:198.51.100.0/24"}},
		{"[ipv4-addr:value ISSUBSET '10.0.0.0/8']", []string{"ip:10.0.0.0/8"}},
		{"[ipv6-addr:value = '2001:DB8::1']", []string{"ip:2001:db8::1"}},
		{"[domain-name:value = 'Evil.Example.']", []string{"domain:evil.example"}},
		{"[url:value = 'HTTP://evil.example:80/a b']", []string{"url:http://evil.example/a%20b"}},
		{"[email-addr:value = 'CEO@spoof.example']", []string{"email:ceo@spoof.example"}},
		{"[email-message:from_ref.value = 'a@b.example']", []string{"email:a@b.example"}},
		{"[file:hashes.'SHA-256' = 'E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855']",
			[]string{"sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"}},
		{"[file:hashes.MD5 = 'd41d8cd98f00b204e9800998ecf8427e']", []string{"md5:d41d8cd98f00b204e9800998ecf8427e"}},
		{"[file:hashes.'SHA-1' = 'da39a3ee5e6b4b0d3255bfef95601890afd80709']", []string{"sha1:da39a3ee5e6b4b0d3255bfef95601890afd80709"}},
		{"[file:hashes.sha256 = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855']",
			[]string{"sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"}},
		{"[ipv4-addr:value = '198.51.100.1' OR ipv4-addr:value = '198.51.100.2'] OR [domain-name:value = 'x.example']",
			[]string{"ip:198.51.100.1", "ip:198.51.100.2", "domain:x.example"}},
		{"([domain-name:value = 'a.example'] or ([domain-name:value = 'b.example']))", []string{"domain:a.example", "domain:b.example"}},
		{"[domain-name:value IN ('a.example', 'b.example', 'a.example')]", []string{"domain:a.example", "domain:b.example"}},
		{"[network-traffic:dst_ref.value = '203.0.113.5'] OR [network-traffic:dst_ref.value = 'c2.example']",
			[]string{"ip:203.0.113.5", "domain:c2.example"}},
		{"  [ domain-name:value='tight.example' ]  ", []string{"domain:tight.example"}},
		{`[url:value = 'http://x.example/it\'s']`, []string{"url:http://x.example/it's"}},
	}
	for _, tc := range tests {
		got, err := CompilePattern(tc.pattern)
		if err != nil {
			t.Errorf("CompilePattern(%q): %v", tc.pattern, err)
			continue
		}
		if diff := cmp.Diff(tc.want, obsStrings(got)); diff != "" {
			t.Errorf("CompilePattern(%q) (-want +got):\n%s", tc.pattern, diff)
		}
	}
}

func TestCompileUnsupported(t *testing.T) {
	tests := []struct{ pattern, reason string }{
		{"[ipv4-addr:value = '1.2.3.4'] AND [domain-name:value = 'x.example']", "AND between observations"},
		{"[ipv4-addr:value = '1.2.3.4'] FOLLOWEDBY [domain-name:value = 'x.example']", "FOLLOWEDBY between observations"},
		{"[ipv4-addr:value = '1.2.3.4'] WITHIN 300 SECONDS", "qualifier WITHIN 300 SECONDS"},
		{"[ipv4-addr:value = '1.2.3.4'] REPEATS 5 TIMES", "qualifier REPEATS 5 TIMES"},
		{"[ipv4-addr:value = '1.2.3.4'] START t'2016-06-01T00:00:00Z' STOP t'2016-07-01T00:00:00Z'", "qualifier START"},
		{"[file:hashes.MD5 = 'd41d8cd98f00b204e9800998ecf8427e' AND file:name = 'x.exe']", "AND between comparisons"},
		{"[file:name = 'x.exe']", "object path file:name"},
		{"[ipv4-addr:value != '1.2.3.4']", "operator != on ipv4-addr:value"},
		{"[ipv4-addr:value NOT = '1.2.3.4']", "NOT = on ipv4-addr:value"},
		{"[domain-name:value LIKE '%.example']", "operator LIKE"},
		{"[url:value MATCHES '^http']", "operator MATCHES"},
		{"[domain-name:value ISSUBSET 'x.example']", "ISSUBSET on domain-name:value"},
		{"[EXISTS ipv4-addr:value]", "operator EXISTS"},
		{"[EXISTS windows-registry-key:key]", "object path windows-registry-key:key"},
		{"[x509-certificate:serial_number = '12']", "object path x509-certificate:serial_number"},
		{"[file:hashes.'SHA3-256' = 'aa']", "object path file:hashes.'SHA3-256'"},
	}
	for _, tc := range tests {
		_, err := CompilePattern(tc.pattern)
		var ue *UnsupportedError
		if !errors.As(err, &ue) {
			t.Errorf("CompilePattern(%q) = %v, want an UnsupportedError", tc.pattern, err)
			continue
		}
		if !strings.Contains(ue.Reason, tc.reason) {
			t.Errorf("CompilePattern(%q) reason %q, want it to mention %q", tc.pattern, ue.Reason, tc.reason)
		}
	}
}

func TestCompileBadValues(t *testing.T) {
	for _, p := range []string{
		"[ipv4-addr:value = '198.51.100.300']",
		"[ipv4-addr:value = '2001:db8::1']",
		"[ipv6-addr:value = '198.51.100.1']",
		"[file:hashes.MD5 = 'abc']",
		"[domain-name:value = 'bad domain']",
		"[url:value = 'no-scheme.example/x']",
		"[ipv4-addr:value = 5]",
		"[ipv4-addr:value ISSUBSET '10.0.0.1']",
		"[domain-name:value IN ('ok.example', 'bad domain')]",
	} {
		_, err := CompilePattern(p)
		var ve *ValueError
		if !errors.As(err, &ve) {
			t.Errorf("CompilePattern(%q) = %v, want a ValueError", p, err)
		}
	}
}

func TestParseSyntaxErrors(t *testing.T) {
	tests := []struct {
		pattern string
		pos     int
	}{
		{"", 0},
		{"ipv4-addr:value = '1.2.3.4'", 0},
		{"[ipv4-addr:value = '1.2.3.4'", 28},
		{"[ipv4-addr:value = '1.2.3.4]", 19},
		{"[ipv4-addr value = '1']", 11},
		{"[ipv4-addr:value == '1']", 18},
		{"[ipv4-addr:value = '1'] OR", 26},
		{"[ipv4-addr:value = '1'] XOR [domain-name:value = 'x']", 24},
		{"[ipv4-addr:value IN ('a' 'b')]", 25},
		{"[ipv4-addr:value = '1'] WITHIN five SECONDS", 31},
		{"[a:b = 'x\\q']", 9},
		{"[a:b = true] ]", 13},
		{"[a:b > h'00']", 7},
		{"[a:b = 'x'] ; drop", 12},
		{strings.Repeat("(", 200) + "[a:b = 'x']" + strings.Repeat(")", 200), 100},
	}
	for _, tc := range tests {
		_, err := ParsePattern(tc.pattern)
		var se *SyntaxError
		if !errors.As(err, &se) {
			t.Errorf("ParsePattern(%q) = %v, want a SyntaxError", tc.pattern, err)
			continue
		}
		if se.Pos != tc.pos {
			t.Errorf("ParsePattern(%q): error at %d (%s), want %d", tc.pattern, se.Pos, se.Msg, tc.pos)
		}
	}
	if _, err := ParsePattern(strings.Repeat("x", MaxPatternLen+1)); err == nil {
		t.Error("an over-long pattern parsed")
	}
}

func TestParseFullGrammar(t *testing.T) {
	// Patterns from the STIX 2.1 specification's examples: all parse,
	// none of them is simple enough to compile.
	for _, p := range []string{
		"[file:hashes.'SHA-256' = 'aec070645fe53ee3b3763059376134f058cc337247c978add178b6ccdfb0019f' AND file:name = 'foo.dll']",
		"[email-message:from_ref.value MATCHES '.+\\\\@example\\\\.com$' AND email-message:body_multipart[*].body_raw_ref.name MATCHES '^Final Report.+\\\\.exe$']",
		"[user-account:account_type = 'unix' AND user-account:user_id = '1007' AND user-account:account_login = 'Peter'] AND [user-account:account_type = 'unix' AND user-account:user_id = '1008'] WITHIN 5 SECONDS",
		"[network-traffic:dst_ref.type = 'ipv4-addr' AND network-traffic:dst_ref.value ISSUBSET '203.0.113.0/24'] REPEATS 5 TIMES WITHIN 1800 SECONDS",
		"([file:hashes.MD5 = '79054025255fb1a26e4bc422aef54eb4'] FOLLOWEDBY [windows-registry-key:key = 'HKEY_LOCAL_MACHINE\\\\foo\\\\bar']) WITHIN 300 SECONDS",
		"[file:size > 25536 AND file:created < t'2016-11-21T10:12:00Z'] START t'2016-06-01T00:00:00Z' STOP t'2016-07-01T00:00:00Z'",
		"[artifact:payload_bin = b'dGhpcyBpcyBhIHRlc3Q=' OR artifact:mime_type = 'application/octet-stream']",
		"[x-usb-device:usbdrive.serial_number = '575833314133343231313937']",
		"[process:command_line LIKE 'powershell%' AND process:name NOT = 'a']",
		"[windows-registry-key:values[0].name = 'x' AND windows-registry-key:values[*].data = 'y']",
		"[file:size >= -1.5 AND file:x-flag = true]",
		"[EXISTS file:name]",
		"[ipv4-addr:value IN ('1.2.3.4', '5.6.7.8')] and [domain-name:value = 'x.example']",
	} {
		pat, err := ParsePattern(p)
		if err != nil {
			t.Errorf("ParsePattern(%q): %v", p, err)
			continue
		}
		if _, err := pat.Compile(); err == nil {
			t.Errorf("Compile(%q) succeeded, want unsupported", p)
		}
	}
}

func TestPatternForRoundTrip(t *testing.T) {
	obs := []intel.Observable{
		{Type: intel.IP, Value: "198.51.100.1"}, {Type: intel.IP, Value: "2001:db8::/32"}, {Type: intel.IP, Value: "10.0.0.0/8"},
		{Type: intel.Domain, Value: "evil.example"}, {Type: intel.URL, Value: "http://x.example/it's\\here"},
		{Type: intel.Email, Value: "a@b.example"}, {Type: intel.MD5, Value: "d41d8cd98f00b204e9800998ecf8427e"},
		{Type: intel.SHA1, Value: "da39a3ee5e6b4b0d3255bfef95601890afd80709"},
		{Type: intel.SHA256, Value: "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"},
		{Type: intel.SHA512, Value: strings.Repeat("ab", 64)},
	}
	for i := range obs {
		v, err := intel.Normalise(obs[i].Type, obs[i].Value)
		if err != nil {
			t.Fatal(err)
		}
		obs[i].Value = v
	}
	p := PatternFor(obs)
	got, err := CompilePattern(p)
	if err != nil {
		t.Fatalf("CompilePattern(%s): %v", p, err)
	}
	if diff := cmp.Diff(obsStrings(obs), obsStrings(got)); diff != "" {
		t.Errorf("round trip of %s (-want +got):\n%s", p, diff)
	}
}
