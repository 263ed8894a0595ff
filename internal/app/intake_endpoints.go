package app

import (
	"net"
	"net/url"

	"github.com/kubu-gov/kubu/internal/ui"
)

// intakeEndpoints tells the Intake page where shippers send: the public
// web address, --intake-addr's listener and the syslog listeners. A
// listener on every interface (0.0.0.0, [::] or no host) is shown with
// the public address's host.
func (a *App) intakeEndpoints() ui.IntakeEndpoints {
	e := ui.IntakeEndpoints{BaseURL: a.Cfg.BaseURL(), SyslogUDP: a.Cfg.SyslogUDP, SyslogTCP: a.Cfg.SyslogTCP, SyslogTLS: a.Cfg.SyslogTLS}
	if a.Cfg.IntakeAddr != "" {
		host, port, err := net.SplitHostPort(a.Cfg.IntakeAddr)
		if err == nil {
			if ip := net.ParseIP(host); host == "" || ip != nil && ip.IsUnspecified() {
				if u, err := url.Parse(e.BaseURL); err == nil && u.Hostname() != "" {
					host = u.Hostname()
				}
			}
			e.IntakeURL = "http://" + net.JoinHostPort(host, port)
		}
	}
	return e
}
