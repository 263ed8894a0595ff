package farm

import (
	"crypto"
	"fmt"
	"net"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/miekg/dns"
)

// Zone is one zone the farm's DNS server is authoritative for.
type Zone struct {
	Name   string // canonical, with the trailing dot
	Signed bool   // has a key, signs its answers; its parent publishes a DS
	Broken bool   // signed, but every signature except the DNSKEY set's is corrupted
	Key    *dns.DNSKEY
	priv   crypto.Signer
	rrs    map[string][]dns.RR // owner → records
}

// DNS is an authoritative server for a set of zones that signs online
// (minimal "black lies" NSEC for empty answers) and answers DS queries from
// the parent zone, so a validating stub can walk from an anchor down.
type DNS struct {
	mu    sync.RWMutex
	zones map[string]*Zone
	Addr  string // host:port (UDP and TCP)
	udp   *dns.Server
	tcp   *dns.Server
}

// NewDNS starts a server on addr (e.g. "127.77.0.53:0").
func NewDNS(addr string) (*DNS, error) {
	d := &DNS{zones: map[string]*Zone{}}
	pc, err := net.ListenPacket("udp", addr)
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", pc.LocalAddr().String())
	if err != nil {
		pc.Close()
		return nil, err
	}
	d.Addr = pc.LocalAddr().String()
	d.udp = &dns.Server{PacketConn: pc, Handler: d}
	d.tcp = &dns.Server{Listener: ln, Handler: d}
	ready := make(chan struct{}, 2)
	d.udp.NotifyStartedFunc = func() { ready <- struct{}{} }
	d.tcp.NotifyStartedFunc = func() { ready <- struct{}{} }
	go d.udp.ActivateAndServe()
	go d.tcp.ActivateAndServe()
	<-ready
	<-ready
	return d, nil
}

// Close stops the server.
func (d *DNS) Close() {
	d.udp.Shutdown()
	d.tcp.Shutdown()
}

// AddZone creates a zone; a signed zone gets an ECDSA P-256 key (flags
// 257, used for everything).
func (d *DNS) AddZone(name string, signed, broken bool) (*Zone, error) {
	z := &Zone{Name: dns.CanonicalName(name), Signed: signed || broken, Broken: broken, rrs: map[string][]dns.RR{}}
	if z.Signed {
		k := &dns.DNSKEY{Hdr: dns.RR_Header{Name: z.Name, Rrtype: dns.TypeDNSKEY, Class: dns.ClassINET, Ttl: 3600},
			Flags: 257, Protocol: 3, Algorithm: dns.ECDSAP256SHA256}
		priv, err := k.Generate(256)
		if err != nil {
			return nil, err
		}
		z.Key, z.priv = k, priv.(crypto.Signer)
	}
	soa := fmt.Sprintf("%s 300 IN SOA ns.%s hostmaster.%s 1 3600 600 86400 300", z.Name, z.Name, z.Name)
	d.mu.Lock()
	d.zones[z.Name] = z
	d.mu.Unlock()
	if err := d.Add(soa); err != nil {
		return nil, err
	}
	if p := d.parentZone(z.Name); p != nil {
		// A delegation in the parent (for the NSEC type bitmap).
		if err := d.Add(fmt.Sprintf("%s 300 IN NS ns.%s", z.Name, z.Name)); err != nil {
			return nil, err
		}
	}
	return z, nil
}

// Add adds a record in zone-file form to the zone that holds its owner; an
// NS record at a child apex goes to the parent.
func (d *DNS) Add(rrText string) error {
	rr, err := dns.NewRR(rrText)
	if err != nil {
		return err
	}
	owner := dns.CanonicalName(rr.Header().Name)
	d.mu.Lock()
	defer d.mu.Unlock()
	z := d.zoneFor(owner)
	if rr.Header().Rrtype == dns.TypeNS {
		if p := d.parentZoneLocked(owner); p != nil && owner != p.Name {
			z = p
		}
	}
	if z == nil {
		return fmt.Errorf("no zone for %s", owner)
	}
	z.rrs[owner] = append(z.rrs[owner], rr)
	return nil
}

// Remove withdraws a record added with Add (the same text).
func (d *DNS) Remove(rrText string) error {
	rr, err := dns.NewRR(rrText)
	if err != nil {
		return err
	}
	owner := dns.CanonicalName(rr.Header().Name)
	d.mu.Lock()
	defer d.mu.Unlock()
	z := d.zoneFor(owner)
	if z == nil {
		return fmt.Errorf("no zone for %s", owner)
	}
	want := rr.String()
	kept := z.rrs[owner][:0]
	for _, have := range z.rrs[owner] {
		if have.String() != want {
			kept = append(kept, have)
		}
	}
	if len(kept) == 0 {
		delete(z.rrs, owner)
	} else {
		z.rrs[owner] = kept
	}
	return nil
}

// Anchor returns the DNSKEY of a signed zone, as a trust anchor.
func (d *DNS) Anchor(zone string) *dns.DNSKEY {
	d.mu.RLock()
	defer d.mu.RUnlock()
	return d.zones[dns.CanonicalName(zone)].Key
}

func (d *DNS) zoneFor(name string) *Zone {
	for n := name; ; {
		if z, ok := d.zones[n]; ok {
			return z
		}
		if n == "." {
			return nil
		}
		idx := dns.Split(n)
		if len(idx) < 2 {
			n = "."
		} else {
			n = n[idx[1]:]
		}
	}
}

func (d *DNS) parentZone(name string) *Zone {
	d.mu.RLock()
	defer d.mu.RUnlock()
	return d.parentZoneLocked(name)
}

func (d *DNS) parentZoneLocked(name string) *Zone {
	idx := dns.Split(name)
	if len(idx) < 2 {
		return nil
	}
	return d.zoneFor(name[idx[1]:])
}

// ServeDNS answers one query.
func (d *DNS) ServeDNS(w dns.ResponseWriter, r *dns.Msg) {
	m := new(dns.Msg)
	m.SetReply(r)
	m.Authoritative = true
	m.RecursionAvailable = true
	do := false
	if o := r.IsEdns0(); o != nil {
		do = o.Do()
		m.SetEdns0(4096, do)
	}
	if len(r.Question) != 1 {
		m.Rcode = dns.RcodeFormatError
		w.WriteMsg(m)
		return
	}
	q := r.Question[0]
	name := dns.CanonicalName(q.Name)
	d.mu.RLock()
	defer d.mu.RUnlock()
	z := d.zoneFor(name)
	if z == nil {
		m.Rcode = dns.RcodeRefused
		w.WriteMsg(m)
		return
	}
	if q.Qtype == dns.TypeDS && name == z.Name {
		if p := d.parentZoneLocked(name); p != nil {
			d.answerDS(m, p, z, do)
			w.WriteMsg(m)
			return
		}
	}
	var ans []dns.RR
	if q.Qtype == dns.TypeDNSKEY && name == z.Name && z.Key != nil {
		ans = []dns.RR{z.Key}
	} else {
		for _, rr := range z.rrs[name] {
			if rr.Header().Rrtype == q.Qtype {
				ans = append(ans, dns.Copy(rr))
			}
		}
	}
	if len(ans) > 0 {
		m.Answer = append(m.Answer, ans...)
		if do {
			m.Answer = append(m.Answer, z.sign(ans, q.Qtype == dns.TypeDNSKEY)...)
		}
	} else {
		d.nodata(m, z, name, do)
	}
	w.WriteMsg(m)
}

// answerDS answers a DS query for child's apex from parent p.
func (d *DNS) answerDS(m *dns.Msg, p, child *Zone, do bool) {
	if child.Key != nil {
		ds := child.Key.ToDS(dns.SHA256)
		ds.Hdr.Ttl = 3600
		m.Answer = append(m.Answer, ds)
		if do {
			m.Answer = append(m.Answer, p.sign([]dns.RR{ds}, false)...)
		}
		return
	}
	// No DS: prove it with an NSEC at the delegation showing NS only.
	d.nodata(m, p, child.Name, do)
}

// nodata writes an empty answer with the SOA and, when signed, a minimal
// NSEC for name listing the types that exist there.
func (d *DNS) nodata(m *dns.Msg, z *Zone, name string, do bool) {
	for _, rr := range z.rrs[z.Name] {
		if rr.Header().Rrtype == dns.TypeSOA {
			m.Ns = append(m.Ns, dns.Copy(rr))
			if do {
				m.Ns = append(m.Ns, z.sign([]dns.RR{rr}, false)...)
			}
		}
	}
	if !do || z.Key == nil {
		return
	}
	types := []uint16{dns.TypeRRSIG, dns.TypeNSEC}
	for _, rr := range z.rrs[name] {
		types = append(types, rr.Header().Rrtype)
	}
	if name == z.Name {
		types = append(types, dns.TypeDNSKEY)
	}
	sort.Slice(types, func(i, j int) bool { return types[i] < types[j] })
	types = slices.Compact(types)
	nsec := &dns.NSEC{Hdr: dns.RR_Header{Name: name, Rrtype: dns.TypeNSEC, Class: dns.ClassINET, Ttl: 300},
		NextDomain: "\\000." + name, TypeBitMap: types}
	m.Ns = append(m.Ns, nsec)
	m.Ns = append(m.Ns, z.sign([]dns.RR{nsec}, false)...)
}

// sign signs an RRset with the zone key (nothing for an unsigned zone).
func (z *Zone) sign(rrs []dns.RR, keyset bool) []dns.RR {
	if z.Key == nil {
		return nil
	}
	h := rrs[0].Header()
	now := time.Now()
	sig := &dns.RRSIG{Hdr: dns.RR_Header{Name: h.Name, Rrtype: dns.TypeRRSIG, Class: dns.ClassINET, Ttl: h.Ttl},
		TypeCovered: h.Rrtype, Algorithm: z.Key.Algorithm, Labels: uint8(dns.CountLabel(h.Name)), OrigTtl: h.Ttl,
		Expiration: uint32(now.Add(7 * 24 * time.Hour).Unix()), Inception: uint32(now.Add(-time.Hour).Unix()),
		KeyTag: z.Key.KeyTag(), SignerName: z.Name}
	if strings.HasPrefix(h.Name, "*.") {
		sig.Labels--
	}
	if err := sig.Sign(z.priv, rrs); err != nil {
		return nil
	}
	if z.Broken && !keyset {
		b := []byte(sig.Signature)
		// Corrupt the base64 signature while keeping it decodable.
		if b[0] == 'A' {
			b[0] = 'B'
		} else {
			b[0] = 'A'
		}
		sig.Signature = string(b)
	}
	return []dns.RR{sig}
}
