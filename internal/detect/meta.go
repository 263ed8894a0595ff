package detect

import (
	"github.com/kubu-gov/kubu/internal/event"
	"github.com/kubu-gov/kubu/internal/sigma"
)

// matchLine matches the event of a stored line — without its "@kubu"
// envelope, so exactly the object `kubu hunt` matches for the same event —
// and returns the rules that matched and the envelope.
func matchLine(m *sigma.Matcher, line []byte) ([]*sigma.Rule, event.Meta, error) {
	meta, end, _ := event.Split(line)
	var matched []*sigma.Rule
	var err error
	event.WithBody(line, end, func(body []byte) { matched, err = m.MatchRules(body) })
	return matched, meta, err
}

// eventBody returns the fields of a stored line's event, without its
// envelope, for the correlator.
func eventBody(line []byte) (sigma.Event, error) {
	_, end, _ := event.Split(line)
	var ev sigma.Event
	var err error
	event.WithBody(line, end, func(body []byte) { ev, err = sigma.JSONEvent(body) })
	return ev, err
}
