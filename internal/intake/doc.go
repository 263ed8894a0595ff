// Package intake is the server side of kubu's log intake: it takes events
// from log shippers in their own protocols — Splunk HEC, Elasticsearch
// _bulk, OTLP/HTTP logs and syslog over UDP, TCP and TLS — stamps each with
// the agency its intake token (or source network) belongs to, normalises it
// into one event shape, and stores it durably in the event log before the
// shipper hears "accepted".
//
// # Event shape
//
// Events travel in batches: one event-log message holds many events as
// NDJSON, one flat JSON object per line, on subject "<prefix>.<agency>".
// Each object carries the original fields — Windows events on the flat
// EVTX field names the Sigma mapping uses (event.Normaliser: Winlogbeat/ECS
// documents through event/ecs, evtx_dump-style nested documents through
// evtx.FlattenJSON), everything else as sent — plus one reserved key
// written first (event.AppendLine):
//
//	"@kubu":{"agency":"MOH","source":"…","protocol":"hec","received":"…","time":"…","host":"…"}
//
// An event's id is "<stream sequence>-<index in the batch>", so the same
// event has the same id however often it is read.
//
// # Durability
//
// HTTP handlers decode, normalise, publish and wait for the event log's
// acknowledgement before they answer 2xx; a failure to store answers the
// protocol's "try again" status. Syslog has no acknowledgement: events are
// batched for a few milliseconds and published; a TCP or TLS connection is
// read only as fast as the log stores.
package intake
