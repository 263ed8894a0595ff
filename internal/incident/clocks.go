package incident

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// The three clocks of an incident (contract §6).
const (
	ClockAcknowledge = "acknowledge"
	ClockContain     = "contain"
	ClockRecover     = "recover"
)

// Clocks lists the clocks in order.
var Clocks = []string{ClockAcknowledge, ClockContain, ClockRecover}

// Target is how long each clock may run for one severity.
type Target struct {
	Acknowledge, Contain, Recover time.Duration
}

func (t Target) of(clock string) time.Duration {
	switch clock {
	case ClockAcknowledge:
		return t.Acknowledge
	case ClockContain:
		return t.Contain
	}
	return t.Recover
}

// Targets are the SLA targets per severity.
type Targets map[string]Target

func (t Targets) empty() bool { return len(t) == 0 }

// DefaultTargets are kubu's defaults (README, docs/incidents.md).
func DefaultTargets() Targets {
	h := time.Hour
	return Targets{
		"critical": {15 * time.Minute, 4 * h, 24 * h},
		"high":     {h, 24 * h, 72 * h},
		"medium":   {4 * h, 72 * h, 168 * h},
		"low":      {24 * h, 168 * h, 720 * h},
	}
}

// String writes t in the form ParseTargets reads.
func (t Targets) String() string {
	var parts []string
	for _, sev := range Severities {
		if x, ok := t[sev]; ok {
			parts = append(parts, fmt.Sprintf("%s=%s/%s/%s", sev, short(x.Acknowledge), short(x.Contain), short(x.Recover)))
		}
	}
	return strings.Join(parts, ",")
}

func short(d time.Duration) string {
	switch {
	case d%time.Hour == 0:
		return fmt.Sprintf("%dh", d/time.Hour)
	case d%time.Minute == 0:
		return fmt.Sprintf("%dm", d/time.Minute)
	}
	return d.String()
}

// ParseTargets reads SLA targets written as
// "critical=15m/4h/24h,high=1h/24h/72h": for each severity, the time to
// acknowledge, to contain and to recover, as Go durations. Severities not
// named keep base's targets. Each target must be positive, and contain and
// recover must not come before acknowledge and contain.
func ParseTargets(s string, base Targets) (Targets, error) {
	out := Targets{}
	for k, v := range base {
		out[k] = v
	}
	if strings.TrimSpace(s) == "" {
		return out, nil
	}
	seen := map[string]bool{}
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		sev, spec, ok := strings.Cut(part, "=")
		sev = strings.TrimSpace(sev)
		if !ok {
			return nil, fmt.Errorf("incident targets: %q: want SEVERITY=ACK/CONTAIN/RECOVER", part)
		}
		if !slices.Contains(Severities, sev) {
			return nil, fmt.Errorf("incident targets: unknown severity %q (want %s)", sev, strings.Join(Severities, ", "))
		}
		if seen[sev] {
			return nil, fmt.Errorf("incident targets: %s given twice", sev)
		}
		seen[sev] = true
		ds := strings.Split(spec, "/")
		if len(ds) != 3 {
			return nil, fmt.Errorf("incident targets: %s=%s: want three durations, ACK/CONTAIN/RECOVER", sev, spec)
		}
		var v [3]time.Duration
		for i, d := range ds {
			x, err := time.ParseDuration(strings.TrimSpace(d))
			if err != nil || x <= 0 || x > 10*365*24*time.Hour {
				return nil, fmt.Errorf("incident targets: %s: %q is not a positive duration such as 15m or 4h", sev, d)
			}
			v[i] = x
		}
		if v[1] < v[0] || v[2] < v[1] {
			return nil, fmt.Errorf("incident targets: %s: contain must not be shorter than acknowledge, nor recover than contain", sev)
		}
		out[sev] = Target{v[0], v[1], v[2]}
	}
	return out, nil
}

// ClockState is the clocks of an incident (contract §6), measured from
// StartedAt: the earliest linked alert's first event, or the incident's
// creation.
type ClockState struct {
	StartedAt       time.Time  `json:"started_at"`
	AcknowledgedAt  *time.Time `json:"acknowledged_at"`
	ContainedAt     *time.Time `json:"contained_at"`
	RecoveredAt     *time.Time `json:"recovered_at"`
	ClosedAt        *time.Time `json:"closed_at"`
	TimeToAck       *int64     `json:"time_to_acknowledge_s"`
	TimeToContain   *int64     `json:"time_to_contain_s"`
	TimeToRecover   *int64     `json:"time_to_recover_s"`
	Breached        []string   `json:"breached"`
	Running         []string   `json:"running"` // clocks not yet stopped
	AcknowledgeDue  time.Time  `json:"acknowledge_due_at"`
	ContainDue      time.Time  `json:"contain_due_at"`
	RecoverDue      time.Time  `json:"recover_due_at"`
	TargetAckS      int64      `json:"target_acknowledge_s"`
	TargetContainS  int64      `json:"target_contain_s"`
	TargetRecoverS  int64      `json:"target_recover_s"`
	ElapsedS        int64      `json:"elapsed_s"` // since StartedAt, until closed or now
	computedAtMilli int64
}

// stamps are the times an incident reached each stage.
type stamps struct {
	started                        time.Time
	ack, contain, recover, closed  *time.Time
	ackDue, containDue, recoverDue time.Time
}

// clocksAt computes the clocks at now.
func clocksAt(st stamps, now time.Time) ClockState {
	c := ClockState{StartedAt: st.started, AcknowledgedAt: st.ack, ContainedAt: st.contain, RecoveredAt: st.recover, ClosedAt: st.closed,
		AcknowledgeDue: st.ackDue, ContainDue: st.containDue, RecoverDue: st.recoverDue,
		TargetAckS: secs(st.ackDue.Sub(st.started)), TargetContainS: secs(st.containDue.Sub(st.started)),
		TargetRecoverS: secs(st.recoverDue.Sub(st.started)), Breached: []string{}, Running: []string{}, computedAtMilli: now.UnixMilli()}
	end := now
	if st.closed != nil {
		end = *st.closed
	}
	c.ElapsedS = max(secs(end.Sub(st.started)), 0)
	for _, k := range []struct {
		name string
		at   *time.Time
		due  time.Time
		out  **int64
	}{
		{ClockAcknowledge, st.ack, st.ackDue, &c.TimeToAck},
		{ClockContain, st.contain, st.containDue, &c.TimeToContain},
		{ClockRecover, st.recover, st.recoverDue, &c.TimeToRecover},
	} {
		if k.at != nil {
			v := max(secs(k.at.Sub(st.started)), 0)
			*k.out = &v
			if k.at.After(k.due) {
				c.Breached = append(c.Breached, k.name)
			}
			continue
		}
		c.Running = append(c.Running, k.name)
		if now.After(k.due) {
			c.Breached = append(c.Breached, k.name)
		}
	}
	return c
}

func secs(d time.Duration) int64 { return int64(d / time.Second) }

// reached returns, for a change to status to, which stages it reaches
// (acknowledged: any status past new; contained: contained or later;
// recovered: recovered or later; closed).
func reached(to string) (ack, contain, recover, closed bool) {
	i := slices.Index(Statuses, to)
	return i >= 1, i >= 2, i >= 4, i == 5
}
