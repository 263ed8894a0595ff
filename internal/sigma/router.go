package sigma

import "sort"

// routeKey indexes variants by folded Channel and EventID (-1: any).
type routeKey struct {
	ch string
	id int32
}

// bucket is what one routed event evaluates: the candidate variants and
// the fields to scan.
type bucket struct {
	member  []uint64 // variant bitset
	always  []int32  // variants without triggers, evaluated every time
	acSlots []int32  // field slots whose automata run for every event (trigger fields)
	kw      bool     // some trigger is a keyword atom
}

func (b *bucket) has(v int32) bool { return b.member[v>>6]&(1<<(uint(v)&63)) != 0 }

type chanRoutes struct {
	ids map[int32]*bucket
	any *bucket // EventID not indexed
	all *bucket // EventID absent, several or not a number: every variant of the channel
}

type router struct {
	channels map[string]*chanRoutes
	// fallback: events without a Channel (not Windows events) get every
	// variant without a channel route; unknownChannel: Windows events of a
	// channel the mapping does not know get those of them that are not
	// written for another product.
	fallback       *bucket
	unknownChannel *bucket
}

type routeBuilder struct {
	byKey    map[routeKey][]int32
	channels map[string]bool
	fallback []int32
	windows  []int32 // the fallback variants that may apply to Windows events
}

func newRouteBuilder() *routeBuilder {
	return &routeBuilder{byKey: map[routeKey][]int32{}, channels: map[string]bool{}}
}

func (rb *routeBuilder) add(k routeKey, v int32) {
	rb.byKey[k] = append(rb.byKey[k], v)
	rb.channels[k.ch] = true
}
func (rb *routeBuilder) addChannel(ch string) { rb.channels[ch] = true }
func (rb *routeBuilder) addFallback(v int32, foreign bool) {
	rb.fallback = append(rb.fallback, v)
	if !foreign {
		rb.windows = append(rb.windows, v)
	}
}

func (rb *routeBuilder) build(c *compiler) router {
	r := router{channels: map[string]*chanRoutes{}}
	cache := map[string]*bucket{}
	mk := func(lists ...[]int32) *bucket {
		var vs []int32
		for _, l := range lists {
			vs = append(vs, l...)
		}
		sort.Slice(vs, func(i, j int) bool { return vs[i] < vs[j] })
		vs = dedupInt32(vs)
		key := make([]byte, 0, 4*len(vs))
		for _, v := range vs {
			key = append(key, byte(v), byte(v>>8), byte(v>>16), byte(v>>24))
		}
		if b, ok := cache[string(key)]; ok {
			return b
		}
		b := c.newBucket(vs)
		cache[string(key)] = b
		return b
	}
	for ch := range rb.channels {
		r.channels[ch] = &chanRoutes{ids: map[int32]*bucket{}}
	}
	for ch, cr := range r.channels {
		anyList := rb.byKey[routeKey{ch: ch, id: -1}]
		cr.any = mk(anyList)
		var every []int32
		for k, l := range rb.byKey {
			if k.ch == ch && k.id >= 0 {
				cr.ids[k.id] = mk(l, anyList)
				every = append(every, l...)
			}
		}
		cr.all = mk(every, anyList)
	}
	r.fallback = mk(rb.fallback)
	r.unknownChannel = mk(rb.windows)
	return r
}

func dedupInt32(v []int32) []int32 {
	out := v[:0]
	for i, x := range v {
		if i == 0 || x != v[i-1] {
			out = append(out, x)
		}
	}
	return out
}

func (c *compiler) newBucket(vs []int32) *bucket {
	s := c.set
	b := &bucket{member: make([]uint64, (len(s.variants)+63)/64)}
	// Fields holding a trigger atom of one of the bucket's rules are
	// scanned for every event; the others only when a candidate rule
	// needs one of their atoms (Matcher.atomTrue scans them then).
	slots := map[int32]bool{}
	for _, v := range vs {
		b.member[v>>6] |= 1 << (uint(v) & 63)
		vr := s.variants[v]
		if vr.always {
			b.always = append(b.always, v)
		}
		for _, a := range vr.triggers {
			if sl := s.atoms[a].slot; sl >= 0 {
				slots[sl] = true
			} else {
				b.kw = true
			}
		}
	}
	for sl := range slots {
		b.acSlots = append(b.acSlots, sl)
	}
	sort.Slice(b.acSlots, func(i, j int) bool { return b.acSlots[i] < b.acSlots[j] })
	return b
}
