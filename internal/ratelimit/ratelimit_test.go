package ratelimit

import (
	"net/http/httptest"
	"sync"
	"testing"
	"time"
)

type clock struct{ t time.Time }

func (c *clock) now() time.Time          { return c.t }
func (c *clock) advance(d time.Duration) { c.t = c.t.Add(d) }
func newClock() *clock                   { return &clock{t: time.Unix(1_700_000_000, 0)} }

func TestLimiterBurstThenRefill(t *testing.T) {
	c := newClock()
	l := New(30, time.Minute).WithClock(c.now)
	for i := 0; i < 30; i++ {
		if ok, _ := l.Allow("1.2.3.4"); !ok {
			t.Fatalf("request %d refused within the burst", i+1)
		}
	}
	ok, wait := l.Allow("1.2.3.4")
	if ok {
		t.Fatal("31st request in a minute allowed")
	}
	if wait <= 0 || wait > 2*time.Second+time.Millisecond {
		t.Fatalf("wait %v, want about 2s (one token per 2s)", wait)
	}
	if ok, _ := l.Allow("5.6.7.8"); !ok {
		t.Fatal("another client was limited by the first one")
	}
	c.advance(2 * time.Second)
	if ok, _ := l.Allow("1.2.3.4"); !ok {
		t.Fatal("no token after the refill time")
	}
	if ok, _ := l.Allow("1.2.3.4"); ok {
		t.Fatal("two tokens after one refill period")
	}
}

func TestLimiterForgetsFullBuckets(t *testing.T) {
	c := newClock()
	l := New(2, time.Second).WithClock(c.now)
	for i := 0; i < 10000; i++ {
		l.Allow(string(rune('a'+i%26)) + time.Duration(i).String())
	}
	c.advance(time.Hour)
	for i := 0; i < 256*shards; i++ {
		l.Allow("x")
	}
	if n := l.Len(); n > 100 {
		t.Fatalf("%d buckets kept after every one refilled", n)
	}
}

func TestNilLimiterAllows(t *testing.T) {
	var l *Limiter
	if ok, _ := l.Allow("k"); !ok {
		t.Fatal("nil limiter refused")
	}
	var g *Guard
	if ok, _ := g.Check(httptest.NewRequest("GET", "/", nil)); !ok {
		t.Fatal("nil guard refused")
	}
}

func TestLimiterConcurrent(t *testing.T) {
	l := New(100, time.Hour)
	var wg sync.WaitGroup
	var mu sync.Mutex
	allowed := 0
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 100; i++ {
				if ok, _ := l.Allow("same"); ok {
					mu.Lock()
					allowed++
					mu.Unlock()
				}
			}
		}()
	}
	wg.Wait()
	if allowed != 100 {
		t.Fatalf("%d allowed from one bucket of 100", allowed)
	}
}

func TestClientAddr(t *testing.T) {
	tests := []struct {
		name   string
		remote string
		xff    []string
		trust  bool
		want   string
	}{
		{"direct peer", "203.0.113.9:5555", nil, false, "203.0.113.9"},
		{"proxy header ignored when not trusted", "10.0.0.1:1", []string{"198.51.100.7"}, false, "10.0.0.1"},
		{"last forwarded address when trusted", "10.0.0.1:1", []string{"1.1.1.1, 198.51.100.7"}, true, "198.51.100.7"},
		{"last header line when several", "10.0.0.1:1", []string{"1.1.1.1", "198.51.100.8"}, true, "198.51.100.8"},
		{"ipv6 reduced to /64", "[2001:db8:1:2:3:4:5:6]:80", nil, false, "2001:db8:1:2::/64"},
		{"mapped ipv4", "[::ffff:192.0.2.1]:80", nil, false, "192.0.2.1"},
		{"trusted but empty header", "10.0.0.1:1", []string{""}, true, "10.0.0.1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest("GET", "/", nil)
			r.RemoteAddr = tt.remote
			for _, v := range tt.xff {
				r.Header.Add("X-Forwarded-For", v)
			}
			if got := ClientAddr(r, tt.trust); got != tt.want {
				t.Fatalf("ClientAddr = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestGuardOverall(t *testing.T) {
	g := &Guard{PerClient: New(10, time.Minute), Overall: New(3, time.Minute)}
	for i := 0; i < 3; i++ {
		r := httptest.NewRequest("GET", "/", nil)
		r.RemoteAddr = "192.0.2." + string(rune('1'+i)) + ":1"
		if ok, _ := g.Check(r); !ok {
			t.Fatalf("request %d refused", i)
		}
	}
	r := httptest.NewRequest("GET", "/", nil)
	r.RemoteAddr = "192.0.2.200:1"
	if ok, wait := g.Check(r); ok || RetryAfter(wait) != "20" {
		t.Fatalf("overall limit not applied: ok=%v wait=%v", ok, wait)
	}
	if RetryAfter(10*time.Millisecond) != "1" {
		t.Fatal("retry-after rounds below one second to 0")
	}
}

func BenchmarkAllowManyClients(b *testing.B) {
	l := New(30, time.Minute)
	keys := make([]string, 4096)
	for i := range keys {
		keys[i] = "127.0." + time.Duration(i).String()
	}
	b.RunParallel(func(pb *testing.PB) {
		i := 0
		for pb.Next() {
			l.Allow(keys[i%len(keys)])
			i++
		}
	})
}
