package intake

import (
	"github.com/kubu-gov/kubu/internal/event"

	"bufio"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"sync"
	"time"

	"github.com/kubu-gov/kubu/internal/syslog"
)

// Syslog tuning.
const (
	syslogFlushDelay = 20 * time.Millisecond // longest an event waits for its batch
	syslogQueue      = 8192
	maxUDPDatagram   = 64 << 10
)

// Listeners are the running syslog listeners.
type Listeners struct {
	s     *Service
	udp   *net.UDPConn
	lns   []listener
	addrs map[string]string // protocol → bound address

	queue   chan syslogItem
	readers sync.WaitGroup // connection and datagram readers
	flusher sync.WaitGroup

	mu     sync.Mutex
	conns  map[net.Conn]struct{}
	silent map[net.Conn]time.Time // TLS connections waiting for their first byte, since
	closed bool
	done   chan struct{} // closed by Close
}

type listener struct {
	net.Listener
	proto string
	tls   *tls.Config // for ProtoSyslogTLS: each connection's handshake
}

// syslogItem is one normalised event on its way to a batch.
type syslogItem struct {
	agency, agencyID, protocol string
	line                       []byte // the NDJSON line, "\n" included
}

// ListenSyslog starts the listeners cfg names. Close stops them.
func (s *Service) ListenSyslog(cfg ListenerConfig) (*Listeners, error) {
	l := &Listeners{s: s, addrs: map[string]string{}, queue: make(chan syslogItem, syslogQueue), conns: map[net.Conn]struct{}{}, silent: map[net.Conn]time.Time{},
		done: make(chan struct{})}
	fail := func(err error) (*Listeners, error) {
		l.closeListeners()
		return nil, err
	}
	if cfg.UDP != "" {
		ua, err := net.ResolveUDPAddr("udp", cfg.UDP)
		if err != nil {
			return fail(fmt.Errorf("syslog udp %s: %w", cfg.UDP, err))
		}
		c, err := net.ListenUDP("udp", ua)
		if err != nil {
			return fail(fmt.Errorf("syslog udp: %w", err))
		}
		c.SetReadBuffer(8 << 20)
		l.udp = c
		l.addrs[ProtoSyslogUDP] = c.LocalAddr().String()
	}
	if cfg.TCP != "" {
		ln, err := net.Listen("tcp", cfg.TCP)
		if err != nil {
			return fail(fmt.Errorf("syslog tcp: %w", err))
		}
		l.lns = append(l.lns, listener{Listener: ln, proto: ProtoSyslogTCP})
		l.addrs[ProtoSyslogTCP] = ln.Addr().String()
	}
	if cfg.TLS != "" {
		if cfg.TLSConfig == nil {
			return fail(errors.New("syslog tls: no certificate"))
		}
		ln, err := net.Listen("tcp", cfg.TLS)
		if err != nil {
			return fail(fmt.Errorf("syslog tls: %w", err))
		}
		l.lns = append(l.lns, listener{ln, ProtoSyslogTLS, cfg.TLSConfig})
		l.addrs[ProtoSyslogTLS] = ln.Addr().String()
	}
	l.flusher.Add(1)
	go l.flush()
	if l.udp != nil {
		l.readers.Add(1)
		go l.readUDP()
	}
	for _, ln := range l.lns {
		l.readers.Add(1)
		go l.accept(ln)
	}
	return l, nil
}

// Addr returns the bound address of a protocol's listener ("" when off).
func (l *Listeners) Addr(protocol string) string { return l.addrs[protocol] }

func (l *Listeners) closeListeners() {
	if l.udp != nil {
		l.udp.Close()
	}
	for _, ln := range l.lns {
		ln.Close()
	}
}

// StopAccepting closes the TCP and TLS listening sockets: new connections
// are refused; open ones, and UDP, go on until Close.
func (l *Listeners) StopAccepting() {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, ln := range l.lns {
		ln.Close()
	}
}

// Close stops accepting, ends open connections after what they sent so far,
// and stores every event already read, waiting at most until ctx ends.
func (l *Listeners) Close(ctx context.Context) error {
	l.mu.Lock()
	if l.closed {
		l.mu.Unlock()
		return nil
	}
	l.closed = true
	close(l.done)
	l.closeListeners()
	for c := range l.conns {
		c.SetReadDeadline(time.Now()) // the reader stops and hands over what it has
	}
	l.mu.Unlock()
	done := make(chan struct{})
	go func() {
		l.readers.Wait()
		close(l.queue)
		l.flusher.Wait()
		close(done)
	}()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("syslog listeners: %w", ctx.Err())
	}
}

func (l *Listeners) accept(ln listener) {
	defer l.readers.Done()
	sem := make(chan struct{}, l.s.opts.MaxSyslogConns)
	for {
		c, err := ln.Accept()
		if err != nil {
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				time.Sleep(50 * time.Millisecond)
				continue
			}
			return
		}
		if !l.acquire(sem) {
			c.Close() // too many connections, none of them silent
			continue
		}
		l.mu.Lock()
		if l.closed {
			l.mu.Unlock()
			c.Close()
			<-sem
			return
		}
		l.conns[c] = struct{}{}
		l.readers.Add(1)
		l.mu.Unlock()
		go func() {
			defer func() { <-sem }()
			l.serveConn(c, ln.proto, ln.tls)
		}()
	}
}

// acquire takes a connection slot. When every slot is taken it makes room
// by closing the TLS connection that has waited longest for its first byte:
// such a connection may stay silent up to the idle limit (senders handshake
// with their first message), and must not let anyone who can connect hold
// every slot for that long.
func (l *Listeners) acquire(sem chan struct{}) bool {
	select {
	case sem <- struct{}{}:
		return true
	default:
	}
	l.mu.Lock()
	var oldest net.Conn
	var since time.Time
	for c, t := range l.silent {
		if oldest == nil || t.Before(since) {
			oldest, since = c, t
		}
	}
	if oldest != nil {
		delete(l.silent, oldest)
		oldest.Close() // its reader returns and frees the slot
	}
	l.mu.Unlock()
	if oldest == nil {
		return false
	}
	select {
	case sem <- struct{}{}:
		return true
	case <-time.After(time.Second):
		return false
	}
}

// idleReader extends the connection's read deadline on every read, unless
// the listeners are closing.
type idleReader struct {
	c net.Conn
	l *Listeners
}

func (r idleReader) Read(p []byte) (int, error) {
	r.l.mu.Lock()
	if !r.l.closed {
		r.c.SetReadDeadline(time.Now().Add(r.l.s.opts.SyslogIdleTimeout))
	}
	r.l.mu.Unlock()
	return r.c.Read(p)
}

func (l *Listeners) serveConn(c net.Conn, proto string, tc *tls.Config) {
	defer l.readers.Done()
	defer func() {
		l.mu.Lock()
		delete(l.conns, c)
		l.mu.Unlock()
		c.Close()
	}()
	s := l.s
	peer := peerAddr(c.RemoteAddr())
	agency, mapped := s.opts.Sources.Lookup(peer)
	var in io.Reader = idleReader{c, l}
	if tc != nil {
		conn, ok := l.handshake(c, tc)
		if !ok {
			return
		}
		in = idleReader{conn, l}
		if st := conn.ConnectionState(); len(st.VerifiedChains) > 0 {
			cert := st.PeerCertificates[0]
			for _, name := range append([]string{cert.Subject.CommonName}, cert.DNSNames...) {
				if a, ok := s.opts.Sources.LookupCert(name); ok {
					agency, mapped = a, true
					break
				}
			}
		}
	}
	src := l.source(peer, agency, mapped)
	fr := syslog.NewFrameReader(in, s.opts.MaxSyslogFrame)
	n := s.norms.Get().(*normaliser)
	defer s.norms.Put(n)
	var p syslog.Parser
	for {
		if !l.pauseWhileBusy(proto) {
			return
		}
		frame, err := fr.Next()
		if err != nil {
			var fe *syslog.FrameError
			if errors.As(err, &fe) && !errors.Is(err, syslog.ErrTruncatedFrame) {
				s.stats.add(src.agencyID, proto, 0, 1, 0)
				continue
			}
			if !errors.Is(err, io.EOF) && !errors.Is(err, net.ErrClosed) && !isTimeout(err) {
				s.log.Debug("syslog connection ended", "peer", peer.String(), "err", err)
			}
			return
		}
		l.enqueue(n, &p, frame, proto, src)
	}
}

// pauseWhileBusy stops reading a connection while intake pushes back (the
// sender's TCP window fills and it waits) and reports false when the
// listeners close meanwhile.
func (l *Listeners) pauseWhileBusy(proto string) bool {
	if !l.s.press.busy.Load() {
		return true
	}
	l.s.press.counted(proto)
	select {
	case <-l.s.press.wait():
		return true
	case <-l.done:
		return false
	}
}

// handshake runs the TLS handshake of a syslog connection. Senders such as
// syslog-ng connect at start and send their ClientHello only with their
// first message, so the connection may stay silent up to the idle limit;
// the handshake timeout runs from its first byte.
func (l *Listeners) handshake(c net.Conn, cfg *tls.Config) (*tls.Conn, bool) {
	s := l.s
	br := bufio.NewReaderSize(c, 512)
	l.mu.Lock()
	closing := l.closed
	if !closing {
		c.SetReadDeadline(time.Now().Add(s.opts.SyslogIdleTimeout))
		l.silent[c] = time.Now()
	}
	l.mu.Unlock()
	if closing {
		return nil, false
	}
	_, err := br.Peek(1)
	l.mu.Lock()
	delete(l.silent, c)
	l.mu.Unlock()
	if err != nil {
		return nil, false // closed, idle past the limit, evicted, or the listeners are closing
	}
	l.mu.Lock()
	closing = l.closed
	if !closing {
		c.SetDeadline(time.Now().Add(s.opts.SyslogHandshakeTimeout))
	}
	l.mu.Unlock()
	if closing {
		return nil, false
	}
	conn := tls.Server(bufferedConn{c, br}, cfg)
	if err := conn.Handshake(); err != nil {
		s.log.Debug("syslog tls handshake failed", "peer", c.RemoteAddr().String(), "err", err)
		return nil, false
	}
	c.SetDeadline(time.Time{})
	return conn, true
}

// bufferedConn is a connection whose first bytes were read ahead.
type bufferedConn struct {
	net.Conn
	r *bufio.Reader
}

func (b bufferedConn) Read(p []byte) (int, error) { return b.r.Read(p) }

// syslogSource is who a connection or datagram is from.
type syslogSource struct {
	agency, agencyID, addr string
}

func (l *Listeners) source(peer netip.Addr, agency string, mapped bool) syslogSource {
	src := syslogSource{agency: Unassigned, addr: peer.String()}
	if mapped {
		if id := l.s.agencyID(context.Background(), agency); id != "" {
			src.agency, src.agencyID = agency, id
		}
	}
	return src
}

func (l *Listeners) readUDP() {
	defer l.readers.Done()
	s := l.s
	buf := make([]byte, maxUDPDatagram)
	n := s.norms.Get().(*normaliser)
	defer s.norms.Put(n)
	var p syslog.Parser
	for {
		k, ua, err := l.udp.ReadFromUDPAddrPort(buf)
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			continue
		}
		peer := ua.Addr()
		agency, mapped := s.opts.Sources.Lookup(peer)
		l.enqueue(n, &p, buf[:k], ProtoSyslogUDP, l.source(peer, agency, mapped))
	}
}

// enqueue parses and normalises one message and queues it for its batch
// (blocking while the queue is full: TCP senders are slowed, not dropped).
func (l *Listeners) enqueue(n *normaliser, p *syslog.Parser, frame []byte, proto string, src syslogSource) {
	s := l.s
	msg, perr := p.Parse(frame)
	obj := n.syslogObject(frame, &msg, perr)
	m := Meta{Agency: src.agency, Source: src.addr, Protocol: proto, Host: msg.Hostname, Received: s.now(), Time: msg.Timestamp}
	if m.Host == "" {
		m.Host = src.addr
	}
	line := event.AppendLine(nil, obj, &m)
	if len(line) > s.opts.MaxEvent {
		s.stats.add(src.agencyID, proto, 0, 1, 0)
		return
	}
	if src.agencyID == "" {
		s.unassigned.note(src.addr, proto, 1)
	}
	l.queue <- syslogItem{agency: src.agency, agencyID: src.agencyID, protocol: proto, line: line}
}

// flush gathers queued events into one batch per agency and protocol and
// stores them every syslogFlushDelay (or sooner when a batch is full).
func (l *Listeners) flush() {
	defer l.flusher.Done()
	type key struct{ agency, protocol string }
	batches := map[key]*pending{}
	ids := map[key]string{}
	count := 0
	store := func() {
		for k, p := range batches {
			if p.len() == 0 {
				continue
			}
			// The log or the database is down: hold the senders until it
			// is back (a stored batch is counted, never published again).
			ctx, cancel := context.WithTimeout(context.Background(), publishTimeout)
			for l.s.publish(ctx, p, ids[k], k.protocol) != nil && ctx.Err() == nil {
				time.Sleep(200 * time.Millisecond)
			}
			if ctx.Err() == nil {
				for l.s.stats.commitAccepted(ctx, ids[k], k.protocol, int64(p.len()), int64(len(p.buf))) != nil && ctx.Err() == nil {
					time.Sleep(200 * time.Millisecond)
				}
			}
			cancel()
			p.reset(k.agency)
		}
		count = 0
	}
	t := time.NewTimer(syslogFlushDelay)
	defer t.Stop()
	for {
		select {
		case it, ok := <-l.queue:
			if !ok {
				store()
				return
			}
			k := key{it.agency, it.protocol}
			p := batches[k]
			if p == nil {
				p = &pending{agency: it.agency}
				batches[k] = p
				ids[k] = it.agencyID
			}
			p.buf = append(p.buf, it.line...)
			p.ends = append(p.ends, len(p.buf))
			count++
			if count >= l.s.opts.MaxBatchEvents {
				store()
			}
		case <-t.C:
			store()
			t.Reset(syslogFlushDelay)
		}
	}
}

func peerAddr(a net.Addr) netip.Addr {
	if ta, ok := a.(*net.TCPAddr); ok {
		return ta.AddrPort().Addr().Unmap()
	}
	ap, err := netip.ParseAddrPort(a.String())
	if err != nil {
		return netip.Addr{}
	}
	return ap.Addr().Unmap()
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}
