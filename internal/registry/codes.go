package registry

import (
	"context"
	"sync"

	"github.com/kubu-gov/kubu/internal/store"
)

// Codes maps agency codes to ids and back for kubu's own plumbing (intake
// and detection carry agency codes in event-log subjects). An agency's code
// and id never change, so answers are cached for the life of the process.
// It does no access check: never hand its answers to a caller unchecked.
type Codes struct {
	db     *store.DB
	mu     sync.Mutex
	byCode map[string]string
	byID   map[string]string
}

// NewCodes returns an empty cache over db.
func NewCodes(db *store.DB) *Codes {
	return &Codes{db: db, byCode: map[string]string{}, byID: map[string]string{}}
}

// ID returns the id of the agency with code ("" when there is none).
func (c *Codes) ID(ctx context.Context, code string) string {
	if code == "" {
		return ""
	}
	c.mu.Lock()
	id, ok := c.byCode[code]
	c.mu.Unlock()
	if ok {
		return id
	}
	if err := c.db.R().QueryRowContext(ctx, `SELECT id FROM agencies WHERE code = $1`, code).Scan(&id); err != nil {
		return ""
	}
	c.remember(code, id)
	return id
}

// Code returns the code of the agency with id ("" when there is none).
func (c *Codes) Code(ctx context.Context, id string) string {
	if id == "" {
		return ""
	}
	c.mu.Lock()
	code, ok := c.byID[id]
	c.mu.Unlock()
	if ok {
		return code
	}
	if err := c.db.R().QueryRowContext(ctx, `SELECT code FROM agencies WHERE id = $1`, id).Scan(&code); err != nil {
		return ""
	}
	c.remember(code, id)
	return code
}

func (c *Codes) remember(code, id string) {
	c.mu.Lock()
	c.byCode[code], c.byID[id] = id, code
	c.mu.Unlock()
}
