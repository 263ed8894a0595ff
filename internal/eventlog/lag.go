package eventlog

import (
	"context"
	"fmt"
	"time"
)

// Lag is how far a durable consumer is behind the log.
type Lag struct {
	// Pending is how many batches it has not yet acknowledged (not yet
	// delivered, or delivered and in progress).
	Pending uint64
	// Oldest is when the oldest batch it has not acknowledged was stored
	// (zero when it is caught up): now minus Oldest is its lag.
	Oldest time.Time
}

// ConsumerLag reports how far the durable consumer is behind: for
// monitoring (detection lag). A consumer that does not exist yet is
// reported as not behind.
func (l *Log) ConsumerLag(ctx context.Context, durable string) (Lag, error) {
	if err := l.checkOpen(); err != nil {
		return Lag{}, err
	}
	c, err := l.stream.Consumer(ctx, durable)
	if err != nil {
		return Lag{}, nil
	}
	info, err := c.Info(ctx)
	if err != nil {
		return Lag{}, fmt.Errorf("eventlog: consumer %s: %w", durable, err)
	}
	lag := Lag{Pending: info.NumPending + uint64(info.NumAckPending)}
	if lag.Pending == 0 {
		return lag, nil
	}
	// The oldest unacknowledged batch is the first stored after the ack
	// floor (messages expired by retention are skipped).
	st, err := l.stream.Info(ctx)
	if err != nil {
		return Lag{}, fmt.Errorf("eventlog: stream info: %w", err)
	}
	seq := max(info.AckFloor.Stream+1, st.State.FirstSeq)
	for ; seq <= st.State.LastSeq; seq++ {
		m, err := l.stream.GetMsg(ctx, seq)
		if err == nil {
			lag.Oldest = m.Time
			break
		}
		if seq-info.AckFloor.Stream > 64 { // a long run of deleted messages: give up, report the count only
			break
		}
	}
	return lag, nil
}
