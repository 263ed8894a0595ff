package store

import (
	"strconv"
	"strings"
)

// Where builds the WHERE clause of a hand-written query with numbered
// placeholders ($1, $2, …, which both engines accept).
//
//	var w store.Where
//	w.And("agency_id = " + w.Arg(agencyID))
//	rows, err := db.R().QueryContext(ctx, "SELECT … FROM t"+w.SQL()+" LIMIT "+w.Arg(n), w.Args()...)
type Where struct {
	conds []string
	args  []any
}

// Arg adds a value and returns its placeholder.
func (w *Where) Arg(v any) string {
	w.args = append(w.args, v)
	return "$" + strconv.Itoa(len(w.args))
}

// And adds a condition (written with placeholders from Arg).
func (w *Where) And(cond string) { w.conds = append(w.conds, cond) }

// In adds "col IN (…)" for vals; nothing when vals is empty.
func (w *Where) In(col string, vals []string) {
	if len(vals) == 0 {
		return
	}
	ph := make([]string, len(vals))
	for i, v := range vals {
		ph[i] = w.Arg(v)
	}
	w.And(col + " IN (" + strings.Join(ph, ",") + ")")
}

// SQL is " WHERE c1 AND c2 …", or "" without conditions.
func (w *Where) SQL() string {
	if len(w.conds) == 0 {
		return ""
	}
	return " WHERE " + strings.Join(w.conds, " AND ")
}

// Args are the values, in placeholder order.
func (w *Where) Args() []any { return w.args }

// clone is a copy of w that conditions added to it do not change.
func (w *Where) clone() Where {
	return Where{conds: append([]string(nil), w.conds...), args: append([]any(nil), w.args...)}
}
