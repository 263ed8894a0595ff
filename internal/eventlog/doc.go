// Package eventlog is kubu's durable event log: a NATS JetStream stream that
// holds every security event batch intake has acknowledged.
//
// By default the log runs an embedded nats-server inside the process (no
// listening port, file store under DataDir/jetstream, every write fsynced
// before it is acknowledged). When Config.URL is set the same code talks to an
// external NATS cluster instead.
//
// A message is one batch of events published to a subject of the form
// "<prefix>.<agency>", where the prefix follows the stream name
// ("KUBU_EVENTS" → "kubu.events"). Publish returns only after JetStream has
// stored the batch, so callers may acknowledge the events to the shipper once
// it returns without error. Consume reads through a durable pull consumer with
// explicit acknowledgement (at-least-once); Range is an ordered, ephemeral
// read of everything retained between two instants, for retro-hunts.
//
// Durability: the embedded server runs with SyncAlways by default, so a
// batch is fsynced before Publish returns and survives the process being
// killed and the machine losing power. Config.SyncInterval trades the
// latter for several times the throughput; an acknowledged batch still
// survives the process dying, because the file store has written it to the
// OS before acknowledging (both are tested by killing a publisher with
// SIGKILL). An external server's durability is its own configuration.
//
//	log, err := eventlog.Open(ctx, eventlog.Config{DataDir: dir})
//	subj, _ := log.Subject("MOH")
//	seq, err := log.Publish(ctx, subj, batch, batchID)
//	err = log.Consume(ctx, "detect", func(ctx context.Context, msgs []eventlog.Msg) error { … })
//	err = log.Range(ctx, from, to, func(m eventlog.Msg) error { … })
//	err = log.Close()
package eventlog
