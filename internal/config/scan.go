package config

import (
	"errors"
	"flag"
	"fmt"
	"net"
	"os"

	"github.com/kubu-gov/kubu/internal/scan"
)

// Scan configures external scanning in kubu serve (issue 13).
type Scan struct {
	On           bool     // scan registered hostnames on this node (scheduled and requested scans)
	Concurrency  int      // names scanned at once on this node
	PerAddress   int      // connections at once to one IP address (politeness)
	Resolver     string   // HOST:PORT every DNS query goes to; empty: the first nameserver of /etc/resolv.conf
	CAs          []string // PEM files whose roots replace the system's (other CA certificates: known intermediates)
	TrustAnchors []string // DNSSEC trust anchors beside the root's (DS or DNSKEY records in zone-file form)
	Ports        string   // "http=8080,https=8443,smtp=2525": test farms only
	Private      bool     // also scan names that resolve to private, loopback and other non-public addresses
}

func scanFlags(fs *flag.FlagSet, c *Scan, env Getenv) {
	fs.BoolVar(&c.On, "scan", envBool(env, "KUBU_SCAN", true), "scan every registered hostname on a cadence by risk, and on request (env KUBU_SCAN)")
	fs.IntVar(&c.Concurrency, "scan-concurrency", int(envInt(env, "KUBU_SCAN_CONCURRENCY", 8)), "names this node scans at once (env KUBU_SCAN_CONCURRENCY)")
	fs.IntVar(&c.PerAddress, "scan-per-address", int(envInt(env, "KUBU_SCAN_PER_ADDRESS", 2)), "connections at once to one IP address (env KUBU_SCAN_PER_ADDRESS)")
	fs.StringVar(&c.Resolver, "scan-resolver", envOr(env, "KUBU_SCAN_RESOLVER", ""), "DNS server HOST:PORT every scan query goes to; empty means the first nameserver in /etc/resolv.conf (env KUBU_SCAN_RESOLVER)")
	c.CAs = splitList(env("KUBU_SCAN_CA"))
	fs.Func("scan-ca", "PEM file of roots the scanner trusts instead of the system's (repeatable; env KUBU_SCAN_CA, comma-separated)", func(s string) error {
		c.CAs = append(c.CAs, s)
		return nil
	})
	c.TrustAnchors = splitList(env("KUBU_SCAN_TRUST_ANCHOR"))
	fs.Func("scan-trust-anchor", "file of DNSSEC trust anchors (DS or DNSKEY records) beside the root's (repeatable; env KUBU_SCAN_TRUST_ANCHOR, comma-separated)", func(s string) error {
		c.TrustAnchors = append(c.TrustAnchors, s)
		return nil
	})
	fs.StringVar(&c.Ports, "scan-ports", envOr(env, "KUBU_SCAN_PORTS", ""), "move the scanned ports, e.g. http=8080,https=8443,smtp=2525 (test farms; env KUBU_SCAN_PORTS)")
	fs.BoolVar(&c.Private, "scan-private", envBool(env, "KUBU_SCAN_PRIVATE", false), "also scan names that resolve to private, loopback or other non-public addresses (env KUBU_SCAN_PRIVATE)")
}

func (c *Scan) finish() []error {
	var errs []error
	if c.Concurrency < 0 || c.Concurrency > 1024 {
		errs = append(errs, errors.New("--scan-concurrency must be from 1 to 1024 (0 means the default)"))
	}
	if c.PerAddress < 0 || c.PerAddress > 64 {
		errs = append(errs, errors.New("--scan-per-address must be from 1 to 64 (0 means the default)"))
	}
	if c.Resolver != "" {
		if _, _, err := net.SplitHostPort(c.Resolver); err != nil {
			errs = append(errs, fmt.Errorf("--scan-resolver %q: want HOST:PORT", c.Resolver))
		}
	}
	for _, f := range append(append([]string{}, c.CAs...), c.TrustAnchors...) {
		if _, err := os.Stat(f); err != nil {
			errs = append(errs, fmt.Errorf("--scan-ca/--scan-trust-anchor: %w", err))
		}
	}
	if c.Ports != "" {
		var p scan.Ports
		if err := scan.ParsePorts(c.Ports, &p); err != nil {
			errs = append(errs, fmt.Errorf("--scan-ports: %w", err))
		}
	}
	return errs
}
