// Package audittest helps tests play the attacker against the audit log:
// it copies the audit_* tables out of a database and puts an old copy back,
// exactly as someone with write access to the database could.
package audittest

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/kubu-gov/kubu/internal/store"
)

// Tables are the audit log's tables.
var Tables = []string{"audit_log", "audit_head", "audit_checkpoints"}

// Snapshot is a copy of the audit tables' rows.
type Snapshot struct {
	rows map[string][][]any
	cols map[string][]string
}

// Take copies every row of the audit tables.
func Take(t testing.TB, q store.Querier) *Snapshot {
	t.Helper()
	s := &Snapshot{rows: map[string][][]any{}, cols: map[string][]string{}}
	for _, table := range Tables {
		rows, err := q.QueryContext(context.Background(), "SELECT * FROM "+table)
		if err != nil {
			t.Fatalf("snapshot %s: %v", table, err)
		}
		cols, _ := rows.Columns()
		s.cols[table] = cols
		for rows.Next() {
			vals := make([]any, len(cols))
			ptrs := make([]any, len(cols))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			if err := rows.Scan(ptrs...); err != nil {
				t.Fatalf("snapshot %s: %v", table, err)
			}
			s.rows[table] = append(s.rows[table], vals)
		}
		if err := rows.Close(); err != nil {
			t.Fatal(err)
		}
	}
	return s
}

// Restore replaces the audit tables' contents with the snapshot's (q is
// best a transaction).
func (s *Snapshot) Restore(t testing.TB, q store.Querier) {
	t.Helper()
	ctx := context.Background()
	for _, table := range Tables {
		if _, err := q.ExecContext(ctx, "DELETE FROM "+table); err != nil {
			t.Fatalf("restore %s: %v", table, err)
		}
		cols := s.cols[table]
		ph := make([]string, len(cols))
		for i := range ph {
			ph[i] = fmt.Sprintf("$%d", i+1)
		}
		ins := "INSERT INTO " + table + " (" + strings.Join(cols, ", ") + ") VALUES (" + strings.Join(ph, ", ") + ")"
		for _, r := range s.rows[table] {
			if _, err := q.ExecContext(ctx, ins, r...); err != nil {
				t.Fatalf("restore %s: %v", table, err)
			}
		}
	}
}
