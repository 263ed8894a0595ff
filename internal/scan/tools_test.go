package scan_test

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/kubu-gov/kubu/internal/scan"
	"github.com/kubu-gov/kubu/internal/scan/tlsprobe"
)

// The comparison with real tools: each runs against the same farm targets
// and must agree with kubu on what both measure. By default a fast subset
// of targets; KUBU_TEST_HEAVY=1 runs every target and testssl.sh.

var heavy = os.Getenv("KUBU_TEST_HEAVY") == "1"

// tool finds a tool or skips (fails under KUBU_TEST_REQUIRE_SERVICES=1).
func tool(t *testing.T, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		if os.Getenv("KUBU_TEST_REQUIRE_SERVICES") == "1" {
			t.Fatalf("%s is not installed (see .ci/run)", name)
		}
		t.Skipf("%s is not installed", name)
	}
	return p
}

func runTool(t *testing.T, timeout time.Duration, name string, args ...string) (string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	return out.String(), err
}

// tlsTargets are the farm targets with TLS on 443 worth comparing.
func tlsTargets(run *farmRun) []string {
	fast := []string{"good", "tls10", "rc4", "3des", "staticrsa", "cbconly", "rsa1024", "sha1", "expired", "selfsigned", "wronghost"}
	if !heavy {
		return fast
	}
	var all []string
	for _, tg := range run.targets {
		if tg.HTTPS != nil && !tg.NoAddress {
			all = append(all, tg.Label)
		}
	}
	return all
}

func suiteSet(r *scan.Result) map[string][]string {
	out := map[string][]string{}
	for v, s := range r.TLS.Suites {
		c := slices.Clone(s)
		slices.Sort(c)
		out[v] = c
	}
	return out
}

var classicGroups = []string{"secp256r1", "secp384r1", "secp521r1", "x25519"}

func classic(gs []string) []string {
	var out []string
	for _, g := range gs {
		if slices.Contains(classicGroups, g) {
			out = append(out, g)
		}
	}
	slices.Sort(out)
	return out
}

type sslscanXML struct {
	Protocols []struct {
		Type    string `xml:"type,attr"`
		Version string `xml:"version,attr"`
		Enabled string `xml:"enabled,attr"`
	} `xml:"ssltest>protocol"`
	Ciphers []struct {
		Version string `xml:"sslversion,attr"`
		ID      string `xml:"id,attr"`
	} `xml:"ssltest>cipher"`
	Groups []struct {
		Name string `xml:"name,attr"`
	} `xml:"ssltest>group"`
	Cert struct {
		Sig string `xml:"signature-algorithm"`
		PK  struct {
			Type  string `xml:"type,attr"`
			Curve string `xml:"curve_name,attr"`
			Bits  string `xml:"bits,attr"`
		} `xml:"pk"`
		SelfSigned string `xml:"self-signed"`
		Expired    string `xml:"expired"`
	} `xml:"ssltest>certificates>certificate"`
}

func TestAgainstSSLScan(t *testing.T) {
	bin := tool(t, "sslscan")
	run, err := sharedFarm()
	if err != nil {
		t.Fatal(err)
	}
	for _, label := range tlsTargets(run) {
		t.Run(label, func(t *testing.T) {
			r := run.result(t, label)
			st := run.started[label]
			out, err := runTool(t, time.Minute, bin, "--no-colour", "--xml=-", "--no-fallback", "--no-renegotiation", "--no-compression", "--no-heartbleed",
				"--sni-name="+st.Name, fmt.Sprintf("%s:%d", st.IP, run.f.Ports.HTTPS))
			if err != nil {
				t.Fatalf("sslscan: %v\n%s", err, out)
			}
			var x sslscanXML
			if err := xml.Unmarshal([]byte(out[strings.Index(out, "<?xml"):]), &x); err != nil {
				t.Fatalf("sslscan xml: %v", err)
			}
			var protos []string
			for _, p := range x.Protocols {
				if p.Enabled == "1" {
					protos = append(protos, map[string]string{"ssl": "ssl"}[p.Type]+p.Type+p.Version)
				}
			}
			var kubuProtos []string
			for _, p := range r.TLS.Protocols {
				kubuProtos = append(kubuProtos, p)
			}
			want := strings.Join(kubuProtos, " ")
			got := strings.ReplaceAll(strings.Join(protos, " "), "sslssl3", "ssl3")
			if got != want {
				t.Errorf("protocols: sslscan %q, kubu %q", got, want)
			}
			suites := map[string][]string{}
			for _, c := range x.Ciphers {
				id, _ := strconv.ParseUint(strings.TrimPrefix(c.ID, "0x"), 16, 16)
				v := map[string]string{"TLSv1.0": "tls1.0", "TLSv1.1": "tls1.1", "TLSv1.2": "tls1.2", "TLSv1.3": "tls1.3", "SSLv3": "ssl3"}[c.Version]
				suites[v] = append(suites[v], tlsprobe.SuiteName(uint16(id)))
			}
			for v := range suites {
				slices.Sort(suites[v])
			}
			if g, k := fmt.Sprint(suites), fmt.Sprint(suiteSet(r)); g != k {
				t.Errorf("suites:\n sslscan %s\n kubu    %s", g, k)
			}
			var gs []string
			for _, g := range x.Groups {
				if f := strings.Fields(g.Name); len(f) > 0 {
					gs = append(gs, f[0])
				}
			}
			gs = classic(slices.Compact(sorted(gs)))
			if g, k := strings.Join(gs, " "), strings.Join(classic(r.TLS.Groups), " "); g != k {
				t.Errorf("groups: sslscan %q, kubu %q", g, k)
			}
			c := r.TLS.Certificate
			if sig := map[string]string{"sha1WithRSAEncryption": "sha1-rsa", "sha256WithRSAEncryption": "sha256-rsa", "ecdsa-with-SHA256": "ecdsa-sha256", "ecdsa-with-SHA384": "ecdsa-sha384"}[x.Cert.Sig]; sig != c.Signature {
				t.Errorf("signature: sslscan %q, kubu %q", x.Cert.Sig, c.Signature)
			}
			key := "rsa-" + x.Cert.PK.Bits
			if x.Cert.PK.Type == "EC" {
				key = map[string]string{"prime256v1": "ecdsa-p256", "secp384r1": "ecdsa-p384"}[x.Cert.PK.Curve]
			}
			if key != c.Key {
				t.Errorf("key: sslscan %s, kubu %s", key, c.Key)
			}
			if (x.Cert.Expired == "true") != slices.Contains(c.Problems, "expired") || (x.Cert.SelfSigned == "true") != slices.Contains(c.Problems, "self-signed") {
				t.Errorf("expired/self-signed: sslscan %s/%s, kubu %v", x.Cert.Expired, x.Cert.SelfSigned, c.Problems)
			}
		})
	}
}

func sorted(s []string) []string { slices.Sort(s); return s }

// TestAgainstSSLScanSTARTTLS compares the TLS facts of MX servers, reached
// through STARTTLS, with sslscan --starttls-smtp.
func TestAgainstSSLScanSTARTTLS(t *testing.T) {
	bin := tool(t, "sslscan")
	run, err := sharedFarm()
	if err != nil {
		t.Fatal(err)
	}
	for _, label := range []string{"good", "mail3des"} {
		t.Run(label, func(t *testing.T) {
			r := run.result(t, label)
			st := run.started[label]
			mt := r.Mail.TLS["mail."+st.Name]
			if mt == nil {
				t.Fatal("kubu has no TLS facts for the MX")
			}
			out, err := runTool(t, time.Minute, bin, "--no-colour", "--xml=-", "--starttls-smtp", "--no-fallback", "--no-renegotiation", "--no-compression", "--no-heartbleed",
				"--sni-name=mail."+st.Name, fmt.Sprintf("%s:%d", st.IP, run.f.Ports.SMTP))
			if err != nil {
				t.Fatalf("sslscan: %v\n%s", err, out)
			}
			var x sslscanXML
			if err := xml.Unmarshal([]byte(out[strings.Index(out, "<?xml"):]), &x); err != nil {
				t.Fatalf("sslscan xml: %v", err)
			}
			suites := map[string][]string{}
			for _, c := range x.Ciphers {
				id, _ := strconv.ParseUint(strings.TrimPrefix(c.ID, "0x"), 16, 16)
				v := map[string]string{"TLSv1.0": "tls1.0", "TLSv1.1": "tls1.1", "TLSv1.2": "tls1.2", "TLSv1.3": "tls1.3", "SSLv3": "ssl3"}[c.Version]
				suites[v] = append(suites[v], tlsprobe.SuiteName(uint16(id)))
			}
			for v := range suites {
				slices.Sort(suites[v])
			}
			kubu := map[string][]string{}
			for v, ss := range mt.Suites {
				kubu[v] = sorted(slices.Clone(ss))
			}
			if g, k := fmt.Sprint(suites), fmt.Sprint(kubu); g != k {
				t.Errorf("suites over STARTTLS:\n sslscan %s\n kubu    %s", g, k)
			}
		})
	}
}

var nmapLine = regexp.MustCompile(`^\|\s+(TLS_[A-Z0-9_]+)\s`)
var nmapVersion = regexp.MustCompile(`^\|\s+(TLSv1\.[0-3]|SSLv3):`)

func TestAgainstNmap(t *testing.T) {
	bin := tool(t, "nmap")
	run, err := sharedFarm()
	if err != nil {
		t.Fatal(err)
	}
	for _, label := range tlsTargets(run) {
		t.Run(label, func(t *testing.T) {
			r := run.result(t, label)
			st := run.started[label]
			out, err := runTool(t, 2*time.Minute, bin, "-Pn", "-n", "-p", strconv.Itoa(run.f.Ports.HTTPS), "--script", "ssl-enum-ciphers",
				"--script-args", "tls.servername="+st.Name, st.IP.String())
			if err != nil {
				t.Fatalf("nmap: %v\n%s", err, out)
			}
			suites := map[string][]string{}
			cur := ""
			for _, l := range strings.Split(out, "\n") {
				if m := nmapVersion.FindStringSubmatch(l); m != nil {
					cur = map[string]string{"TLSv1.0": "tls1.0", "TLSv1.1": "tls1.1", "TLSv1.2": "tls1.2", "TLSv1.3": "tls1.3", "SSLv3": "ssl3"}[m[1]]
					continue
				}
				if m := nmapLine.FindStringSubmatch(l); m != nil && cur != "" {
					suites[cur] = append(suites[cur], strings.Replace(m[1], "TLS_AKE_WITH_", "TLS_", 1))
				}
			}
			for v := range suites {
				slices.Sort(suites[v])
			}
			if g, k := fmt.Sprint(suites), fmt.Sprint(suiteSet(r)); g != k {
				t.Errorf("suites:\n nmap %s\n kubu %s", g, k)
			}
		})
	}
}

func TestAgainstSwaks(t *testing.T) {
	bin := tool(t, "swaks")
	run, err := sharedFarm()
	if err != nil {
		t.Fatal(err)
	}
	for _, label := range []string{"good", "nostarttls", "mail3des", "mailonly"} {
		t.Run(label, func(t *testing.T) {
			r := run.result(t, label)
			st := run.started[label]
			out, err := runTool(t, time.Minute, bin, "-s", fmt.Sprintf("%s:%d", st.IP, run.f.Ports.SMTP), "--ehlo", "kubu-scan.invalid", "--tls", "--quit-after", "TLS")
			swaksTLS := err == nil && strings.Contains(out, "=== TLS started")
			if !swaksTLS && !strings.Contains(out, "STARTTLS") && err == nil {
				t.Fatalf("swaks output not understood:\n%s", out)
			}
			if kubu := r.Mail.STARTTLS["mail."+st.Name]; kubu != swaksTLS {
				t.Errorf("STARTTLS: swaks %v, kubu %v\n%s", swaksTLS, kubu, out)
			}
		})
	}
}

func TestAgainstDelv(t *testing.T) {
	bin := tool(t, "delv")
	run, err := sharedFarm()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	anchor := filepath.Join(dir, "anchors.conf")
	k := run.f.DNS.Anchor("kubu.test.")
	os.WriteFile(anchor, []byte(fmt.Sprintf("trust-anchors {\n  %q static-key %d %d %d %q;\n};\n", k.Hdr.Name, k.Flags, k.Protocol, k.Algorithm, k.PublicKey)), 0o644)
	host, port, _ := strings.Cut(run.f.DNS.Addr, ":")
	for _, label := range []string{"good", "insecure", "bogus", "mailonly"} {
		t.Run(label, func(t *testing.T) {
			r := run.result(t, label)
			qtype := "A"
			if label == "mailonly" {
				qtype = "MX"
			}
			out, _ := runTool(t, time.Minute, bin, "@"+host, "-p", port, "-a", anchor, "+root=kubu.test", run.names[label], qtype)
			var delv string
			switch {
			case strings.Contains(out, "; fully validated"):
				delv = "secure"
			case strings.Contains(out, "; unsigned answer"):
				delv = "insecure"
			case strings.Contains(out, "resolution failed") || strings.Contains(out, "no valid signature"):
				delv = "bogus"
			default:
				t.Fatalf("delv output not understood:\n%s", out)
			}
			if delv != r.DNS.DNSSEC {
				t.Errorf("DNSSEC: delv %s, kubu %s\n%s", delv, r.DNS.DNSSEC, out)
			}
		})
	}
}

// observatoryCannot lists farm targets the Observatory cannot scan, and why
// (the tool's limits, documented in docs/scan.md).
var observatoryCannot = map[string]string{
	"tls10": "Node's OpenSSL 3 refuses TLS 1.0 at its default security level, so the HTTPS side looks down",
}

// TestAgainstObservatory runs the MDN HTTP Observatory (npm
// @mdn/mdn-http-observatory, installed by .ci/run into
// KUBU_OBSERVATORY_DIR) through scripts/observatory.mjs (the one that grades
// kubu's own pages too), which resolves the
// farm's names and passes the farm's ports.
func TestAgainstObservatory(t *testing.T) {
	node := tool(t, "node")
	dir := os.Getenv("KUBU_OBSERVATORY_DIR")
	src := filepath.Join(dir, "node_modules", "@mdn", "mdn-http-observatory", "src")
	if _, err := os.Stat(src); dir == "" || err != nil {
		if os.Getenv("KUBU_TEST_REQUIRE_SERVICES") == "1" {
			t.Fatalf("the MDN HTTP Observatory is not installed in KUBU_OBSERVATORY_DIR=%q (see .ci/run)", dir)
		}
		t.Skip("the MDN HTTP Observatory is not installed (set KUBU_OBSERVATORY_DIR)")
	}
	run, err := sharedFarm()
	if err != nil {
		t.Fatal(err)
	}
	rootPEM := filepath.Join(t.TempDir(), "root.pem")
	os.WriteFile(rootPEM, run.f.CA.RootPEM(), 0o644)
	script, _ := filepath.Abs("../../scripts/observatory.mjs")
	labels := []string{"good", "noheaders", "cookies", "noredirect", "metacsp", "towww"}
	if heavy {
		labels = append(labels, "nohsts", "shorthsts", "tls10", "downgrade", "httponly", "expired", "selfsigned", "wronghost", "insecure", "sectxt-missing")
	}
	for _, label := range labels {
		t.Run(label, func(t *testing.T) {
			r := run.result(t, label)
			st := run.started[label]
			hosts, _ := json.Marshal(map[string]string{st.Name: st.IP.String(), "www." + st.Name: st.IP.String()})
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			cmd := exec.CommandContext(ctx, node, script, st.Name, strconv.Itoa(run.f.Ports.HTTP), strconv.Itoa(run.f.Ports.HTTPS))
			cmd.Env = append(os.Environ(), "KUBU_OBS_HOSTS="+string(hosts), "KUBU_OBS_ROOT="+src, "NODE_EXTRA_CA_CERTS="+rootPEM)
			out, err := cmd.Output()
			var obs struct {
				Score int
				Grade string
				Tests map[string]string
				Error string
			}
			if jerr := json.Unmarshal(out, &obs); jerr != nil {
				t.Fatalf("observatory: %v %v\n%s", err, jerr, out)
			}
			if why, ok := observatoryCannot[label]; ok && obs.Error != "" {
				t.Skipf("the Observatory cannot scan this target: %s (it said %q)", why, obs.Error)
			}
			if obs.Error != "" {
				t.Fatalf("observatory: %s", obs.Error)
			}
			k := r.Verdicts.Observ
			for name, res := range obs.Tests {
				if k.Tests[name] != res {
					t.Errorf("%s: observatory %s, kubu %s", name, res, k.Tests[name])
				}
			}
			if obs.Score != k.Score || obs.Grade != k.Grade {
				t.Errorf("score: observatory %d %s, kubu %d %s", obs.Score, obs.Grade, k.Score, k.Grade)
			}
		})
	}
}

// TestAgainstTestssl compares with testssl.sh, which needs about a minute a
// target even on loopback, so it runs only under KUBU_TEST_HEAVY=1 (set
// KUBU_TESTSSL_TARGETS to a comma list of farm labels to pick some).
func TestAgainstTestssl(t *testing.T) {
	if !heavy && os.Getenv("KUBU_TESTSSL_TARGETS") == "" {
		t.Skip("testssl.sh takes about a minute per target: set KUBU_TEST_HEAVY=1")
	}
	bin := tool(t, "testssl")
	run, err := sharedFarm()
	if err != nil {
		t.Fatal(err)
	}
	rootPEM := filepath.Join(t.TempDir(), "root.pem")
	os.WriteFile(rootPEM, append(run.f.CA.RootPEM(), run.f.CA.IntermediatePEM()...), 0o644)
	labels := tlsTargets(run)
	if l := os.Getenv("KUBU_TESTSSL_TARGETS"); l != "" {
		labels = strings.Split(l, ",")
	}
	for _, label := range labels {
		t.Run(label, func(t *testing.T) {
			r := run.result(t, label)
			st := run.started[label]
			jf := filepath.Join(t.TempDir(), "t.json")
			out, err := runTool(t, 5*time.Minute, bin, "--quiet", "--warnings", "off", "--color", "0", "-p", "-E", "-S", "--add-ca", rootPEM,
				"--jsonfile", jf, "--ip", st.IP.String(), fmt.Sprintf("https://%s:%d/", st.Name, run.f.Ports.HTTPS))
			b, rerr := os.ReadFile(jf)
			if rerr != nil {
				t.Fatalf("testssl: %v %v\n%s", err, rerr, out)
			}
			var items []struct{ ID, Finding string }
			if err := json.Unmarshal(b, &items); err != nil {
				t.Fatal(err)
			}
			f := map[string]string{}
			suites := map[string][]string{}
			for _, it := range items {
				f[it.ID] = it.Finding
				if strings.HasPrefix(it.ID, "cipher-") {
					// cipher-tls1_2_xc02f: version, then the hex id.
					parts := strings.Split(strings.TrimPrefix(it.ID, "cipher-"), "_x")
					v := map[string]string{"tls1": "tls1.0", "tls1_1": "tls1.1", "tls1_2": "tls1.2", "tls1_3": "tls1.3", "ssl3": "ssl3"}[parts[0]]
					id, _ := strconv.ParseUint(parts[len(parts)-1], 16, 16)
					suites[v] = append(suites[v], tlsprobe.SuiteName(uint16(id)))
				}
			}
			var protos []string
			for _, p := range []struct{ id, name string }{{"SSLv3", "ssl3"}, {"TLS1", "tls1.0"}, {"TLS1_1", "tls1.1"}, {"TLS1_2", "tls1.2"}, {"TLS1_3", "tls1.3"}} {
				if strings.HasPrefix(f[p.id], "offered") {
					protos = append(protos, p.name)
				}
			}
			if g, k := strings.Join(protos, " "), strings.Join(r.TLS.Protocols, " "); g != k {
				t.Errorf("protocols: testssl %q, kubu %q", g, k)
			}
			for v := range suites {
				slices.Sort(suites[v])
			}
			if g, k := fmt.Sprint(suites), fmt.Sprint(suiteSet(r)); g != k {
				t.Errorf("suites:\n testssl %s\n kubu    %s", g, k)
			}
			c := r.TLS.Certificate
			if strings.Contains(f["cert_expirationStatus"], "expired") != slices.Contains(c.Problems, "expired") {
				t.Errorf("expired: testssl %q, kubu %v", f["cert_expirationStatus"], c.Problems)
			}
			if strings.Contains(f["cert_chain_of_trust"], "self signed") != slices.Contains(c.Problems, "self-signed") {
				t.Errorf("self-signed: testssl %q, kubu %v", f["cert_chain_of_trust"], c.Problems)
			}
			if strings.Contains(f["cert_trust"], "does not match") != slices.Contains(c.Problems, "hostname-mismatch") {
				t.Errorf("hostname: testssl %q, kubu %v", f["cert_trust"], c.Problems)
			}
			keyWant := strings.ToUpper(strings.Replace(strings.Replace(c.Key, "ecdsa-p", "EC ", 1), "rsa-", "RSA ", 1)) + " bits"
			if f["cert_keySize"] != keyWant {
				t.Errorf("key: testssl %q, kubu %q", f["cert_keySize"], c.Key)
			}
		})
	}
}
