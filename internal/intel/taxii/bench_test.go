package taxii

import (
	"context"
	"testing"
	"time"
)

// BenchmarkPoll polls 2,000 objects from the server in pages of 500.
func BenchmarkPoll(b *testing.B) {
	src := NewMemorySource(Collection{ID: "c", CanRead: true})
	for i := 0; i < 2000; i++ {
		src.Add("c", t0.Add(time.Duration(i)*time.Second), indicatorJSON(i%250))
	}
	srv := kubuLike(b, src)
	c := &Client{Username: "a", Password: "feed-token", PageSize: 50}
	for b.Loop() {
		n := 0
		_, err := c.Poll(context.Background(), srv.URL+"/taxii2/api/", "c", time.Time{}, func(_ []byte, k int) error { n += k; return nil })
		if err != nil || n != 2000 {
			b.Fatal(n, err)
		}
	}
}
