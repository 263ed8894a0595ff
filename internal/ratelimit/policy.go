package ratelimit

import (
	"net/http"
	"time"
)

// Policy is the set of limits a surface applies: public writes
// (submissions, replies, registration), public reads, and signed-in
// callers by user. A nil Policy, or a nil part, limits nothing.
type Policy struct {
	Submit *Guard
	Read   *Guard
	User   *Limiter
}

// PolicyConfig sizes a Policy (events per minute).
type PolicyConfig struct {
	SubmitPerClient int // default 30
	SubmitOverall   int // default 600
	ReadPerClient   int // default 300
	ReadOverall     int // default 20000
	PerUser         int // default 600
	TrustProxy      bool
}

// NewPolicy builds a Policy, filling zero sizes with the defaults.
func NewPolicy(c PolicyConfig) *Policy {
	def := func(n, d int) int {
		if n <= 0 {
			return d
		}
		return n
	}
	return &Policy{
		Submit: &Guard{PerClient: New(def(c.SubmitPerClient, 30), time.Minute), Overall: New(def(c.SubmitOverall, 600), time.Minute), TrustProxy: c.TrustProxy},
		Read:   &Guard{PerClient: New(def(c.ReadPerClient, 300), time.Minute), Overall: New(def(c.ReadOverall, 20000), time.Minute), TrustProxy: c.TrustProxy},
		User:   New(def(c.PerUser, 600), time.Minute),
	}
}

// CheckSubmit applies the public-write limits to r.
func (p *Policy) CheckSubmit(r *http.Request) (bool, time.Duration) {
	if p == nil {
		return true, 0
	}
	return p.Submit.Check(r)
}

// CheckRead applies the public-read limits to r.
func (p *Policy) CheckRead(r *http.Request) (bool, time.Duration) {
	if p == nil {
		return true, 0
	}
	return p.Read.Check(r)
}

// CheckUser applies the per-user limit.
func (p *Policy) CheckUser(userID string) (bool, time.Duration) {
	if p == nil {
		return true, 0
	}
	return p.User.Allow(userID)
}
