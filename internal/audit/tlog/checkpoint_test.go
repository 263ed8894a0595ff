package tlog

import (
	"bytes"
	"crypto/ed25519"
	"encoding/hex"
	"errors"
	"strings"
	"testing"
	"time"

	"golang.org/x/mod/sumdb/note"
)

func testSigner(t testing.TB, seed byte) *Signer {
	s, err := NewSigner(KeyName, ed25519.NewKeyFromSeed(bytes.Repeat([]byte{seed}, 32)))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestCheckpointSignOpen(t *testing.T) {
	s := testSigner(t, 7)
	cp := Checkpoint{Origin: Origin, Size: 42, Root: bytes.Repeat([]byte{0xab}, 32), Extensions: []string{"1700000000000"}}
	msg, err := Sign(cp.Body(), s)
	if err != nil {
		t.Fatal(err)
	}
	want := "kubu audit log\n42\nq6urq6urq6urq6urq6urq6urq6urq6urq6urq6urq6s=\n1700000000000\n\n— kubu-audit "
	if !strings.HasPrefix(string(msg), want) {
		t.Fatalf("signed checkpoint:\n%s\nwant prefix\n%s", msg, want)
	}
	// The Go checksum database's own note package verifies it with the
	// verifier key kubu prints.
	v, err := note.NewVerifier(s.Public().String())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := note.Open(msg, note.VerifierList(v)); err != nil {
		t.Fatalf("x/mod note rejects kubu's checkpoint: %v", err)
	}
	got, err := OpenCheckpoint(msg, s.Public())
	if err != nil || got.Size != 42 || !bytes.Equal(got.Root, cp.Root) || got.Extensions[0] != "1700000000000" {
		t.Fatalf("OpenCheckpoint = %+v, %v", got, err)
	}
	// A changed size, a signature by another key and a cosigned note.
	changed := bytes.Replace(msg, []byte("\n42\n"), []byte("\n43\n"), 1)
	var se *SignatureError
	if _, err := OpenCheckpoint(changed, s.Public()); !errors.As(err, &se) {
		t.Fatalf("altered checkpoint: %v", err)
	}
	if _, err := OpenCheckpoint(msg, testSigner(t, 8).Public()); !errors.As(err, &se) {
		t.Fatalf("checkpoint checked with another key: %v", err)
	}
	witness, _ := NewSigner("witness.example", ed25519.NewKeyFromSeed(bytes.Repeat([]byte{9}, 32)))
	n, _ := note.Open(msg, note.VerifierList(mustVerifier(t, s.Public().String())))
	cosigned, err := note.Sign(n, witness)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := OpenCheckpoint(cosigned, s.Public()); err != nil {
		t.Fatalf("a cosigned checkpoint: %v", err)
	}
}

func mustVerifier(t *testing.T, vkey string) note.Verifier {
	v, err := note.NewVerifier(vkey)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func TestPublicKey(t *testing.T) {
	s := testSigner(t, 7)
	k := s.Public()
	back, err := ParsePublicKey(k.String() + "\n")
	if err != nil || !bytes.Equal(back.Key, k.Key) || back.Name != KeyName {
		t.Fatalf("ParsePublicKey(%q) = %+v, %v", k.String(), back, err)
	}
	if fp := k.Fingerprint(); !strings.HasPrefix(fp, "SHA256:") || len(fp) != 7+64 {
		t.Fatalf("fingerprint %q", fp)
	}
	for _, bad := range []string{"", "kubu-audit", "kubu-audit+00000000+AQ==", "a+b+c", k.String()[:len(k.String())-4]} {
		if _, err := ParsePublicKey(bad); !errors.Is(err, ErrMalformed) {
			t.Errorf("ParsePublicKey(%q) = %v, want ErrMalformed", bad, err)
		}
	}
}

func TestParseBody(t *testing.T) {
	good := "kubu audit log\n3\n" + b64(32) + "\n"
	if c, err := ParseBody(good); err != nil || c.Size != 3 || c.Body() != good {
		t.Fatalf("ParseBody(good) = %+v, %v", c, err)
	}
	for _, bad := range []string{
		"", "kubu audit log\n3\n", "kubu audit log\n3\n" + b64(32), "\n3\n" + b64(32) + "\n",
		"kubu audit log\n-1\n" + b64(32) + "\n", "kubu audit log\n03\n" + b64(32) + "\n",
		"kubu audit log\nx\n" + b64(32) + "\n", "kubu audit log\n3\n" + b64(31) + "\n",
		"kubu audit log\n3\n" + b64(32) + "\n\n",
	} {
		if _, err := ParseBody(bad); !errors.Is(err, ErrMalformed) {
			t.Errorf("ParseBody(%q) = %v, want ErrMalformed", bad, err)
		}
	}
}

func b64(n int) string {
	c := Checkpoint{Root: make([]byte, n)}
	return strings.Split(c.Body(), "\n")[2]
}

// The leaf encoding is part of every proof ever handed out: it must never
// change.
func TestLeafHashIsStable(t *testing.T) {
	e := Entry{Seq: 7, At: time.UnixMilli(1700000000123).UTC(), Code: "A1000I", ActorID: "u1", ActorLabel: "a@example.gov",
		AgencyID: "ag1", TargetType: "agency", TargetID: "ag1", After: `{"code":"MOH","name":"<Health & Co>"}`}
	got := hex.EncodeToString(e.LeafHash())
	const want = "6b2370ff380157107216fa77db413f92dd8038a0e25df712b7d927956dd212e7"
	if got != want {
		t.Fatalf("leaf hash %s, want %s", got, want)
	}
}

func FuzzParseBody(f *testing.F) {
	f.Add("kubu audit log\n3\n" + b64(32) + "\n1700000000000\n")
	f.Add("x\n0\n\n")
	f.Fuzz(func(t *testing.T, s string) {
		c, err := ParseBody(s)
		if err != nil {
			return
		}
		if again, err := ParseBody(c.Body()); err != nil || again.Body() != c.Body() {
			t.Fatalf("body %q does not round-trip: %v", s, err)
		}
	})
}

func FuzzOpenCheckpoint(f *testing.F) {
	s := testSigner(f, 7)
	msg, _ := Sign("kubu audit log\n3\n"+b64(32)+"\n", s)
	f.Add(msg)
	f.Add([]byte("kubu audit log\n3\n\n— kubu-audit AAAA\n"))
	key := s.Public()
	f.Fuzz(func(t *testing.T, msg []byte) {
		c, err := OpenCheckpoint(msg, key)
		if err == nil && !bytes.HasPrefix(msg, []byte(c.Body())) {
			t.Fatalf("accepted checkpoint %+v is not the start of %q", c, msg)
		}
	})
}

func FuzzParsePublicKey(f *testing.F) {
	f.Add(testSigner(f, 7).Public().String())
	f.Add("a+00000000+AQ==")
	f.Fuzz(func(t *testing.T, s string) {
		k, err := ParsePublicKey(s)
		if err == nil && len(k.Key) != ed25519.PublicKeySize {
			t.Fatalf("accepted key of %d bytes", len(k.Key))
		}
	})
}
