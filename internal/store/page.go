package store

import (
	"encoding/base64"
	"encoding/json"
	"errors"
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
