// Package misp reads MISP threat-intelligence feeds: the MISP feed format
// (manifest.json listing events, one <uuid>.json per event, with
// attributes and objects), CSV feeds (one value a line in a chosen
// column) and freetext feeds (values found anywhere in the text). It
// turns what it can match into intel.Indicators and says why it leaves
// the rest out.
//
// The package has no dependency on the rest of kubu.
package misp
