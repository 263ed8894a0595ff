package csvsafe

import (
	"bytes"
	"testing"
)

func TestCell(t *testing.T) {
	for in, want := range map[string]string{
		"": "", "plain": "plain", "=1+1": "'=1+1", "+SUM(A1)": "'+SUM(A1)", "-2": "'-2",
		"@cmd": "'@cmd", "\tx": "'\tx", "\rx": "'\rx", "a=b": "a=b",
	} {
		if got := Cell(in); got != want {
			t.Errorf("Cell(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestWriter(t *testing.T) {
	var b bytes.Buffer
	w := NewWriter(&b)
	rec := []string{"id", "=HYPERLINK(\"x\")", "ok"}
	w.Write(rec)
	w.Flush()
	if got, want := b.String(), "id,\"'=HYPERLINK(\"\"x\"\")\",ok\n"; got != want || w.Error() != nil {
		t.Fatalf("wrote %q (%v), want %q", got, w.Error(), want)
	}
	if rec[1] != "=HYPERLINK(\"x\")" {
		t.Fatal("Write changed the caller's record")
	}
}
