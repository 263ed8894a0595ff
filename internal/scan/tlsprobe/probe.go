package tlsprobe

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"slices"
	"syscall"
	"time"
)

// Dialer opens a connection ready for a ClientHello (for SMTP, after
// STARTTLS).
type Dialer func(ctx context.Context) (net.Conn, error)

// Prober enumerates one server.
type Prober struct {
	Dial       Dialer
	ServerName string        // sent as SNI when it is a name
	Timeout    time.Duration // per handshake attempt; default 5 s
}

// Result is what the server accepts.
type Result struct {
	Versions     []uint16            // accepted, newest first
	Suites       map[uint16][]uint16 // per version, in the order the server chose them
	SSL2Ciphers  []string            // SSL 2.0 cipher kinds when SSL 2.0 is spoken (Versions then ends with SSL20)
	Groups       []uint16            // key exchange groups accepted
	Certificates [][]byte            // DER chain from a TLS ≤ 1.2 handshake (nil when only 1.3 is spoken)
	Probes       int                 // handshakes attempted
}

// Run probes every version from TLS 1.3 down to SSL 2.0, every suite in
// each, and the key exchange groups.
func (p *Prober) Run(ctx context.Context) (*Result, error) {
	res := &Result{Suites: map[uint16][]uint16{}}
	for _, v := range []uint16{TLS13, TLS12, TLS11, TLS10, SSL30} {
		suites, err := p.enumerate(ctx, res, v)
		if err != nil {
			return res, fmt.Errorf("%s: %w", VersionName(v), err)
		}
		if len(suites) > 0 {
			res.Versions = append(res.Versions, v)
			res.Suites[v] = suites
		}
	}
	ssl2, err := p.sslv2(ctx, res)
	if err != nil {
		return res, fmt.Errorf("ssl2: %w", err)
	}
	if ssl2 != nil {
		res.Versions = append(res.Versions, SSL20)
		res.SSL2Ciphers = ssl2
	}
	if err := p.groups(ctx, res); err != nil {
		return res, fmt.Errorf("groups: %w", err)
	}
	return res, nil
}

// enumerate offers every candidate suite of version v, removes the one the
// server picks, and repeats until the server refuses.
func (p *Prober) enumerate(ctx context.Context, res *Result, v uint16) ([]uint16, error) {
	cand := ids(legacySuites)
	if v == TLS13 {
		cand = ids(tls13Suites)
	}
	var got []uint16
	groups := groupIDs()
	if v == TLS13 {
		// An empty key share: the server names its suite in a
		// HelloRetryRequest without computing a key or a signature.
		groups = nil
		for _, g := range Groups {
			groups = append(groups, g.ID)
		}
	}
	for len(cand) > 0 {
		h := hello{version: v, suites: cand, serverName: p.ServerName, groups: groups, keyShare: false}
		sh, err := p.try(ctx, res, h, res.Certificates == nil && v < TLS13)
		if err != nil {
			if refused(err) {
				break
			}
			return got, err
		}
		if sh.version != v || !slices.Contains(cand, sh.suite) {
			break // the server answered another version, or a suite we did not offer
		}
		if sh.certs != nil && res.Certificates == nil {
			res.Certificates = sh.certs
		}
		got = append(got, sh.suite)
		cand = slices.DeleteFunc(cand, func(s uint16) bool { return s == sh.suite })
	}
	return got, nil
}

// groups finds the key exchange groups: in TLS 1.3 by offering one group at
// a time with no key share (a server that supports it asks for one with a
// HelloRetryRequest); otherwise in TLS 1.2 by offering only the server's
// ECDHE suites and one curve at a time.
func (p *Prober) groups(ctx context.Context, res *Result) error {
	if s := res.Suites[TLS13]; len(s) > 0 {
		for _, g := range Groups {
			sh, err := p.try(ctx, res, hello{version: TLS13, suites: s, serverName: p.ServerName, groups: []uint16{g.ID}}, false)
			if err != nil {
				if refused(err) {
					continue
				}
				return err
			}
			if sh.version == TLS13 && (sh.group == g.ID || sh.group == 0) {
				res.Groups = append(res.Groups, g.ID)
			}
		}
		return nil
	}
	var ecdhe []uint16
	var v uint16
	for _, ver := range []uint16{TLS12, TLS11, TLS10} {
		for _, s := range res.Suites[ver] {
			if n := SuiteName(s); len(n) > 10 && n[:10] == "TLS_ECDHE_" {
				ecdhe, v = append(ecdhe, s), ver
			}
		}
		if len(ecdhe) > 0 {
			break
		}
	}
	if len(ecdhe) == 0 {
		return nil
	}
	for _, g := range Groups {
		if g.ID >= 0x0100 {
			continue // finite-field and hybrid groups are not ECDHE curves in TLS 1.2
		}
		sh, err := p.try(ctx, res, hello{version: v, suites: ecdhe, serverName: p.ServerName, groups: []uint16{g.ID}}, false)
		if err != nil {
			if refused(err) {
				continue
			}
			return err
		}
		if slices.Contains(ecdhe, sh.suite) {
			res.Groups = append(res.Groups, g.ID)
		}
	}
	return nil
}

// try sends one ClientHello on a fresh connection.
func (p *Prober) try(ctx context.Context, res *Result, h hello, wantCerts bool) (*serverHello, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	res.Probes++
	timeout := p.Timeout
	if timeout <= 0 {
		timeout = 5 * time.Second
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	conn, err := p.Dial(ctx)
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	deadline, _ := ctx.Deadline()
	conn.SetDeadline(deadline)
	rec, err := h.marshal()
	if err != nil {
		return nil, err
	}
	if _, err := conn.Write(rec); err != nil {
		return nil, &refusal{err}
	}
	sh, err := readServerHello(conn, wantCerts)
	if err != nil {
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() {
			return nil, fmt.Errorf("no answer to a ClientHello within %s", timeout)
		}
		return nil, err
	}
	return sh, nil
}

// refusal wraps a write error after connecting: the server hung up.
type refusal struct{ err error }

func (r *refusal) Error() string { return r.err.Error() }

// refused says whether err means "the server will not do this" rather than
// "we could not measure".
func refused(err error) bool {
	var a *AlertError
	var r *refusal
	return errors.As(err, &a) || errors.As(err, &r) || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE)
}

func ids(s []Suite) []uint16 {
	out := make([]uint16, len(s))
	for i, x := range s {
		out[i] = x.ID
	}
	return out
}

func groupIDs() []uint16 {
	return []uint16{0x001d, 0x0017, 0x0018, 0x0019}
}
