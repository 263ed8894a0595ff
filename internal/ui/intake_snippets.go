package ui

import (
	"net"
	"net/url"
	"strings"

	"github.com/kubu-gov/kubu/internal/authz"
)

// IntakeEndpoints are where this kubu listens for log shippers, for the
// Intake page's addresses and configuration snippets.
type IntakeEndpoints struct {
	BaseURL   string // the web address (--public-url, else http://--addr)
	IntakeURL string // --intake-addr's own listener as a URL ("" when not set)
	SyslogUDP string // --syslog-udp, --syslog-tcp, --syslog-tls listen addresses ("" when off)
	SyslogTCP string
	SyslogTLS string
}

// intakeEndpoint is one address a shipper sends to.
type intakeEndpoint struct {
	Protocol, Address, Auth string
}

// shipperSnippet is a ready-to-paste configuration for one log shipper.
type shipperSnippet struct {
	ID, Name, File, Note, Config string
}

// tokenPlaceholder stands in the snippets for the intake token, which is
// shown only once, when it is created.
const tokenPlaceholder = "PASTE_INTAKE_TOKEN"

// endpoints lists the addresses of this server's intake protocols.
func (e IntakeEndpoints) endpoints() []intakeEndpoint {
	base := strings.TrimRight(e.BaseURL, "/")
	es := base
	if e.IntakeURL != "" {
		es = strings.TrimRight(e.IntakeURL, "/")
	}
	out := []intakeEndpoint{
		{"Splunk HEC", base + "/services/collector/event", "Authorization: Splunk TOKEN"},
		{"Splunk HEC, raw", base + "/services/collector/raw", "Authorization: Splunk TOKEN"},
		{"Elasticsearch bulk", es + "/_bulk", "ApiKey, Bearer, or Basic with the token as password"},
		{"OTLP/HTTP logs", base + "/v1/logs", "Authorization: Bearer TOKEN"},
	}
	host := hostOf(base)
	for _, l := range []struct{ proto, addr string }{{"Syslog UDP", e.SyslogUDP}, {"Syslog TCP", e.SyslogTCP}, {"Syslog TLS", e.SyslogTLS}} {
		if l.addr != "" {
			out = append(out, intakeEndpoint{l.proto, net.JoinHostPort(host, portOf(l.addr)), "no token: the sender's network (--source-networks) names the agency"})
		}
	}
	return out
}

// snippets are the shippers' configurations filled with this server's
// addresses. Their syntax follows each tool's documentation (rsyslog
// omfwd, syslog-ng syslog() destination, Fluent Bit splunk output, Vector
// splunk_hec_logs sink, Winlogbeat Elasticsearch output, OpenTelemetry
// Collector otlphttp exporter); docs/operations.md lists the same options.
func (e IntakeEndpoints) snippets() []shipperSnippet {
	base := strings.TrimRight(e.BaseURL, "/")
	u, _ := url.Parse(base)
	host, port, tls := hostOf(base), "80", "Off"
	if u != nil && u.Scheme == "https" {
		port, tls = "443", "On"
	}
	if u != nil && u.Port() != "" {
		port = u.Port()
	}
	es := base
	if e.IntakeURL != "" {
		es = strings.TrimRight(e.IntakeURL, "/")
	}
	var out []shipperSnippet
	syslogPort, syslogProto, syslogNote := "", "", ""
	switch {
	case e.SyslogTLS != "":
		syslogPort, syslogProto = portOf(e.SyslogTLS), "tls"
	case e.SyslogTCP != "":
		syslogPort, syslogProto = portOf(e.SyslogTCP), "tcp"
	case e.SyslogUDP != "":
		syslogPort, syslogProto = portOf(e.SyslogUDP), "udp"
	default:
		syslogPort, syslogProto = "6514", "tls"
		syslogNote = "Syslog is not switched on here: start kubu with --syslog-tls (or --syslog-tcp, --syslog-udp) and map sender networks to agencies with --source-networks. "
	}
	rs := `action(type="omfwd" target="` + host + `" port="` + syslogPort + `" protocol="`
	sng := `destination d_kubu {
  syslog("` + host + `" port(` + syslogPort + `) transport("` + syslogProto + `")`
	switch syslogProto {
	case "tls":
		rs += `tcp"
       TCP_Framing="octet-counted" template="RSYSLOG_SyslogProtocol23Format"
       StreamDriver="gtls" StreamDriverMode="1"
       StreamDriverAuthMode="x509/name" StreamDriverPermittedPeers="` + host + `"
       queue.type="linkedList")`
		sng += `
    tls(ca-dir("/etc/ssl/certs")));`
	case "tcp":
		rs += `tcp"
       TCP_Framing="octet-counted" template="RSYSLOG_SyslogProtocol23Format"
       queue.type="linkedList")`
		sng += `);`
	default:
		rs += `udp"
       template="RSYSLOG_SyslogProtocol23Format")`
		sng += `);`
	}
	sng += `
};
log { source(s_src); destination(d_kubu); };`
	out = append(out,
		shipperSnippet{ID: "rsyslog", Name: "rsyslog", File: "/etc/rsyslog.d/60-kubu.conf", Config: "# Forward everything to kubu (RFC 5424).\n*.* " + rs,
			Note: syslogNote + "Syslog carries no token: kubu stamps events with the agency of the sender's network."},
		shipperSnippet{ID: "syslog-ng", Name: "syslog-ng", File: "/etc/syslog-ng/conf.d/kubu.conf", Config: sng,
			Note: syslogNote + "s_src is the system log source of Debian's and Ubuntu's syslog-ng.conf; use your own source's name elsewhere."},
		shipperSnippet{ID: "fluent-bit", Name: "Fluent Bit", File: "fluent-bit.conf", Config: `[OUTPUT]
    Name          splunk
    Match         *
    Host          ` + host + `
    Port          ` + port + `
    TLS           ` + tls + `
    Splunk_Token  ` + tokenPlaceholder},
		shipperSnippet{ID: "vector", Name: "Vector", File: "vector.toml", Config: `[sinks.kubu]
type = "splunk_hec_logs"
inputs = ["my_source"]
endpoint = "` + base + `"
default_token = "` + tokenPlaceholder + `"
encoding.codec = "json"
acknowledgements.enabled = true`, Note: "Replace my_source with your source's id. kubu answers indexer acknowledgements."},
		shipperSnippet{ID: "winlogbeat", Name: "Winlogbeat", File: "winlogbeat.yml", Config: `winlogbeat.event_logs:
  - name: Security
  - name: System
  - name: Microsoft-Windows-Sysmon/Operational
  - name: Microsoft-Windows-PowerShell/Operational

output.elasticsearch:
  hosts: ["` + es + `"]
  username: "winlogbeat"
  password: "` + tokenPlaceholder + `"`, Note: "The token is the password. Template and lifecycle set-up calls are answered and ignored; if your Winlogbeat version stops at start, add setup.template.enabled: false and setup.ilm.enabled: false."},
		shipperSnippet{ID: "otel", Name: "OpenTelemetry Collector", File: "otelcol.yaml", Config: `exporters:
  otlphttp/kubu:
    logs_endpoint: ` + base + `/v1/logs
    headers:
      Authorization: "Bearer ` + tokenPlaceholder + `"

service:
  pipelines:
    logs:
      receivers: [filelog]
      exporters: [otlphttp/kubu]`, Note: "Keep your own receivers; only the exporter and its place in the logs pipeline are kubu's."},
	)
	return out
}

// intakeManagers says which roles may create intake tokens, read from the
// policy table.
func intakeManagers() []string {
	var out []string
	for _, r := range authz.Roles() {
		sc := authz.ScopeOf(authz.Actor{UserID: "x", Role: r, AgencyID: "x"}, authz.IntakeManage)
		switch {
		case sc.All:
			out = append(out, string(r)+" (for any agency)")
		case !sc.None():
			out = append(out, string(r)+" (for their own agency)")
		}
	}
	return out
}

// hostOf is the host name of a URL ("localhost" when it has none).
func hostOf(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.Hostname() == "" {
		return "localhost"
	}
	return u.Hostname()
}

// portOf is the port of a listen address.
func portOf(addr string) string {
	if _, p, err := net.SplitHostPort(addr); err == nil {
		return p
	}
	return addr
}
