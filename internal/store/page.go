package store

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"strings"
)

// Page is one page of a list and the cursor of the next (empty at the end).
type Page[T any] struct {
	Items      []T    `json:"items"`
	NextCursor string `json:"next_cursor,omitempty"`
}

// ErrBadCursor means a cursor was not one kubu made.
var ErrBadCursor = errors.New("invalid cursor")

// EncodeCursor makes an opaque cursor of a keyset position.
func EncodeCursor(v any) string {
	b, _ := json.Marshal(v)
	return base64.RawURLEncoding.EncodeToString(b)
}

// DecodeCursor reads a cursor made by EncodeCursor into v.
func DecodeCursor(s string, v any) error {
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil || len(b) > 512 {
		return ErrBadCursor
	}
	if err := json.Unmarshal(b, v); err != nil {
		return ErrBadCursor
	}
	return nil
}

// Limit clamps a requested page size: default 50, at most 1000.
func Limit(n int) int {
	switch {
	case n <= 0:
		return 50
	case n > 1000:
		return 1000
	}
	return n
}

// Keyset is the order of a keyset-paged list: its sort keys (columns or
// expressions), the last of which is unique (the id), all ascending or all
// descending. Lists never use OFFSET: a cursor is the last row's keys.
type Keyset struct {
	Keys []string
	Desc bool
}

// OrderBy is the list's ORDER BY clause (without the words).
func (k Keyset) OrderBy() string {
	dir := " ASC"
	if k.Desc {
		dir = " DESC"
	}
	return strings.Join(k.Keys, dir+", ") + dir
}

// After adds to w the condition "after the position of cursor" (nothing
// when cursor is empty): for keys a, b it is
// (a > $1 OR (a = $1 AND b > $2)), with < when descending.
func (k Keyset) After(w *Where, cursor string) error {
	if cursor == "" {
		return nil
	}
	vals, err := decodeKeys(cursor, len(k.Keys))
	if err != nil {
		return err
	}
	op := " > "
	if k.Desc {
		op = " < "
	}
	ph := make([]string, len(vals))
	for i, v := range vals {
		ph[i] = w.Arg(v)
	}
	var or []string
	for i := range k.Keys {
		var and []string
		for j := range i {
			and = append(and, k.Keys[j]+" = "+ph[j])
		}
		and = append(and, k.Keys[i]+op+ph[i])
		or = append(or, strings.Join(and, " AND "))
	}
	w.And("((" + strings.Join(or, ") OR (") + "))")
	return nil
}

// decodeKeys reads a cursor of n key values: strings, and whole numbers
// as int64 (so they compare with integer columns exactly on both engines).
func decodeKeys(cursor string, n int) ([]any, error) {
	b, err := base64.RawURLEncoding.DecodeString(cursor)
	if err != nil || len(b) > 512 {
		return nil, ErrBadCursor
	}
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	var raw []any
	if err := d.Decode(&raw); err != nil || len(raw) != n || d.More() {
		return nil, ErrBadCursor
	}
	for i, v := range raw {
		switch x := v.(type) {
		case string:
		case json.Number:
			n, err := x.Int64()
			if err != nil {
				return nil, ErrBadCursor
			}
			raw[i] = n
		default:
			return nil, ErrBadCursor
		}
	}
	return raw, nil
}

// ListQuery is a keyset-paged list query: SQL is the SELECT … FROM … part,
// Where its conditions (the access scope and the filters), Keyset its
// order; Scan reads one row and Key gives a row's sort keys (in the order
// of Keyset.Keys) for the next cursor. Keep, when set, drops rows that SQL
// cannot select (a condition computed in Go); List then reads on in
// chunks until the page is full or the rows run out.
type ListQuery[T any] struct {
	SQL    string
	Where  *Where
	Keyset Keyset
	Cursor string
	Limit  int // clamped by Limit
	Scan   func(Scanner) (T, error)
	Key    func(T) []any
	Keep   func(T) bool
}

// keepChunk is how many rows a List with Keep reads at a time.
var keepChunk = 500

// List runs one page of a keyset-paged list: it adds the cursor's
// condition, fetches one row more than the page size to learn whether
// more remain, and makes the next cursor from the page's last row.
func List[T any](ctx context.Context, q Querier, l ListQuery[T]) (Page[T], error) {
	page := Page[T]{Items: []T{}}
	var base Where
	if l.Where != nil {
		base = *l.Where
	}
	n := Limit(l.Limit)
	fetch := n + 1
	if l.Keep != nil {
		fetch = max(fetch, keepChunk)
	}
	cursor := l.Cursor
	var items []T
	for {
		w := base.clone()
		if err := l.Keyset.After(&w, cursor); err != nil {
			return page, err
		}
		rows, err := q.QueryContext(ctx, l.SQL+w.SQL()+" ORDER BY "+l.Keyset.OrderBy()+" LIMIT "+w.Arg(fetch), w.Args()...)
		if err != nil {
			return page, err
		}
		got, err := Collect(rows, l.Scan)
		if err != nil {
			return page, err
		}
		for _, v := range got {
			if l.Keep == nil || l.Keep(v) {
				items = append(items, v)
			}
			if len(items) > n {
				break
			}
		}
		if l.Keep == nil || len(items) > n || len(got) < fetch {
			break
		}
		cursor = EncodeCursor(l.Key(got[len(got)-1]))
	}
	if items != nil {
		page.Items = items
	}
	if len(items) > n {
		page.Items = items[:n]
		page.NextCursor = EncodeCursor(l.Key(items[n-1]))
	}
	return page, nil
}
