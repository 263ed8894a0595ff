package store

import "strconv"

// Param is the n-th (from 1) bound parameter of a statement whose
// parameters appear in order, each once: $n on PostgreSQL, an anonymous ?
// on SQLite. Statements with a few parameters write $n for both (SQLite
// takes it as a name); statements with thousands — multi-row inserts —
// use Param, because SQLite and its driver look names up in a list,
// which costs O(n²) over the statement.
func (db *DB) Param(n int) string {
	if db.Engine == SQLite {
		return "?"
	}
	return "$" + strconv.Itoa(n)
}
