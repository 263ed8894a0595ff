package store

import (
	"reflect"
	"testing"
)

func TestWhere(t *testing.T) {
	var w Where
	if w.SQL() != "" {
		t.Fatalf("empty Where gave %q", w.SQL())
	}
	w.And("a = " + w.Arg(1))
	w.In("s", nil)
	w.In("s", []string{"x", "y"})
	w.And("(b > " + w.Arg(2) + " OR b IS NULL)")
	if got, want := w.SQL(), " WHERE a = $1 AND s IN ($2,$3) AND (b > $4 OR b IS NULL)"; got != want {
		t.Fatalf("SQL = %q, want %q", got, want)
	}
	if !reflect.DeepEqual(w.Args(), []any{1, "x", "y", 2}) {
		t.Fatalf("Args = %v", w.Args())
	}
}
