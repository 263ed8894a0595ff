package disclosure

import (
	"database/sql"
	"encoding/json"
	"time"
)

type nullMillis struct{ sql.NullInt64 }

func (n nullMillis) ptr() *time.Time { return timePtr(n.NullInt64) }

func jsonUnmarshal(s string, v any) { json.Unmarshal([]byte(s), v) }
