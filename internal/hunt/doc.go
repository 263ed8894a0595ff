// Package hunt is the engine of `kubu hunt`: offline Sigma hunting over
// exported Windows event logs (.evtx) and JSON logs (.json, .jsonl,
// .ndjson), without a server or a database.
//
// # Use
//
//	rules := hunt.LoadRules(paths, hunt.RuleOptions{MinLevel: "medium"})
//	if rules.Loaded == 0 { … }                 // rules.Failures says why
//	report := rules.Check()                    // {rules_loaded, rules_failed, failures}
//	res, err := hunt.Run(ctx, rules, inputs, hunt.RunOptions{Counters: &c})
//	hunt.Write(w, "jsonl", res.Detections)     // or "csv", "table"
//	res.WriteSummary(os.Stderr, load, took)    // and res.Stats(load, took)
//	stop := hunt.StartProgress(tty, &c, 200*time.Millisecond)
//
// LoadRules walks rule files and folders (.yml/.yaml, recursively, hidden
// folders skipped), parses the files in parallel, keeps the rules the
// filters select (plus the rules their correlations need) and compiles
// them into one sigma.Set. A rule that cannot be parsed or compiled is a
// Failure naming its file; the others still load. An expand placeholder
// without values is an empty list (it matches nothing) and is reported as
// a warning, not a failure.
//
// Run discovers the inputs (folders recursively, by extension), reads
// each file in its own goroutine into batches of flat JSON records (EVTX
// through internal/evtx; JSON documents take live detection's shape through
// event.Normaliser: evtx_dump and Winlogbeat/ECS Windows events become the
// flat EVTX form) and matches the batches on one
// goroutine per core, each with its own sigma.Matcher. Only detections are
// kept: they are sorted into a timeline by event time (event.Time; ties: file, record,
// rule), correlation rules run over that timeline in time order, and the
// result is written by the caller. A file that cannot be read is reported
// in Result.Files and the other files are still processed.
//
// Rules of another product than Windows (zeek, linux, aws, …) never fire
// on Windows events (anything with a Channel): the sigma package's router
// keeps them off.
package hunt
