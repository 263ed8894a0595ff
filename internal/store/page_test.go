package store_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/kubu-gov/kubu/internal/store"
	"github.com/kubu-gov/kubu/internal/store/storetest"
)

func TestKeysetAfter(t *testing.T) {
	var w store.Where
	w.And("a.x = " + w.Arg("x"))
	k := store.Keyset{Keys: []string{"s.name", "s.id"}}
	if err := k.After(&w, store.EncodeCursor([]any{"HealthHub", "01abc"})); err != nil {
		t.Fatal(err)
	}
	if got, want := w.SQL(), " WHERE a.x = $1 AND ((s.name > $2) OR (s.name = $2 AND s.id > $3))"; got != want {
		t.Fatalf("SQL = %q, want %q", got, want)
	}
	if !slices.Equal(w.Args(), []any{"x", "HealthHub", "01abc"}) {
		t.Fatalf("args %v", w.Args())
	}
	if got := (store.Keyset{Keys: []string{"a", "b"}, Desc: true}).OrderBy(); got != "a DESC, b DESC" {
		t.Fatalf("OrderBy = %q", got)
	}
	var n store.Where
	if err := (store.Keyset{Keys: []string{"n", "id"}, Desc: true}).After(&n, store.EncodeCursor([]any{int64(1700000000123), "z"})); err != nil {
		t.Fatal(err)
	}
	if n.SQL() != " WHERE ((n < $1) OR (n = $1 AND id < $2))" || n.Args()[0] != int64(1700000000123) {
		t.Fatalf("desc: %q %#v", n.SQL(), n.Args())
	}
	for _, bad := range []string{"!!", store.EncodeCursor([]any{"only one"}), store.EncodeCursor([]any{1.5, "x"}),
		store.EncodeCursor([]any{[]int{1}, "x"}), store.EncodeCursor(map[string]string{"k": "v"}), store.EncodeCursor(strings.Repeat("x", 600))} {
		var w store.Where
		if err := k.After(&w, bad); !errors.Is(err, store.ErrBadCursor) {
			t.Errorf("cursor %q: %v, want ErrBadCursor", bad, err)
		}
	}
}

// TestList pages through a table in both directions on both engines:
// every row once, in order, and the last page without a cursor.
func TestList(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		err := db.Tx(ctx, func(tx *sql.Tx) error {
			for i := range 23 {
				// Names repeat so the id decides within a name.
				if _, err := tx.ExecContext(ctx, `INSERT INTO agencies (id, code, name, created_at) VALUES ($1,$2,$3,$4)`,
					fmt.Sprintf("id%02d", i), fmt.Sprintf("C%02d", i), fmt.Sprintf("name %d", i%5), int64(1700000000000+i%7)); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		type row struct {
			ID, Name string
			At       int64
		}
		for _, k := range []store.Keyset{
			{Keys: []string{"name", "id"}},
			{Keys: []string{"created_at", "id"}, Desc: true},
			{Keys: []string{"id"}, Desc: true},
		} {
			t.Run(k.OrderBy(), func(t *testing.T) {
				var got []string
				cursor := ""
				for pages := 0; ; pages++ {
					var w store.Where
					w.And("code <> " + w.Arg("none"))
					page, err := store.List(ctx, db.R(), store.ListQuery[row]{
						SQL: `SELECT id, name, created_at FROM agencies`, Where: &w, Keyset: k, Cursor: cursor, Limit: 5,
						Scan: func(sc store.Scanner) (row, error) {
							var r row
							return r, sc.Scan(&r.ID, &r.Name, &r.At)
						},
						Key: func(r row) []any {
							switch k.Keys[0] {
							case "name":
								return []any{r.Name, r.ID}
							case "created_at":
								return []any{r.At, r.ID}
							}
							return []any{r.ID}
						},
					})
					if err != nil {
						t.Fatal(err)
					}
					for _, r := range page.Items {
						got = append(got, r.ID)
					}
					if page.NextCursor == "" {
						if pages != 4 || len(page.Items) != 3 {
							t.Fatalf("last page %d has %d rows", pages, len(page.Items))
						}
						break
					}
					cursor = page.NextCursor
				}
				var want []string
				rows, err := db.R().QueryContext(ctx, `SELECT id FROM agencies ORDER BY `+k.OrderBy())
				if err != nil {
					t.Fatal(err)
				}
				want, err = store.Collect(rows, func(sc store.Scanner) (string, error) {
					var s string
					return s, sc.Scan(&s)
				})
				if err != nil || !slices.Equal(got, want) {
					t.Fatalf("paged %v\nwant    %v (%v)", got, want, err)
				}
			})
		}
	})
}

// TestListKeep: rows dropped by a condition computed in Go do not end a
// page early; List reads on past them, chunk after chunk.
func TestListKeep(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		store.SetKeepChunk(t, 4)
		err := db.Tx(ctx, func(tx *sql.Tx) error {
			for i := range 40 {
				if _, err := tx.ExecContext(ctx, `INSERT INTO agencies (id, code, name, created_at) VALUES ($1,$2,$3,$4)`,
					fmt.Sprintf("id%02d", i), fmt.Sprintf("C%02d", i), "n", int64(i)); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		// Keep every seventh row: 0, 7, 14, 21, 28, 35.
		var got []int64
		cursor := ""
		for range 10 {
			page, err := store.List(ctx, db.R(), store.ListQuery[int64]{
				SQL: `SELECT created_at FROM agencies`, Keyset: store.Keyset{Keys: []string{"created_at"}}, Cursor: cursor, Limit: 4,
				Scan: func(sc store.Scanner) (int64, error) {
					var n int64
					return n, sc.Scan(&n)
				},
				Key:  func(n int64) []any { return []any{n} },
				Keep: func(n int64) bool { return n%7 == 0 },
			})
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, page.Items...)
			if cursor = page.NextCursor; cursor == "" {
				break
			}
		}
		if !slices.Equal(got, []int64{0, 7, 14, 21, 28, 35}) {
			t.Fatalf("kept %v", got)
		}
	})
}

// TestJSONColumn: a JSON column that does not decode fails the read and
// says so (round 1 dropped such errors and showed empty fields).
func TestJSONColumn(t *testing.T) {
	storetest.Engines(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		var tags []string
		var m map[string]string
		if err := db.R().QueryRowContext(ctx, `SELECT '["a","b"]', '{"k":"v"}'`).Scan(store.JSON(&tags), store.JSON(&m)); err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(tags, []string{"a", "b"}) || m["k"] != "v" {
			t.Fatalf("decoded %v %v", tags, m)
		}
		tags = []string{"kept"}
		if err := db.R().QueryRowContext(ctx, `SELECT ''`).Scan(store.JSON(&tags)); err != nil || tags[0] != "kept" {
			t.Fatalf("empty text: %v %v", tags, err)
		}
		err := db.R().QueryRowContext(ctx, `SELECT '["a",'`).Scan(store.JSON(&tags))
		if err == nil || !strings.Contains(err.Error(), "JSON column") {
			t.Fatalf("broken JSON read as %v, %v", tags, err)
		}
	})
}
