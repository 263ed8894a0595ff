// Package csvsafe writes CSV that a spreadsheet opens as data: a cell that
// starts with = + - @, a tab or a carriage return would be read as a
// formula (OWASP "CSV injection"), so it is prefixed with a quote.
package csvsafe

import (
	"encoding/csv"
	"io"
	"strings"
)

// Cell is s as a cell no spreadsheet runs.
func Cell(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}

// Writer is a csv.Writer that passes every cell through Cell.
type Writer struct{ *csv.Writer }

// NewWriter returns a Writer to w.
func NewWriter(w io.Writer) *Writer { return &Writer{csv.NewWriter(w)} }

// Write writes one record, each cell made safe (record is not changed).
func (w *Writer) Write(record []string) error {
	safe := make([]string, len(record))
	for i, c := range record {
		safe[i] = Cell(c)
	}
	return w.Writer.Write(safe)
}
