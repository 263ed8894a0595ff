package dnssec

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/miekg/dns"
)

// Status is the DNSSEC state of an answer.
type Status string

const (
	Secure   Status = "secure"   // validated from a trust anchor down
	Insecure Status = "insecure" // provably outside any signed chain
	Bogus    Status = "bogus"    // should be signed but does not validate
)

// worse returns the worse of two statuses (bogus > insecure > secure).
func worse(a, b Status) Status {
	rank := map[Status]int{Secure: 0, Insecure: 1, Bogus: 2, "": -1}
	if rank[b] > rank[a] {
		return b
	}
	return a
}

// Validator validates answers from a Client against trust anchors.
type Validator struct {
	c       *Client
	anchors map[string][]dns.RR
	Now     func() time.Time

	mu    sync.Mutex
	walks map[string]walkResult
}

// NewValidator validates with the root anchors plus extra ones.
func NewValidator(c *Client, extra []dns.RR) *Validator {
	return &Validator{c: c, anchors: anchorSet(append(RootAnchors(), extra...)), Now: time.Now, walks: map[string]walkResult{}}
}

// Client returns the validator's client.
func (v *Validator) Client() *Client { return v.c }

// Answer is the outcome of a validated lookup.
type Answer struct {
	RRs      []dns.RR // records of the asked type (after any CNAME)
	NXDomain bool
	Status   Status
	Reason   string // why it is not secure
}

// Lookup queries name/qtype and validates every RRset in the answer, or the
// proof of non-existence when there is none.
func (v *Validator) Lookup(ctx context.Context, name string, qtype uint16) (Answer, error) {
	name = dns.CanonicalName(name)
	m, err := v.c.Query(ctx, name, qtype)
	if err != nil {
		return Answer{}, err
	}
	a := Answer{NXDomain: m.Rcode == dns.RcodeNameError, Status: Secure}
	type key struct {
		name string
		t    uint16
	}
	sets := map[key][]dns.RR{}
	var order []key
	for _, rr := range m.Answer {
		h := rr.Header()
		if h.Rrtype == dns.TypeRRSIG {
			continue
		}
		k := key{dns.CanonicalName(h.Name), h.Rrtype}
		if _, ok := sets[k]; !ok {
			order = append(order, k)
		}
		sets[k] = append(sets[k], rr)
		if h.Rrtype == qtype {
			a.RRs = append(a.RRs, rr)
		}
	}
	for _, k := range order {
		_, sigs := RRset(m.Answer, k.name, k.t)
		st, why := v.verifyRRset(ctx, sets[k], sigs)
		if worse(a.Status, st) != a.Status {
			a.Status, a.Reason = st, why
		}
	}
	if len(a.RRs) == 0 {
		st, why := v.verifyDenial(ctx, name, qtype, m)
		if worse(a.Status, st) != a.Status {
			a.Status, a.Reason = st, why
		}
	}
	return a, nil
}

// verifyRRset decides one RRset's status.
func (v *Validator) verifyRRset(ctx context.Context, rrs []dns.RR, sigs []*dns.RRSIG) (Status, string) {
	owner := dns.CanonicalName(rrs[0].Header().Name)
	if len(sigs) == 0 {
		w := v.walk(ctx, owner)
		if w.status == Secure {
			return Bogus, fmt.Sprintf("%s %s has no signature in signed zone %s", owner, dns.TypeToString[rrs[0].Header().Rrtype], w.zone)
		}
		return w.status, w.reason
	}
	var lastWhy string
	for _, s := range sigs {
		signer := dns.CanonicalName(s.SignerName)
		if !dns.IsSubDomain(signer, owner) {
			lastWhy = fmt.Sprintf("signer %s is not above %s", signer, owner)
			continue
		}
		w := v.walk(ctx, signer)
		if w.status != Secure {
			return w.status, w.reason
		}
		if w.zone != signer {
			lastWhy = fmt.Sprintf("signer %s is not a signed zone apex (enclosing zone %s)", signer, w.zone)
			continue
		}
		if err := v.verifyWith([]*dns.RRSIG{s}, rrs, w.keys); err == nil {
			return Secure, ""
		} else {
			lastWhy = fmt.Sprintf("%s %s: %v", owner, dns.TypeToString[rrs[0].Header().Rrtype], err)
		}
	}
	return Bogus, lastWhy
}

// verifyWith checks that one of sigs, made by one of keys, covers rrs now.
func (v *Validator) verifyWith(sigs []*dns.RRSIG, rrs []dns.RR, keys []*dns.DNSKEY) error {
	err := errors.New("no signature by a known key")
	for _, s := range sigs {
		for _, k := range keys {
			if k.KeyTag() != s.KeyTag || k.Algorithm != s.Algorithm {
				continue
			}
			if e := s.Verify(k, rrs); e != nil {
				err = fmt.Errorf("signature by key %d does not verify: %w", s.KeyTag, e)
				continue
			}
			if !s.ValidityPeriod(v.Now()) {
				err = fmt.Errorf("signature by key %d is outside its validity period", s.KeyTag)
				continue
			}
			return nil
		}
	}
	return err
}

type walkResult struct {
	zone   string
	keys   []*dns.DNSKEY
	status Status
	reason string
}

// walk follows the chain of trust from the closest anchor down to name and
// returns the deepest zone found that encloses it, with its validated keys.
func (v *Validator) walk(ctx context.Context, name string) walkResult {
	name = dns.CanonicalName(name)
	v.mu.Lock()
	if w, ok := v.walks[name]; ok {
		v.mu.Unlock()
		return w
	}
	v.mu.Unlock()
	w := v.doWalk(ctx, name)
	if ctx.Err() == nil {
		v.mu.Lock()
		v.walks[name] = w
		v.mu.Unlock()
	}
	return w
}

func (v *Validator) doWalk(ctx context.Context, name string) walkResult {
	anchor, ok := closestAnchor(v.anchors, name)
	if !ok {
		return walkResult{status: Insecure, reason: "no trust anchor above " + name}
	}
	if anchor != name {
		// Reuse the parent's walk so shared zones are validated once.
		p := v.walk(ctx, parent(name))
		if p.status != Secure {
			return p
		}
		return v.step(ctx, p, name)
	}
	keys, err := v.anchorKeys(ctx, anchor)
	if err != nil {
		return walkResult{zone: anchor, status: Bogus, reason: err.Error()}
	}
	return walkResult{zone: anchor, keys: keys, status: Secure}
}

// step goes one label down from the zone in p to child.
func (v *Validator) step(ctx context.Context, p walkResult, child string) walkResult {
	m, err := v.c.Query(ctx, child, dns.TypeDS)
	if err != nil {
		return walkResult{zone: p.zone, status: Bogus, reason: "DS " + child + ": " + err.Error()}
	}
	ds, sigs := RRset(m.Answer, child, dns.TypeDS)
	if len(ds) > 0 {
		if err := v.verifyWith(sigs, ds, p.keys); err != nil {
			return walkResult{zone: p.zone, status: Bogus, reason: "DS " + child + ": " + err.Error()}
		}
		keys, err := v.keysByDS(ctx, child, ds)
		if err != nil {
			return walkResult{zone: p.zone, status: Bogus, reason: err.Error()}
		}
		return walkResult{zone: child, keys: keys, status: Secure}
	}
	proof, err := v.noDS(child, m, p.keys)
	if err != nil {
		return walkResult{zone: p.zone, status: Bogus, reason: "DS " + child + ": " + err.Error()}
	}
	switch proof {
	case proofInsecureCut:
		return walkResult{zone: child, status: Insecure, reason: child + " is delegated without DS (unsigned)"}
	default: // not a zone cut: same zone continues
		return p
	}
}

type dsProof int

const (
	proofNoCut dsProof = iota
	proofInsecureCut
)

// noDS checks the signed proof that child has no DS and says whether child
// is an unsigned delegation or no zone cut at all.
func (v *Validator) noDS(child string, m *dns.Msg, keys []*dns.DNSKEY) (dsProof, error) {
	for _, rr := range m.Ns {
		switch n := rr.(type) {
		case *dns.NSEC:
			owner := dns.CanonicalName(n.Hdr.Name)
			match := owner == child
			if !match && !nsecCovers(owner, dns.CanonicalName(n.NextDomain), child) {
				continue
			}
			set, sigs := RRset(m.Ns, n.Hdr.Name, dns.TypeNSEC)
			if err := v.verifyWith(sigs, set, keys); err != nil {
				return 0, fmt.Errorf("NSEC proof: %w", err)
			}
			if !match {
				return proofNoCut, nil // name does not exist
			}
			if hasType(n.TypeBitMap, dns.TypeDS) {
				return 0, errors.New("NSEC says DS exists but none was returned")
			}
			if hasType(n.TypeBitMap, dns.TypeNS) && !hasType(n.TypeBitMap, dns.TypeSOA) {
				return proofInsecureCut, nil
			}
			return proofNoCut, nil
		case *dns.NSEC3:
			if n.Match(child) {
				set, sigs := RRset(m.Ns, n.Hdr.Name, dns.TypeNSEC3)
				if err := v.verifyWith(sigs, set, keys); err != nil {
					return 0, fmt.Errorf("NSEC3 proof: %w", err)
				}
				if hasType(n.TypeBitMap, dns.TypeDS) {
					return 0, errors.New("NSEC3 says DS exists but none was returned")
				}
				if hasType(n.TypeBitMap, dns.TypeNS) && !hasType(n.TypeBitMap, dns.TypeSOA) {
					return proofInsecureCut, nil
				}
				return proofNoCut, nil
			}
			if n.Cover(child) {
				set, sigs := RRset(m.Ns, n.Hdr.Name, dns.TypeNSEC3)
				if err := v.verifyWith(sigs, set, keys); err != nil {
					return 0, fmt.Errorf("NSEC3 proof: %w", err)
				}
				if n.Flags&1 == 1 { // opt-out: unsigned delegations may hide here
					return proofInsecureCut, nil
				}
				return proofNoCut, nil
			}
		}
	}
	return 0, errors.New("no signed proof that it has no DS")
}

// verifyDenial validates an empty answer.
func (v *Validator) verifyDenial(ctx context.Context, name string, qtype uint16, m *dns.Msg) (Status, string) {
	w := v.walk(ctx, name)
	if w.status != Secure {
		return w.status, w.reason
	}
	for _, rr := range m.Ns {
		var owner string
		var ok bool
		var t uint16
		switch n := rr.(type) {
		case *dns.NSEC:
			owner, t = n.Hdr.Name, dns.TypeNSEC
			c := dns.CanonicalName(n.Hdr.Name)
			ok = (c == name && !hasType(n.TypeBitMap, qtype) && !hasType(n.TypeBitMap, dns.TypeCNAME)) || nsecCovers(c, dns.CanonicalName(n.NextDomain), name)
		case *dns.NSEC3:
			owner, t = n.Hdr.Name, dns.TypeNSEC3
			ok = (n.Match(name) && !hasType(n.TypeBitMap, qtype)) || n.Cover(name)
		}
		if !ok {
			continue
		}
		set, sigs := RRset(m.Ns, owner, t)
		if len(sigs) == 0 {
			continue
		}
		pw := v.walk(ctx, sigs[0].SignerName)
		if pw.status == Secure && v.verifyWith(sigs, set, pw.keys) == nil {
			return Secure, ""
		}
	}
	return Bogus, fmt.Sprintf("no signed proof that %s %s does not exist", name, dns.TypeToString[qtype])
}

// anchorKeys fetches an anchored zone's DNSKEY set and validates it with the
// anchor.
func (v *Validator) anchorKeys(ctx context.Context, zone string) ([]*dns.DNSKEY, error) {
	var ds []dns.RR
	var trusted []*dns.DNSKEY
	for _, a := range v.anchors[zone] {
		switch k := a.(type) {
		case *dns.DS:
			ds = append(ds, k)
		case *dns.DNSKEY:
			trusted = append(trusted, k)
		}
	}
	m, err := v.c.Query(ctx, zone, dns.TypeDNSKEY)
	if err != nil {
		return nil, fmt.Errorf("DNSKEY %s: %w", zone, err)
	}
	set, sigs := RRset(m.Answer, zone, dns.TypeDNSKEY)
	keys := dnskeys(set)
	if len(keys) == 0 {
		return nil, fmt.Errorf("DNSKEY %s: none returned for a trust anchor", zone)
	}
	var sep []*dns.DNSKEY
	for _, k := range keys {
		for _, t := range trusted {
			if k.Algorithm == t.Algorithm && k.Protocol == t.Protocol && strings.EqualFold(k.PublicKey, t.PublicKey) {
				sep = append(sep, k)
			}
		}
		if dsMatches(k, ds) {
			sep = append(sep, k)
		}
	}
	if len(sep) == 0 {
		return nil, fmt.Errorf("DNSKEY %s: no key matches the trust anchor", zone)
	}
	if err := v.verifyWith(sigs, set, sep); err != nil {
		return nil, fmt.Errorf("DNSKEY %s: %w", zone, err)
	}
	return keys, nil
}

// keysByDS fetches child's DNSKEY set and validates it with its DS records.
func (v *Validator) keysByDS(ctx context.Context, child string, ds []dns.RR) ([]*dns.DNSKEY, error) {
	m, err := v.c.Query(ctx, child, dns.TypeDNSKEY)
	if err != nil {
		return nil, fmt.Errorf("DNSKEY %s: %w", child, err)
	}
	set, sigs := RRset(m.Answer, child, dns.TypeDNSKEY)
	keys := dnskeys(set)
	var sep []*dns.DNSKEY
	for _, k := range keys {
		if dsMatches(k, ds) {
			sep = append(sep, k)
		}
	}
	if len(sep) == 0 {
		return nil, fmt.Errorf("DNSKEY %s: no key matches its DS", child)
	}
	if err := v.verifyWith(sigs, set, sep); err != nil {
		return nil, fmt.Errorf("DNSKEY %s: %w", child, err)
	}
	return keys, nil
}

func dnskeys(set []dns.RR) []*dns.DNSKEY {
	var out []*dns.DNSKEY
	for _, rr := range set {
		if k, ok := rr.(*dns.DNSKEY); ok && k.Flags&dns.ZONE != 0 {
			out = append(out, k)
		}
	}
	return out
}

func dsMatches(k *dns.DNSKEY, ds []dns.RR) bool {
	for _, rr := range ds {
		d, ok := rr.(*dns.DS)
		if !ok || d.KeyTag != k.KeyTag() || d.Algorithm != k.Algorithm {
			continue
		}
		if c := k.ToDS(d.DigestType); c != nil && strings.EqualFold(c.Digest, d.Digest) {
			return true
		}
	}
	return false
}

func hasType(bitmap []uint16, t uint16) bool {
	for _, b := range bitmap {
		if b == t {
			return true
		}
	}
	return false
}

// nsecCovers says whether name falls strictly between owner and next in
// canonical order (wrapping at the end of the zone).
func nsecCovers(owner, next, name string) bool {
	a, b := canonicalCompare(owner, name), canonicalCompare(name, next)
	if canonicalCompare(owner, next) < 0 {
		return a < 0 && b < 0
	}
	return a < 0 || b < 0 // last NSEC wraps to the apex
}

// canonicalCompare orders names as RFC 4034 §6.1 does.
func canonicalCompare(x, y string) int {
	lx, ly := dns.SplitDomainName(strings.ToLower(x)), dns.SplitDomainName(strings.ToLower(y))
	for i := 1; i <= len(lx) && i <= len(ly); i++ {
		a, b := lx[len(lx)-i], ly[len(ly)-i]
		if a != b {
			if a < b {
				return -1
			}
			return 1
		}
	}
	return len(lx) - len(ly)
}
