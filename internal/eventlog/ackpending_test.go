package eventlog

import (
	"testing"
	"time"
)

func TestMaxAckPendingOption(t *testing.T) {
	base := consumeOpts{batch: 64, maxWait: time.Second, ackWait: 10 * time.Second, maxDeliver: -1}
	tests := []struct {
		n    int
		fail bool
	}{{0, false}, {64, false}, {1000, false}, {63, true}, {-1, true}}
	for _, tt := range tests {
		o := base
		WithMaxAckPending(tt.n)(&o)
		if err := o.check(); (err != nil) != tt.fail {
			t.Errorf("WithMaxAckPending(%d) with batch 64: err = %v, want failure %v", tt.n, err, tt.fail)
		}
	}
}
