package rpz

import (
	"net"
	"net/netip"

	"github.com/miekg/dns"
)

// transferChunk is how many records go in one message of a transfer.
const transferChunk = 500

func (s *Server) serveDNS(w dns.ResponseWriter, r *dns.Msg) {
	z := s.cur.Load()
	m := new(dns.Msg)
	if r.Opcode != dns.OpcodeQuery || len(r.Question) != 1 {
		m.SetRcode(r, dns.RcodeNotImplemented)
		w.WriteMsg(m)
		return
	}
	q := r.Question[0]
	rel, ok := z.inZone(q.Name)
	if !ok || q.Qclass != dns.ClassINET {
		m.SetRcode(r, dns.RcodeRefused)
		w.WriteMsg(m)
		return
	}
	switch q.Qtype {
	case dns.TypeAXFR, dns.TypeIXFR:
		s.transfer(w, r, z, rel)
		return
	}
	m.SetReply(r)
	m.Authoritative = true
	switch {
	case rel == "":
		switch q.Qtype {
		case dns.TypeSOA, dns.TypeANY:
			m.Answer = append(m.Answer, z.soa)
		case dns.TypeNS:
			m.Answer = append(m.Answer, z.ns)
		default:
			m.Ns = append(m.Ns, z.soa)
		}
	case z.has(rel):
		m.Answer = append(m.Answer, z.cname(dns.Fqdn(q.Name), z.soa.Minttl))
	default:
		m.Rcode = dns.RcodeNameError
		m.Ns = append(m.Ns, z.soa)
	}
	w.WriteMsg(m)
}

// has reports whether rel (a name under the origin, lower case, without
// the trailing dot) is NAME or *.NAME, or below *.NAME, for a blocked NAME.
func (z *zone) has(rel string) bool {
	if _, ok := z.byName[rel]; ok {
		return true
	}
	// A subdomain of a blocked name is covered by its wildcard.
	for i := 0; i < len(rel); i++ {
		if rel[i] == '.' {
			if _, ok := z.byName[rel[i+1:]]; ok {
				return true
			}
		}
	}
	return false
}

// transfer answers AXFR (and IXFR, with the whole zone as RFC 1995
// allows, or with only the SOA when the client is up to date).
func (s *Server) transfer(w dns.ResponseWriter, r *dns.Msg, z *zone, rel string) {
	m := new(dns.Msg)
	if rel != "" {
		m.SetRcode(r, dns.RcodeNotAuth)
		w.WriteMsg(m)
		return
	}
	_, isTCP := w.RemoteAddr().(*net.TCPAddr)
	if !isTCP && r.Question[0].Qtype == dns.TypeAXFR {
		m.SetRcode(r, dns.RcodeRefused) // AXFR is TCP only
		w.WriteMsg(m)
		return
	}
	if !s.mayTransfer(w, r) {
		m.SetRcode(r, dns.RcodeRefused)
		w.WriteMsg(m)
		return
	}
	if r.Question[0].Qtype == dns.TypeIXFR {
		upToDate := false
		for _, rr := range r.Ns {
			if soa, ok := rr.(*dns.SOA); ok && int32(soa.Serial-z.serial) >= 0 {
				upToDate = true
			}
		}
		// Up to date, or over UDP (where the zone may not fit: the
		// client asks again over TCP): only the SOA.
		if upToDate || !isTCP {
			m.SetReply(r)
			m.Authoritative = true
			m.Answer = []dns.RR{z.soa}
			w.WriteMsg(m)
			return
		}
	}
	rrs := append(z.records(), z.soa)
	ch := make(chan *dns.Envelope)
	tr := new(dns.Transfer)
	done := make(chan error, 1)
	go func() { done <- tr.Out(w, r, ch) }()
	for len(rrs) > 0 {
		n := min(transferChunk, len(rrs))
		ch <- &dns.Envelope{RR: rrs[:n]}
		rrs = rrs[n:]
	}
	close(ch)
	if err := <-done; err != nil {
		s.cfg.Logger.Warn("rpz: transfer failed", "client", w.RemoteAddr().String(), "err", err)
	}
	w.Hijack()
	w.Close()
}

// mayTransfer checks the client's address and, when TSIG keys are set,
// that the request is signed with one of them.
func (s *Server) mayTransfer(w dns.ResponseWriter, r *dns.Msg) bool {
	if len(s.cfg.TSIG) > 0 {
		if r.IsTsig() == nil || w.TsigStatus() != nil {
			s.cfg.Logger.Warn("rpz: unsigned or badly signed transfer refused", "client", w.RemoteAddr().String())
			return false
		}
		return true
	}
	ap, err := netip.ParseAddrPort(w.RemoteAddr().String())
	if err != nil || !s.allowedAddr(ap.Addr()) {
		s.cfg.Logger.Warn("rpz: transfer refused", "client", w.RemoteAddr().String())
		return false
	}
	return true
}

// allowedAddr says whether a may transfer the zone without TSIG.
func (s *Server) allowedAddr(a netip.Addr) bool {
	a = a.Unmap()
	for _, p := range s.allowed {
		if p.Contains(a) {
			return true
		}
	}
	return false
}
