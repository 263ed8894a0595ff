package intake

import (
	"regexp"
	"sync"
	"time"
)

// Bounds of the HEC acknowledgement memory.
const (
	maxAckChannels    = 10000
	maxAcksPerChannel = 10000
)

var channelRE = regexp.MustCompile(`^[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}$`)

// validChannel reports whether a X-Splunk-Request-Channel is a GUID, as
// Splunk requires.
func validChannel(c string) bool { return channelRE.MatchString(c) }

// ackStore implements HEC indexer acknowledgement: each request sent on a
// channel gets the channel's next ack id once its events are durable; a
// query reports an id true once (then forgets it, as Splunk does). Memory
// is bounded: at most maxAckChannels channels (the least recently used is
// dropped) with at most maxAcksPerChannel unqueried ids each (the oldest
// is dropped).
type ackStore struct {
	mu       sync.Mutex
	channels map[string]*ackChannel
	maxCh    int
	maxAcks  int
}

type ackChannel struct {
	next    uint64
	durable map[uint64]struct{}
	order   []uint64 // ids in issue order, for dropping the oldest
	used    time.Time
}

func newAckStore(maxChannels, maxAcks int) *ackStore {
	return &ackStore{channels: map[string]*ackChannel{}, maxCh: maxChannels, maxAcks: maxAcks}
}

func (a *ackStore) channel(name string, now time.Time) *ackChannel {
	c := a.channels[name]
	if c == nil {
		if len(a.channels) >= a.maxCh {
			var oldest string
			var at time.Time
			for n, ch := range a.channels {
				if oldest == "" || ch.used.Before(at) {
					oldest, at = n, ch.used
				}
			}
			delete(a.channels, oldest)
		}
		c = &ackChannel{durable: map[uint64]struct{}{}}
		a.channels[name] = c
	}
	c.used = now
	return c
}

// durable issues the channel's next ack id for a request whose events are
// stored. (kubu answers only after storing, so the id is durable at once;
// an id is never reported true before that.)
func (a *ackStore) durable(channel string, now time.Time) uint64 {
	a.mu.Lock()
	defer a.mu.Unlock()
	c := a.channel(channel, now)
	id := c.next
	c.next++
	c.durable[id] = struct{}{}
	c.order = append(c.order, id)
	if len(c.order) > a.maxAcks {
		delete(c.durable, c.order[0])
		c.order = c.order[1:]
	}
	return id
}

// query answers an ack request: true for ids that are durable and not
// reported before; reported ids are forgotten.
func (a *ackStore) query(channel string, ids []uint64, now time.Time) map[uint64]bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	out := make(map[uint64]bool, len(ids))
	c := a.channels[channel]
	for _, id := range ids {
		if c == nil {
			out[id] = false
			continue
		}
		_, ok := c.durable[id]
		out[id] = ok
		if ok {
			delete(c.durable, id)
		}
	}
	if c != nil {
		c.used = now
		if len(c.durable) < len(c.order)/2 {
			kept := c.order[:0]
			for _, id := range c.order {
				if _, ok := c.durable[id]; ok {
					kept = append(kept, id)
				}
			}
			c.order = kept
		}
	}
	return out
}
