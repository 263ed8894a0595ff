package store

import (
	"database/sql"
	"encoding/json"
	"fmt"
)

// Scanner is one row to read: what *sql.Row and *sql.Rows both offer. Row
// readers take it so one function reads a row of a list and a single row.
type Scanner interface {
	Scan(dest ...any) error
}

// Collect reads every row with scan and closes the rows.
func Collect[T any](rows *sql.Rows, scan func(Scanner) (T, error)) ([]T, error) {
	defer rows.Close()
	out := []T{}
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

// JSON scans a JSON text column into dst (a pointer), so that a column
// that does not hold what it should fails the read with an error naming it
// instead of leaving dst empty. NULL and "" leave dst as it is.
//
//	err := row.Scan(&a.ID, store.JSON(&a.Tags))
func JSON(dst any) sql.Scanner { return jsonColumn{dst} }

type jsonColumn struct{ dst any }

func (j jsonColumn) Scan(src any) error {
	var b []byte
	switch v := src.(type) {
	case nil:
		return nil
	case string:
		b = []byte(v)
	case []byte:
		b = v
	default:
		return fmt.Errorf("JSON column holds %T, not text", src)
	}
	if len(b) == 0 {
		return nil
	}
	if err := json.Unmarshal(b, j.dst); err != nil {
		return fmt.Errorf("JSON column into %T: %w", j.dst, err)
	}
	return nil
}
