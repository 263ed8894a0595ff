package disclosure

import (
	"database/sql"
	"time"
)

type nullMillis struct{ sql.NullInt64 }

func (n nullMillis) ptr() *time.Time { return timePtr(n.NullInt64) }
