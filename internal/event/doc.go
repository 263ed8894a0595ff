// Package event is kubu's one idea of a stored security event, shared by
// intake (which writes events), detection (which reads them from the event
// log) and `kubu hunt` (which reads exported logs):
//
//   - the envelope: one JSON object per NDJSON line whose first member is
//     "@kubu" (Meta: agency, source, protocol, received, time, host),
//     written by AppendLine and read back by ParseMeta/Split;
//   - the normaliser: any JSON document becomes the flat object Sigma rules
//     match on (evtx_dump's {"Event":…} and Winlogbeat/ECS Windows events
//     become the flat EVTX form, see package ecs; other objects are kept as
//     sent; other values become {"message":…});
//   - the event time: Time and ParseTime, the one reading of the time an
//     event gives itself.
//
// JSON is written with package jsonw.
package event
