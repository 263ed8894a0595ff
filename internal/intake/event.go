package intake

import (
	"github.com/valyala/fastjson"

	"github.com/kubu-gov/kubu/internal/event"
)

// MetaKey is the reserved member every stored event carries first
// (event.MetaKey).
const MetaKey = event.MetaKey

// Meta is what intake knows about an event besides its own fields.
type Meta = event.Meta

// normaliser turns what each protocol received into stored event objects:
// event.Normaliser for JSON documents, and the protocol shapes (HEC
// envelopes, OTLP records, syslog messages) built here. It reuses its
// buffers and is not safe for concurrent use.
type normaliser struct {
	event.Normaliser
	p    fastjson.Parser
	flat []byte
	tmp  []byte
}
