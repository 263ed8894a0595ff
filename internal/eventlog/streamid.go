package eventlog

import (
	"context"
	"fmt"
	"strconv"
	"time"
)

// StreamID names the current incarnation of the stream: its creation time
// (kept by JetStream with the stream, the same on every replica and across
// restarts) in base 36. A stream deleted and created again, or the log
// moved to another NATS, has a new StreamID and starts its sequences over,
// so anything keyed by a stream position (event ids, saved consumer
// positions) must include it. Every Msg carries the StreamID it was read
// under.
func (l *Log) StreamID() string {
	if p := l.streamID.Load(); p != nil {
		return *p
	}
	return ""
}

// streamIDOf formats a stream creation time as a StreamID.
func streamIDOf(created time.Time) string {
	return strconv.FormatInt(created.UnixNano(), 36)
}

// noteStream records the stream's creation time, logging loudly when it
// differs from the one this Log knew: the stream was replaced.
func (l *Log) noteStream(created time.Time) {
	id := streamIDOf(created)
	old := l.streamID.Swap(&id)
	if old != nil && *old != id {
		l.log.Error("event log stream replaced: its sequences start over; positions and event ids now carry the new stream id",
			"stream", l.cfg.Stream, "old_stream_id", *old, "new_stream_id", id, "created", created)
	}
}

// refreshStreamID re-reads the stream's creation time (a consumer is being
// (re)created: the stream may have been replaced since Open).
func (l *Log) refreshStreamID(ctx context.Context) {
	info, err := l.stream.Info(ctx)
	if err == nil {
		l.noteStream(info.Created)
	}
}

// recreateStream creates the stream again after it was deleted.
func (l *Log) recreateStream(ctx context.Context) error {
	l.log.Error("event log stream missing: creating it again", "stream", l.cfg.Stream)
	s, err := l.js.CreateOrUpdateStream(ctx, l.streamConfig())
	if err != nil {
		return fmt.Errorf("eventlog: recreate stream %s: %w", l.cfg.Stream, err)
	}
	l.noteStream(s.CachedInfo().Created)
	return nil
}
