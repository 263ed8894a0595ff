package intake

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// testCA makes a CA and a server certificate for 127.0.0.1 (and, when
// client is set, a client certificate named client), written as PEM files
// in dir.
type testCA struct {
	dir                       string
	caFile, certFile, keyFile string
	clientCert, clientKey     string
	server                    tls.Certificate
	client                    tls.Certificate
	pool                      *x509.CertPool
}

func newTestCA(t *testing.T, client string) *testCA {
	t.Helper()
	dir := t.TempDir()
	caKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	caTmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "kubu test CA"}, IsCA: true,
		BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign, NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour)}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	caCert, _ := x509.ParseCertificate(caDER)
	c := &testCA{dir: dir, pool: x509.NewCertPool()}
	c.pool.AddCert(caCert)
	write := func(name, typ string, der []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	c.caFile = write("ca.pem", "CERTIFICATE", caDER)
	issue := func(serial int64, cn string, usage x509.ExtKeyUsage) (tls.Certificate, string, string) {
		key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		tmpl := &x509.Certificate{SerialNumber: big.NewInt(serial), Subject: pkix.Name{CommonName: cn}, DNSNames: []string{cn},
			IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, ExtKeyUsage: []x509.ExtKeyUsage{usage},
			KeyUsage: x509.KeyUsageDigitalSignature, NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour)}
		der, err := x509.CreateCertificate(rand.Reader, tmpl, caCert, &key.PublicKey, caKey)
		if err != nil {
			t.Fatal(err)
		}
		kder, _ := x509.MarshalPKCS8PrivateKey(key)
		cf := write(cn+".pem", "CERTIFICATE", der)
		kf := write(cn+"-key.pem", "PRIVATE KEY", kder)
		pair, err := tls.LoadX509KeyPair(cf, kf)
		if err != nil {
			t.Fatal(err)
		}
		return pair, cf, kf
	}
	c.server, c.certFile, c.keyFile = issue(2, "localhost", x509.ExtKeyUsageServerAuth)
	if client != "" {
		c.client, c.clientCert, c.clientKey = issue(3, client, x509.ExtKeyUsageClientAuth)
	}
	return c
}

func (c *testCA) serverConfig() *tls.Config {
	return &tls.Config{Certificates: []tls.Certificate{c.server}, ClientCAs: c.pool, ClientAuth: tls.VerifyClientCertIfGiven, MinVersion: tls.VersionTLS12}
}

// waitStored polls the event log until n events are stored.
func (r *rig) waitStored(t *testing.T, n int) []storedEvent {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		evs := r.stored(t)
		if len(evs) >= n || time.Now().After(deadline) {
			return evs
		}
		time.Sleep(30 * time.Millisecond)
	}
}

// TestSyslogListeners sends RFC 5424 and RFC 3164 messages over UDP, TCP
// (octet counting and newline framing) and TLS (with a client certificate
// that maps the sender), and checks agency mapping by source network.
func TestSyslogListeners(t *testing.T) {
	table, err := ParseSourceTable(strings.NewReader("127.0.0.0/8 MOH\ncert:fw01.moe.example MOE\n"))
	if err != nil {
		t.Fatal(err)
	}
	r := newRig(t, Options{Sources: table})
	ca := newTestCA(t, "fw01.moe.example")
	l, err := r.s.ListenSyslog(ListenerConfig{UDP: "127.0.0.1:0", TCP: "127.0.0.1:0", TLS: "127.0.0.1:0", TLSConfig: ca.serverConfig()})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close(context.Background())

	rfc5424 := `<165>1 2026-11-28T01:15:02.003Z fw01 sshd 4242 ID47 [origin ip="192.0.2.1"] Failed password for root`
	rfc3164 := `<34>Nov 28 01:15:03 web01 su[99]: 'su root' failed for lonvick`
	udp, err := net.Dial("udp", l.Addr(ProtoSyslogUDP))
	if err != nil {
		t.Fatal(err)
	}
	udp.Write([]byte(rfc5424))
	udp.Close()
	tcp, err := net.Dial("tcp", l.Addr(ProtoSyslogTCP))
	if err != nil {
		t.Fatal(err)
	}
	fmt.Fprintf(tcp, "%d %s%s\n", len(rfc5424), rfc5424, rfc3164) // one octet-counted frame, one newline frame
	tcp.Close()
	tc, err := tls.Dial("tcp", l.Addr(ProtoSyslogTLS), &tls.Config{RootCAs: ca.pool, ServerName: "localhost", Certificates: []tls.Certificate{ca.client}})
	if err != nil {
		t.Fatal(err)
	}
	fmt.Fprintf(tc, "%d %s", len(rfc3164), rfc3164)
	tc.Close()

	evs := r.waitStored(t, 4)
	got := map[string]string{}
	for _, ev := range evs {
		got[ev.meta("protocol")+"/"+fmt.Sprint(ev.Fields["app_name"])] = ev.meta("agency")
		if ev.meta("protocol") == ProtoSyslogUDP {
			sd, _ := ev.Fields["structured_data"].(map[string]any)
			if ev.Fields["message"] != "Failed password for root" || ev.meta("host") != "fw01" || sd["origin"] == nil {
				t.Errorf("RFC 5424 message not normalised: %s", ev.Line)
			}
		}
	}
	want := map[string]string{
		"syslog-udp/sshd": "MOH", "syslog-tcp/sshd": "MOH", "syslog-tcp/su": "MOH",
		"syslog-tls/su": "MOE", // the client certificate's name wins over the network
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatalf("events by protocol/app → agency (-want +got):\n%s", diff)
	}
	if err := l.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	r.s.FlushStats(context.Background())
	if st := r.statsOf(t); st.EventsAccepted != 4 {
		t.Fatalf("stats %+v", st)
	}
}

// TestSyslogUnassigned keeps events of unmapped senders under
// "unassigned" and lists the sender for wog-admins.
func TestSyslogUnassigned(t *testing.T) {
	r := newRig(t, Options{})
	l, err := r.s.ListenSyslog(ListenerConfig{TCP: "127.0.0.1:0"})
	if err != nil {
		t.Fatal(err)
	}
	c, err := net.Dial("tcp", l.Addr(ProtoSyslogTCP))
	if err != nil {
		t.Fatal(err)
	}
	fmt.Fprintf(c, "<13>Nov 28 01:15:03 host1 app: hello\n<999>not syslog at all\n")
	c.Close()
	evs := r.waitStored(t, 2)
	if len(evs) != 2 {
		t.Fatalf("stored %d", len(evs))
	}
	for _, ev := range evs {
		if ev.Subject != "kubu.events.unassigned" || ev.meta("agency") != Unassigned {
			t.Errorf("unmapped sender: %s %s", ev.Subject, ev.Line)
		}
	}
	if evs[1].Fields["parse_error"] == nil || evs[1].Fields["message"] != "<999>not syslog at all" {
		t.Errorf("an unparsable message is kept with its parse error: %s", evs[1].Line)
	}
	l.Close(context.Background())
	list, err := r.s.Unassigned(context.Background(), root)
	if err != nil || len(list) != 1 || list[0].Addr != "127.0.0.1" || list[0].Events != 2 {
		t.Fatalf("unassigned %+v %v", list, err)
	}
}

func TestSourceTable(t *testing.T) {
	table, err := ParseSourceTable(strings.NewReader(`
# networks
10.0.0.0/8      MOH
10.20.0.0/16    moe   # longer prefix wins
192.0.2.7       MOF
2001:db8::/32   MOH
cert:FW01.example MOE
`))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct{ addr, want string }{
		{"10.1.2.3", "MOH"}, {"10.20.9.9", "MOE"}, {"192.0.2.7", "MOF"}, {"192.0.2.8", ""},
		{"::ffff:10.20.0.1", "MOE"}, {"2001:db8::1", "MOH"}, {"2001:db9::1", ""},
	}
	for _, tt := range tests {
		got, _ := table.Lookup(netip.MustParseAddr(tt.addr))
		if got != tt.want {
			t.Errorf("Lookup(%s) = %q, want %q", tt.addr, got, tt.want)
		}
	}
	if a, ok := table.LookupCert("fw01.EXAMPLE"); !ok || a != "MOE" {
		t.Errorf("cert lookup: %q %v", a, ok)
	}
	for _, bad := range []string{"10.0.0.0/8", "10.0.0.0/33 MOH", "nothost MOH", "10.0.0.1 not-a-code!", "cert: MOH", "a b c"} {
		if _, err := ParseSourceTable(strings.NewReader(bad)); err == nil || !strings.Contains(err.Error(), "line 1") {
			t.Errorf("ParseSourceTable(%q) = %v, want an error naming line 1", bad, err)
		}
	}
}
