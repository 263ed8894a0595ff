package scan

import "github.com/kubu-gov/kubu/internal/scan/facts"

// Aliases for the parts of a Result, for callers that only import scan.
type (
	HTTPSFacts = facts.HTTPS
	HSTSFacts  = facts.HSTS
	TLSFacts   = facts.TLS
	Finding    = facts.Finding
)
