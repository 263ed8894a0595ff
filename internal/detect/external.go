package detect

import (
	"context"
	"database/sql"
	"sort"
	"time"

	"github.com/kubu-gov/kubu/internal/event"
	"github.com/kubu-gov/kubu/internal/eventlog"
)

// KindIOC marks alerts raised by a threat indicator (contract §7): their
// rule_id is the indicator's STIX id.
const KindIOC = "ioc"

// Event is one event of an event-log batch as detection reads it, for
// matchers other than Sigma (the indicator matcher) that raise alerts
// through this package.
type Event struct {
	ID     string    // "<stream seq>-<index>": the idempotency key, with the rule
	Agency string    // agency code ("unassigned" for unmapped syslog senders)
	Host   string    // the alert group
	Time   time.Time // the event's time (else when it was received)
	Line   []byte    // the event as stored
}

// EachEvent calls fn with every event of a batch, read as the detection
// workers read them.
func EachEvent(m eventlog.Msg, fn func(Event)) {
	forEachEvent(m, func(eventID string, line []byte) {
		meta, _ := event.ParseMeta(line)
		if meta.Agency == "" {
			meta.Agency = agencyOfSubject(m.Subject)
		}
		if meta.Received.IsZero() {
			meta.Received = m.Time
		}
		if meta.Time.IsZero() {
			meta.Time = meta.Received
		}
		fn(Event{ID: eventID, Agency: meta.Agency, Host: meta.Host, Time: meta.Time, Line: line})
	})
}

// Match is a match of another matcher on its way to an alert.
type Match struct {
	RuleID, Title, Level, Kind string
	Tags                       []string
	Event                      Event
}

// WriteMatches writes matches inside tx exactly as detection writes its
// own: grouped by rule, agency and host within the grouping window, and
// idempotent on (rule, event, hunt), so a redelivered batch adds nothing.
// It returns how many matches were new, by rule id.
func (s *Service) WriteMatches(ctx context.Context, tx *sql.Tx, matches []Match, huntID string) (map[string]int, error) {
	byRule := map[string][]hit{}
	var order []string
	for _, m := range matches {
		level := m.Level
		if level == "" {
			level = "medium"
		}
		h := hit{ruleID: m.RuleID, title: m.Title, level: level, kind: m.Kind, tags: m.Tags, eventID: m.Event.ID,
			agency: m.Event.Agency, group: map[string]string{"host": m.Event.Host}, at: m.Event.Time, event: m.Event.Line}
		if _, ok := byRule[m.RuleID]; !ok {
			order = append(order, m.RuleID)
		}
		byRule[m.RuleID] = append(byRule[m.RuleID], h)
	}
	// Rules in a fixed order, as writeHits orders groups: concurrent
	// writers (PostgreSQL) take the group locks in the same order.
	sort.Strings(order)
	out := map[string]int{}
	for _, rule := range order {
		n, err := s.writeHits(ctx, tx, byRule[rule], huntID)
		if err != nil {
			return nil, err
		}
		if n > 0 {
			out[rule] = n
		}
	}
	return out, nil
}
