package config

import (
	"errors"
	"flag"
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"
)

// Intel configures containment, the feeds and threat intelligence
// (contract §7).
type Intel struct {
	// OnePerson turns two-person approval of containment off
	// (--containment-two-person=false); the zero value keeps it on.
	OnePerson bool
	AllowList string   // file of values containment must never block
	Protect   []string // the platform's own addresses, ranges and names, besides those the config names
	SCIMURL   string   // SCIM 2.0 root of the identity provider; empty: accounts cannot be disabled
	SCIMToken string   // KUBU_SCIM_TOKEN[_FILE]
	// WebhookURL is told (signed) of every block that becomes active or
	// ends; the secret is KUBU_CONTAINMENT_WEBHOOK_SECRET[_FILE].
	WebhookURL    string
	WebhookSecret string

	RPZAddr          string   // HOST:PORT of the response policy zone; empty: no RPZ
	RPZZone          string   // the zone's origin (default rpz.kubu.)
	RPZNotify        []string // secondaries told of every change (HOST:PORT)
	RPZAllowTransfer []string // networks allowed to transfer the zone besides loopback and the secondaries

	Sources string // file of TAXII/MISP/list sources to poll
	// IOCWorkers is the number of workers matching events against the
	// indicators on this node: 0 means the default (1), negative none.
	IOCWorkers int

	// MinTTL is the shortest containment TTL accepted (default 1 minute;
	// no flag: tests use seconds).
	MinTTL time.Duration
}

func intelFlags(fs *flag.FlagSet, c *Intel, env Getenv) {
	c.OnePerson = !envBool(env, "KUBU_CONTAINMENT_TWO_PERSON", true)
	fs.BoolFunc("containment-two-person", "containment actions wait for a second person's approval; =false turns it off (default true; env KUBU_CONTAINMENT_TWO_PERSON)", func(s string) error {
		b, err := strconv.ParseBool(s)
		if err != nil {
			return err
		}
		c.OnePerson = !b
		return nil
	})
	fs.StringVar(&c.AllowList, "containment-allow-list", envOr(env, "KUBU_CONTAINMENT_ALLOW_LIST", ""), "file of addresses, ranges, domains and account:NAMEs containment must never block (env KUBU_CONTAINMENT_ALLOW_LIST)")
	c.Protect = splitList(env("KUBU_CONTAINMENT_PROTECT"))
	fs.Func("containment-protect", "the platform's own address, range or name that containment must never block, besides --public-url and the listen addresses (repeatable; env KUBU_CONTAINMENT_PROTECT, comma-separated)", func(s string) error {
		c.Protect = append(c.Protect, s)
		return nil
	})
	fs.StringVar(&c.SCIMURL, "scim-url", envOr(env, "KUBU_SCIM_URL", ""), "SCIM 2.0 root of the identity provider that disables accounts; the token comes from KUBU_SCIM_TOKEN[_FILE] (env KUBU_SCIM_URL)")
	c.SCIMToken = env("KUBU_SCIM_TOKEN")
	fs.StringVar(&c.WebhookURL, "containment-webhook-url", envOr(env, "KUBU_CONTAINMENT_WEBHOOK_URL", ""), "SOAR webhook told (signed with KUBU_CONTAINMENT_WEBHOOK_SECRET[_FILE]) of every block that starts or ends (env KUBU_CONTAINMENT_WEBHOOK_URL)")
	c.WebhookSecret = env("KUBU_CONTAINMENT_WEBHOOK_SECRET")
	fs.StringVar(&c.RPZAddr, "rpz-addr", envOr(env, "KUBU_RPZ_ADDR", ""), "serve the DNS response policy zone of domain blocks at HOST:PORT (UDP and TCP) (env KUBU_RPZ_ADDR)")
	fs.StringVar(&c.RPZZone, "rpz-zone", envOr(env, "KUBU_RPZ_ZONE", "rpz.kubu."), "origin of the response policy zone (env KUBU_RPZ_ZONE)")
	c.RPZNotify = splitList(env("KUBU_RPZ_NOTIFY"))
	fs.Func("rpz-notify", "a secondary HOST:PORT sent a DNS NOTIFY after every change of the zone (repeatable; env KUBU_RPZ_NOTIFY, comma-separated)", func(s string) error {
		c.RPZNotify = append(c.RPZNotify, s)
		return nil
	})
	c.RPZAllowTransfer = splitList(env("KUBU_RPZ_ALLOW_TRANSFER"))
	fs.Func("rpz-allow-transfer", "a network allowed to transfer the zone besides loopback and the --rpz-notify secondaries (repeatable; env KUBU_RPZ_ALLOW_TRANSFER, comma-separated)", func(s string) error {
		c.RPZAllowTransfer = append(c.RPZAllowTransfer, s)
		return nil
	})
	c.IOCWorkers = int(envInt(env, "KUBU_IOC_WORKERS", 1))
	if c.IOCWorkers == 0 {
		c.IOCWorkers = -1
	}
	fs.Func("ioc-workers", "workers matching events against the threat indicators on this node; 0 turns matching off here (default 1; env KUBU_IOC_WORKERS)", func(s string) error {
		n, err := strconv.Atoi(s)
		if err != nil || n < 0 || n > 64 {
			return errors.New("want a number from 0 to 64")
		}
		c.IOCWorkers = n
		if n == 0 {
			c.IOCWorkers = -1
		}
		return nil
	})
	fs.StringVar(&c.Sources, "intel-sources", envOr(env, "KUBU_INTEL_SOURCES", ""), "file of TAXII collections and MISP, CSV and freetext feeds to poll (env KUBU_INTEL_SOURCES)")
}

// readSecret fills *dst from the file named by the environment variable
// name+"_FILE" when the variable itself is unset.
func readSecret(env Getenv, name string, dst *string) error {
	if *dst != "" {
		return nil
	}
	f := env(name + "_FILE")
	if f == "" {
		return nil
	}
	b, err := os.ReadFile(f)
	if err != nil {
		return fmt.Errorf("%s_FILE: %w", name, err)
	}
	*dst = strings.TrimSpace(string(b))
	return nil
}

func (c *Intel) finish(env Getenv) []error {
	var errs []error
	for _, s := range []struct {
		name string
		dst  *string
	}{{"KUBU_SCIM_TOKEN", &c.SCIMToken}, {"KUBU_CONTAINMENT_WEBHOOK_SECRET", &c.WebhookSecret}} {
		if err := readSecret(env, s.name, s.dst); err != nil {
			errs = append(errs, err)
		}
	}
	for _, u := range []struct{ flag, v string }{{"--scim-url", c.SCIMURL}, {"--containment-webhook-url", c.WebhookURL}} {
		if u.v == "" {
			continue
		}
		p, err := url.Parse(u.v)
		if err != nil || (p.Scheme != "https" && p.Scheme != "http") || p.Host == "" {
			errs = append(errs, fmt.Errorf("%s must be an absolute http(s) URL", u.flag))
		}
	}
	if c.SCIMURL != "" && c.SCIMToken == "" {
		errs = append(errs, errors.New("--scim-url needs KUBU_SCIM_TOKEN or KUBU_SCIM_TOKEN_FILE"))
	}
	if c.WebhookURL != "" && len(c.WebhookSecret) < 16 {
		errs = append(errs, errors.New("--containment-webhook-url needs KUBU_CONTAINMENT_WEBHOOK_SECRET[_FILE] of at least 16 characters"))
	}
	for _, f := range []struct{ name, path string }{{"--containment-allow-list", c.AllowList}, {"--intel-sources", c.Sources}} {
		if f.path != "" {
			if _, err := os.Stat(f.path); err != nil {
				errs = append(errs, fmt.Errorf("%s: %w", f.name, err))
			}
		}
	}
	for _, p := range c.Protect {
		if _, err := netip.ParsePrefix(p); err == nil {
			continue
		}
		if _, err := netip.ParseAddr(p); err == nil {
			continue
		}
		if strings.Contains(p, ".") && !strings.ContainsAny(p, " /:") {
			continue // a name
		}
		errs = append(errs, fmt.Errorf("--containment-protect %q: want an address, a CIDR or a domain", p))
	}
	for _, a := range append([]string{c.RPZAddr}, c.RPZNotify...) {
		if a == "" {
			continue
		}
		if _, _, err := net.SplitHostPort(a); err != nil {
			errs = append(errs, fmt.Errorf("--rpz-addr/--rpz-notify %q: want HOST:PORT", a))
		}
	}
	for _, n := range c.RPZAllowTransfer {
		if _, err := netip.ParsePrefix(n); err != nil {
			errs = append(errs, fmt.Errorf("--rpz-allow-transfer %q: want a CIDR", n))
		}
	}
	if c.RPZZone == "" {
		c.RPZZone = "rpz.kubu."
	}
	if !strings.HasSuffix(c.RPZZone, ".") {
		c.RPZZone += "."
	}
	return errs
}
