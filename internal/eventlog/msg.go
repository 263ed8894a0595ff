package eventlog

import (
	"fmt"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// Msg is one stored batch as read back from the log.
type Msg struct {
	Seq uint64 // stream sequence, unique and increasing within StreamID
	// StreamID names the stream's incarnation (Log.StreamID): a stream
	// deleted and created again, or one on another NATS, starts its
	// sequences over under a new StreamID.
	StreamID string
	Subject  string    // e.g. "kubu.events.MOH"
	Data     []byte    // the batch as published; the handler may keep it
	Time     time.Time // when the stream stored it (server clock)
	MsgID    string    // the publisher's Nats-Msg-Id, if any
	// NumDelivered counts deliveries to this consumer, 1 the first time;
	// Range always reports 1.
	NumDelivered uint64
}

func toMsg(m jetstream.Msg) (Msg, error) {
	md, err := m.Metadata()
	if err != nil {
		return Msg{}, fmt.Errorf("eventlog: message metadata: %w", err)
	}
	return msgWith(m, md), nil
}

// msgWith builds a Msg from a delivery and its already parsed metadata.
func msgWith(m jetstream.Msg, md *jetstream.MsgMetadata) Msg {
	out := Msg{
		Seq:          md.Sequence.Stream,
		Subject:      m.Subject(),
		Data:         m.Data(),
		Time:         md.Timestamp,
		NumDelivered: md.NumDelivered,
	}
	if h := m.Headers(); h != nil {
		out.MsgID = h.Get(jetstream.MsgIDHeader)
	}
	return out
}
