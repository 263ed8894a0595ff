// Package ratelimit holds off floods: token buckets keyed by client address
// (or any other key), plus a helper that finds a request's client address,
// trusting proxy headers only when told to.
//
// A Limiter allows N events per interval per key with a burst of N: each
// key's bucket holds up to N tokens and refills continuously. Buckets are
// kept in shards, each with its own lock, so many clients do not contend on
// one mutex; buckets that have refilled completely are forgotten.
package ratelimit

import (
	"hash/maphash"
	"math"
	"sync"
	"sync/atomic"
	"time"
)

const shards = 64

// Limiter is a set of token buckets, one per key. The zero value is not
// usable; call New. A nil *Limiter allows everything.
type Limiter struct {
	n      float64       // bucket size (the burst) and tokens per interval
	per    time.Duration // the interval
	rate   float64       // tokens per nanosecond
	seed   maphash.Seed
	now    func() time.Time
	ops    atomic.Uint64
	shards [shards]shard
}

type shard struct {
	mu      sync.Mutex
	buckets map[string]*bucket
}

type bucket struct {
	tokens float64
	at     time.Time
}

// New returns a limiter allowing n events per interval per key (n ≥ 1).
func New(n int, per time.Duration) *Limiter {
	if n < 1 {
		n = 1
	}
	if per <= 0 {
		per = time.Minute
	}
	l := &Limiter{n: float64(n), per: per, rate: float64(n) / float64(per), seed: maphash.MakeSeed(), now: time.Now}
	for i := range l.shards {
		l.shards[i].buckets = map[string]*bucket{}
	}
	return l
}

// Limit is the number of events allowed per Interval.
func (l *Limiter) Limit() int { return int(l.n) }

// Interval is the limiter's interval.
func (l *Limiter) Interval() time.Duration { return l.per }

// Allow takes one token from key's bucket. When the bucket is empty it
// returns false and how long until a token is back.
func (l *Limiter) Allow(key string) (bool, time.Duration) {
	if l == nil {
		return true, 0
	}
	now := l.now()
	// Every 256 calls, sweep one shard in turn, so every shard is swept
	// however the keys fall.
	if n := l.ops.Add(1); n%256 == 0 {
		l.sweep(&l.shards[(n/256)%shards], now)
	}
	sh := &l.shards[maphash.String(l.seed, key)%shards]
	sh.mu.Lock()
	defer sh.mu.Unlock()
	b, ok := sh.buckets[key]
	if !ok {
		sh.buckets[key] = &bucket{tokens: l.n - 1, at: now}
		return true, 0
	}
	b.tokens = math.Min(l.n, b.tokens+float64(now.Sub(b.at))*l.rate)
	b.at = now
	if b.tokens >= 1 {
		b.tokens--
		return true, 0
	}
	wait := time.Duration((1 - b.tokens) / l.rate)
	return false, wait
}

// sweep forgets buckets that are full again (they behave like new ones).
func (l *Limiter) sweep(sh *shard, now time.Time) {
	sh.mu.Lock()
	defer sh.mu.Unlock()
	for k, b := range sh.buckets {
		if b.tokens+float64(now.Sub(b.at))*l.rate >= l.n {
			delete(sh.buckets, k)
		}
	}
}

// Len is the number of keys being tracked (for tests and metrics).
func (l *Limiter) Len() int {
	n := 0
	for i := range l.shards {
		sh := &l.shards[i]
		sh.mu.Lock()
		n += len(sh.buckets)
		sh.mu.Unlock()
	}
	return n
}

// WithClock returns l reading time from now (for tests). Use it before
// the limiter is shared.
func (l *Limiter) WithClock(now func() time.Time) *Limiter {
	l.now = now
	return l
}
