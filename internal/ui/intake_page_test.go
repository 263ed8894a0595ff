package ui_test

import (
	"net/http"
	"testing"

	"github.com/kubu-gov/kubu/internal/config"
)

// TestIntakePageShowsWhereToSend: every role that sees the Intake page is
// told who makes tokens, the endpoint URLs and a snippet per shipper, with
// this server's public address filled in.
func TestIntakePageShowsWhereToSend(t *testing.T) {
	e := newEnvWith(t, false, func(c *config.Config) { c.PublicURL = "https://kubu.example.gov" })
	for _, who := range []string{"admin", "analyst", "a-admin", "a-member"} {
		t.Run(who, func(t *testing.T) {
			res := e.signIn(t, who).get("/intake")
			if res.status != http.StatusOK {
				t.Fatalf("GET /intake as %s answered %d", who, res.status)
			}
			mustContain(t, "intake", res.body,
				"https://kubu.example.gov/services/collector/event", "https://kubu.example.gov/_bulk", "https://kubu.example.gov/v1/logs",
				"wog-admin (for any agency)", "agency-admin (for their own agency)",
				`id="snippet-rsyslog"`, `action(type=&#34;omfwd&#34; target=&#34;kubu.example.gov&#34; port=&#34;6514&#34;`,
				`id="snippet-syslog-ng"`, `syslog(&#34;kubu.example.gov&#34; port(6514) transport(&#34;tls&#34;)`,
				`id="snippet-fluent-bit"`, "Splunk_Token  PASTE_INTAKE_TOKEN", "Port          443",
				`id="snippet-vector"`, `endpoint = &#34;https://kubu.example.gov&#34;`,
				`id="snippet-winlogbeat"`, `hosts: [&#34;https://kubu.example.gov&#34;]`,
				`id="snippet-otel"`, "logs_endpoint: https://kubu.example.gov/v1/logs",
				"Syslog is not switched on here")
			if who == "a-member" || who == "analyst" {
				mustContain(t, "intake", res.body, "Ask one of them for a token.")
			}
		})
	}
}
