// Package stix reads and writes STIX 2.1 threat intelligence: bundles
// (streamed, so a bundle of many thousand indicators is never held whole),
// indicator objects with their validity, confidence, labels, creator and
// TLP marking, and the STIX patterning language, of which it compiles the
// part that names observables (ParsePattern, Compile): comparisons with =,
// IN or ISSUBSET on ipv4-addr, ipv6-addr, domain-name, url, email-addr and
// file hashes, joined with OR. Everything else in the language parses and
// is reported as unsupported, with the reason.
//
// The package has no dependency on the rest of kubu.
package stix
