// Package sigma is kubu's Sigma detection engine: it parses Sigma rules
// (specification 2.1.0: detection rules, correlation rules and meta
// filters), compiles a whole rule set into one matcher, and matches log
// events against it.
//
// # Use
//
//	rules, errs := sigma.ParseFile(path)          // or sigma.Parse(name, yamlBytes)
//	set, err := sigma.Compile(rules, sigma.Options{Placeholders: map[string][]string{"Admins": {"adm_*"}}})
//	m := set.NewMatcher()                          // one per goroutine; the Set is shared and read-only
//	err = m.MatchJSON(rawEvent, func(r *sigma.Rule) { … })
//	hits, err := m.MatchRules(rawEvent)            // same, into a slice reused by the next call
//	m.Match(ev, fn)                                // ev is any sigma.Event (MapEvent, JSONEvent, your own)
//
//	corr := sigma.NewCorrelator(set, sigma.CorrelatorOptions{})
//	corr.Observe(ev, eventTime, hits, func(h sigma.CorrelationHit) { … })
//	state, _ := corr.MarshalBinary()               // keep open windows across restarts
//
// Parse errors and compile errors are *LoadError values naming the file
// and line. Every document of a multi-document file is a Rule; Rule.Kind
// tells detection rules, correlations and filters apart. Set.Standalone
// reports whether a rule's own matches should be shown (rules referenced
// by a correlation without "generate: true" only feed the correlation).
//
// # Events
//
// Events are JSON objects. Windows events are flat (System fields by leaf
// name, EventData by Name, as internal/evtx's AppendFlatJSON writes them);
// a dotted field name such as requestParameters.userName resolves into
// nested objects when no flat key of that name exists; an event key with
// spaces ("Source Name") answers to the Sigma field name without them
// (SourceName). A field holding an array matches when any element
// matches. Numbers match as their JSON text (EventID: 4688 matches 4688
// and "4688").
//
// # Semantics
//
// All modifiers of the specification are supported: contains, startswith,
// endswith, all, exists, cased, neq, windash, re (with i, m, s), base64,
// base64offset, utf16le, utf16be, utf16, wide, lt, lte, gt, gte, minute,
// hour, day, week, month, year, cidr (IPv4 and IPv6), expand (values from
// Options.Placeholders; a missing placeholder fails the rule) and fieldref
// (alone or with startswith, endswith, contains, neq, cased). Matching is
// case-insensitive unless cased; * and ? are wildcards, \ escapes them and
// itself. null matches an absent field or JSON null; an empty value
// (two single quotes) matches an empty string or JSON null. Keyword searches (lists without field names) look
// for the value anywhere in any value of the event. Regular expressions
// use Go's RE2: rules needing lookaround, backreferences or possessive
// and atomic groups fail to load with that reason (\Z is translated).
// Conditions follow the precedence not > and > or, with parentheses,
// "1 of x*", "any of x*", "N of x*", "all of x*" and "them"; Sigma 1.0
// aggregation pipes are rejected with a clear error.
//
// Correlation types: event_count, value_count, temporal,
// temporal_ordered, value_sum, value_avg, value_min, value_max,
// value_median and value_percentile, with group-by, aliases, timespan,
// generate and chaining (a correlation over correlations). A condition
// with only an upper bound (lt, lte) on a growing measure (event_count,
// value_count, value_sum) is judged when the group's window closes (on a
// later Observe or Advance); every other condition when an event arrives.
// value_percentile measures the share (0–100) of the group's events in
// the window whose field value equals the arriving event's: a low share
// means a rare value. A group's state is dropped once its window has
// passed, and at most CorrelatorOptions.MaxGroups groups are kept per rule.
//
// Meta filters (documents with a filter section) are ANDed to the
// condition of the rules they name (by id or name; all rules of their log
// source when they name none) whose log source they match; write
// "condition: not selection" to exclude events.
//
// # Log sources
//
// A Mapping (default: WindowsMapping, or LoadMapping for a YAML file, see
// MAPPING.md) turns a rule's logsource into event conditions and field
// names: process_creation is Sysmon event 1 or Security 4688 (with
// Image←NewProcessName and the other 4688 names), service: security is
// Channel Security, and so on. Events of a channel the mapping knows are
// checked only against rules routed to that channel and product-wide rules
// (product: windows alone). Rules whose log source the mapping does not
// know (Set.Unmapped), and entries without a Channel condition (cloud and
// Linux sources routed by other fields), apply to events whose channel the
// mapping does not know, such as JSON logs without a Channel field.
//
// # How matching is fast
//
// Compile turns every rule, once per mapping entry, into a condition tree
// over interned atoms (one field, one test). Events are routed by Channel
// and EventID to a bucket holding only the rules that can apply (rules
// that require an EventID are indexed under it). Per field, one
// Aho-Corasick automaton over case-folded bytes finds every
// contains/startswith/endswith/equals pattern of all rules at once;
// regular expressions, wildcard patterns and cased values get a literal
// from the automaton as a prefilter (and regular expressions a minimum
// length and character-run check). Each rule is evaluated only when one of
// its trigger atoms (a set of which at least one must be true for the
// rule to match) was found, or always when it has none; only the fields
// holding triggers are scanned up front, the others when a candidate rule
// needs them. Large OR lists of literals are checked against the event's
// true atoms rather than one by one. JSON is read with fastjson into
// per-field slots, only for the fields the set uses.
//
// A Matcher keeps bounded scratch state between events: the last value
// scanned per field (up to 64 KiB) with the atoms it hit, so a value that
// repeats (Provider_Name, Image, Hashes, User, …) is not scanned again,
// and the key order of the previous event. Steady-state matching does not
// allocate (apart from the regexp package refilling its pool after a GC).
package sigma
