// Package detect is kubu's live detection: the Sigma rule store with hot
// reload, the detection consumers that match every stored event against
// the enabled rules, alerts (idempotent per rule and event, grouped by
// rule, agency and grouping fields within a window), correlation rules
// whose state survives restarts, silent-source alerts and retro-hunts over
// the retained events.
//
// # How events flow
//
// Intake stores batches of events in the event log (internal/eventlog).
// Every node runs detection workers sharing one durable consumer
// ("detect"); each worker has its own sigma.Matcher and writes the alerts
// of a batch in one database transaction before acknowledging it, so a
// crash replays the batch and the (rule, event) key of alert_events keeps
// the replay from counting twice.
//
// One node at a time — the holder of the "leader" lease in the database —
// runs the jobs that need a single view: the correlation consumer
// ("correlate", which feeds sigma.Correlator and saves its state in the
// same transaction as the alerts it raised, with the last stream sequence
// it consumed), the silent-source check, and retro-hunts.
//
// # Rules
//
// Rules come from the --rules files at start and from the API and UI. All
// of them live in the database (detect_rules), so every node compiles the
// same set; a change bumps a version counter that every node polls, and
// each recompiles and swaps its set atomically.
package detect
