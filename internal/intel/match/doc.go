// Package match decides, at intake speed, which active threat indicators
// an event mentions.
//
// Build turns indicators into an immutable Set: IPv4 and IPv6 addresses and
// CIDRs in one hash table per prefix length in use (so an address is looked
// up once per length, and overlapping CIDRs all match), domains in a table
// looked up for the name and each of its parent domains (a domain indicator
// covers its subdomains), URLs by their normal form, file hashes as binary
// keys in one table per length, email addresses by their normal form. A
// Matcher holds the current Set behind an atomic pointer, so a new set
// (after an import or an expiry) replaces the old one without stopping
// matching.
//
// Set.Match walks every string value of an event (JSON, read with fastjson)
// and looks up what intel.Scan finds in it: addresses, domains and host
// names (also the host of a URL and the domain of an email address),
// URLs, hashes and email addresses.
package match
