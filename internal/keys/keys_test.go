package keys

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

func TestLoadOrCreateIsStable(t *testing.T) {
	dir := t.TempDir()
	a, err := LoadOrCreate(dir)
	if err != nil {
		t.Fatal(err)
	}
	b, err := LoadOrCreate(dir)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a.Derive("x", 32), b.Derive("x", 32)) {
		t.Fatal("second load derived a different key")
	}
	if bytes.Equal(a.Derive("x", 32), a.Derive("y", 32)) {
		t.Fatal("different purposes gave the same key")
	}
	st, err := os.Stat(filepath.Join(dir, "secret.key"))
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o600 {
		t.Fatalf("secret.key mode %v, want 0600", st.Mode().Perm())
	}
}

func TestSealer(t *testing.T) {
	r, err := New(bytes.Repeat([]byte{7}, 32))
	if err != nil {
		t.Fatal(err)
	}
	s := r.Sealer("totp")
	sealed := s.SealString("JBSWY3DPEHPK3PXP", "user-1")
	if got, err := s.OpenString(sealed, "user-1"); err != nil || got != "JBSWY3DPEHPK3PXP" {
		t.Fatalf("OpenString = %q, %v", got, err)
	}
	if _, err := s.OpenString(sealed, "user-2"); err == nil {
		t.Fatal("opened with the wrong associated data")
	}
	if _, err := r.Sealer("other").OpenString(sealed, "user-1"); err == nil {
		t.Fatal("opened with another purpose's key")
	}
}

func TestParse(t *testing.T) {
	if _, err := Parse("short"); err == nil {
		t.Fatal("accepted a short key")
	}
	hexKey := "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"
	if b, err := Parse(hexKey + "\n"); err != nil || len(b) != 32 {
		t.Fatalf("hex key: %v", err)
	}
}
