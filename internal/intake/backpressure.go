package intake

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"
	"time"
)

// LagBound is how far detection may fall behind the event log before
// intake pushes back: while it is exceeded, HTTP intake answers each
// protocol's retryable busy answer and syslog TCP/TLS connections are not
// read (the sender's TCP window fills and it waits). A zero field is no
// bound; both zero turns back-pressure off.
type LagBound struct {
	// MaxLag bounds the age of the oldest stored batch the consumer has
	// not finished.
	MaxLag time.Duration
	// MaxEvents bounds the events the consumer has not finished,
	// estimated as its pending batches times the mean events per batch
	// this node has stored.
	MaxEvents int64
	// Durable is the consumer to watch (detection's).
	Durable string
	// Every is how often the lag is read; default 250 ms.
	Every time.Duration
}

// busyRetryAfter is the Retry-After of a busy answer, in seconds.
const busyRetryAfter = "2"

// pressure is intake's back-pressure state.
type pressure struct {
	busy    atomic.Bool
	mu      sync.Mutex
	resumed chan struct{} // closed when busy ends; replaced when it begins
	reason  string

	answers [6]atomic.Int64 // busy answers given, by protocol (Protocols order)

	// events and batches this node stored, for the events-pending estimate
	events, batches atomic.Int64
}

func newPressure() *pressure {
	p := &pressure{resumed: make(chan struct{})}
	close(p.resumed)
	return p
}

// set turns back-pressure on or off and reports whether that changed it.
func (p *pressure) set(on bool, reason string) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.busy.Load() == on {
		p.reason = reason
		return false
	}
	p.busy.Store(on)
	p.reason = reason
	if on {
		p.resumed = make(chan struct{})
	} else {
		close(p.resumed)
	}
	return true
}

// wait returns a channel closed once back-pressure ends (already closed
// when it is off).
func (p *pressure) wait() <-chan struct{} {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.resumed
}

func (p *pressure) counted(protocol string) {
	for i, proto := range Protocols() {
		if proto == protocol {
			p.answers[i].Add(1)
			return
		}
	}
}

// Pressure is intake's back-pressure as reported to monitoring.
type Pressure struct {
	Busy   bool   `json:"busy"`
	Reason string `json:"reason,omitempty"`
	// BusyAnswers counts requests answered "busy" because detection
	// lagged (and syslog connections paused), by protocol, since start.
	BusyAnswers map[string]int64 `json:"busy_answers"`
}

// Pressure reports whether intake is pushing back now and how often it has.
func (s *Service) Pressure() Pressure {
	p := s.press
	p.mu.Lock()
	out := Pressure{Busy: p.busy.Load(), Reason: p.reason, BusyAnswers: map[string]int64{}}
	p.mu.Unlock()
	for i, proto := range Protocols() {
		out.BusyAnswers[proto] = p.answers[i].Load()
	}
	return out
}

// SetBusy turns back-pressure on (with the reason logged and reported) or
// off by hand; WatchLag does it from detection's lag.
func (s *Service) SetBusy(on bool, reason string) {
	if s.press.set(on, reason) {
		if on {
			s.log.Warn("intake: detection lags; answering busy until it catches up", "reason", reason)
		} else {
			s.log.Info("intake: detection caught up; accepting again")
		}
	}
}

// refuseBusy answers an event-carrying request with its protocol's
// retryable busy answer when back-pressure is on.
func (s *Service) refuseBusy(w http.ResponseWriter, r *http.Request, protocol string) bool {
	if !s.press.busy.Load() || r.Method == http.MethodGet || r.URL.Path == "/services/collector/ack" {
		return false
	}
	s.press.counted(protocol)
	w.Header().Set("Retry-After", busyRetryAfter)
	status := http.StatusServiceUnavailable // HEC: 503 "Server is busy", code 9; OTLP: UNAVAILABLE
	if protocol == ProtoBulk {
		status = http.StatusTooManyRequests // Elasticsearch: es_rejected_execution_exception
	}
	refuse(w, r, protocol, status, "detection is behind; retry later")
	return true
}

// WatchLag reads the consumer's lag every b.Every until ctx ends and turns
// back-pressure on when it exceeds a bound, off again once the lag is back
// under half of every bound (so it does not flap at the edge).
func (s *Service) WatchLag(ctx context.Context, b LagBound) {
	if b.MaxLag <= 0 && b.MaxEvents <= 0 {
		return
	}
	if b.Every <= 0 {
		b.Every = 250 * time.Millisecond
	}
	defer s.SetBusy(false, "")
	t := time.NewTicker(b.Every)
	defer t.Stop()
	for {
		s.checkLag(ctx, b)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// checkLag reads the lag once and sets back-pressure from it. A lag that
// cannot be read leaves the state as it is.
func (s *Service) checkLag(ctx context.Context, b LagBound) {
	log := s.eventLog()
	if log == nil {
		return
	}
	lag, err := log.ConsumerLag(ctx, b.Durable)
	if err != nil {
		if ctx.Err() == nil {
			s.log.Debug("intake: read detection lag", "err", err)
		}
		return
	}
	var age time.Duration
	if !lag.Oldest.IsZero() {
		age = max(0, s.now().Sub(lag.Oldest))
	}
	events := int64(lag.Pending)
	if n := s.press.batches.Load(); n > 0 {
		events = int64(float64(lag.Pending) * float64(s.press.events.Load()) / float64(n))
	}
	over := (b.MaxLag > 0 && age > b.MaxLag) || (b.MaxEvents > 0 && events > b.MaxEvents)
	under := (b.MaxLag <= 0 || age <= b.MaxLag/2) && (b.MaxEvents <= 0 || events <= b.MaxEvents/2)
	switch {
	case over:
		s.SetBusy(true, fmt.Sprintf("detection is %.1f s and about %d events behind (bounds %v, %d events)", age.Seconds(), events, b.MaxLag, b.MaxEvents))
	case under:
		s.SetBusy(false, "")
	}
}
