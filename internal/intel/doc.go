// Package intel holds what every threat-intelligence engine of kubu shares:
// the observable types an indicator can name (an IP address or CIDR, a
// domain, a URL, a file hash, an email address), their one canonical form
// (Normalise), the indicator record with its validity, confidence and TLP,
// and a scanner that finds observables in free text (Scan, Extract).
//
// The readers (stix, misp, taxii) produce Indicators; the matcher (match)
// and the feed writers (edl, rpz) consume them. The package has no
// dependency on the rest of kubu.
package intel
