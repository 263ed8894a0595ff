package node

import (
	"testing"
)

// TestIdentify: the first process on a data dir keeps its id there and the
// next one after it takes it back; a second process while the first holds
// the data dir gets an id of its own (issue 15 item 5).
func TestIdentify(t *testing.T) {
	dir := t.TempDir()
	a, err := Identify(dir)
	if err != nil {
		t.Fatal(err)
	}
	if !a.Persistent || !validID(a.ID) {
		t.Fatalf("first identity %+v", a)
	}
	b, err := Identify(dir) // same host, same data path, while a runs
	if err != nil {
		t.Fatal(err)
	}
	if b.Persistent || b.ID == a.ID || !validID(b.ID) {
		t.Fatalf("second process on a held data dir: %+v (first %q)", b, a.ID)
	}
	c, _ := Identify(dir)
	if c.ID == b.ID || c.ID == a.ID {
		t.Fatalf("third process reused an id: %q", c.ID)
	}
	a.Close()
	d, err := Identify(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	if !d.Persistent || d.ID != a.ID {
		t.Fatalf("after the first stopped: %+v, want its id %q back", d, a.ID)
	}
}
