// Package registry holds the agencies and their systems: the first two
// links of kubu's one model, agency → system → finding.
package registry

import (
	"github.com/kubu-gov/kubu/internal/audit"
	"github.com/kubu-gov/kubu/internal/store"
)

// Registry reads and changes agencies and systems. Every method takes the
// acting caller and asks authz before it reads or writes.
type Registry struct {
	db    *store.DB
	audit *audit.Log
}

// New returns the registry.
func New(db *store.DB, log *audit.Log) *Registry { return &Registry{db: db, audit: log} }

// The allowed values of system fields.
var (
	AssetTypes      = []string{"web", "mobile", "api", "iot", "host", "cloud"}
	Criticalities   = []string{"low", "medium", "high", "critical"}
	Classifications = []string{"official-open", "official-closed", "restricted", "confidential", "secret"}
)
